"""Cursor pagination of the job listing: every open job once, newest first."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.http import get
from tests.factories import JobFactory, TaskJobFactory, skill
from tsunagu.work.models import Job, JobSkill

pytestmark = pytest.mark.django_db


def walk(browser: Client, **params) -> list[list[int]]:
    """The ids on each page, following next_cursor to the end."""
    pages = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = get(browser, "/jobs", **query).json()
        pages.append([job["id"] for job in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.fixture
def open_jobs(client_user):
    """23 open public jobs, three of them posted at the very same instant."""
    now = timezone.now()
    jobs = [JobFactory(client=client_user) for _ in range(20)]
    jobs += [JobFactory(client=client_user, created_at=now) for _ in range(3)]
    for job in jobs[::4]:
        JobSkill.objects.create(job=job, skill=skill("excel-vba"))
    # and some that the listing leaves out
    JobFactory(client=client_user, status="closed")
    JobFactory(client=client_user, visibility="invited")
    JobFactory(client=client_user, deadline=now - timedelta(hours=1))
    return jobs


def test_the_cursor_walks_every_open_job_once_newest_first(open_jobs):
    pages = walk(Client(), limit=5)

    ids = [job_id for page in pages for job_id in page]
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert len(ids) == len(set(ids))
    assert set(ids) == {job.pk for job in open_jobs}
    expected = Job.objects.filter(pk__in=ids).order_by("-created_at", "-id")
    assert ids == list(expected.values_list("pk", flat=True))


def test_a_job_posted_during_the_walk_does_not_repeat_a_row(open_jobs, client_user):
    # given a walk that has read its first page
    browser = Client()
    first = get(browser, "/jobs", limit=10).json()

    # when a new job is posted before the next page is read
    newest = JobFactory(client=client_user)
    rest = walk(browser, limit=10, cursor=first["next_cursor"])

    # then the remaining pages hold the other jobs, none twice, and not the new one
    ids = [job["id"] for job in first["items"]] + [i for page in rest for i in page]
    assert len(ids) == len(set(ids)) == len(open_jobs)
    assert newest.pk not in ids


def test_filters_apply_across_pages(open_jobs, client_user):
    tasks = [TaskJobFactory(client=client_user) for _ in range(3)]

    pages = walk(Client(), limit=2, format="task")

    assert sorted(i for page in pages for i in page) == sorted(job.pk for job in tasks)
    assert walk(Client(), budget_min=10**9) == [[]]


def test_a_page_costs_the_same_queries_whatever_its_size(open_jobs):
    browser = Client()

    with CaptureQueriesContext(connection) as small:
        assert len(get(browser, "/jobs", limit=2).json()["items"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(get(browser, "/jobs", limit=20).json()["items"]) == 20

    assert len(large) == len(small)
