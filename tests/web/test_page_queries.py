"""List pages read in a fixed number of queries, however many rows they show."""

import pytest
from django.test import Client

from tests.factories import (
    CompetitionJobFactory,
    JobFactory,
    OrganizationFactory,
    ProposalFactory,
    TaskJobFactory,
    WorkerFactory,
    WorkerSkillFactory,
    skill,
)
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

# What the pages take today, whatever the number of rows: the count, the rows,
# their skills, the filter's categories (jobs); the count, profiles, skills
# (workers). A signed-in member adds the session and the user.
JOB_LIST_QUERIES = 4
WORKER_LIST_QUERIES = 3
SIGNED_IN = 2


def _jobs(count: int) -> None:
    organization = OrganizationFactory()
    for number in range(count):
        job = JobFactory(organization=organization if number % 2 else None)
        job.job_skills.create(skill=skill("excel-vba"))
        job.job_skills.create(skill=skill("ms-access"), required=False)
        ProposalFactory(job=job)
        TaskJobFactory()
        CompetitionJobFactory()


def _workers(count: int) -> None:
    for _number in range(count):
        worker = WorkerFactory()
        WorkerSkillFactory(worker=worker, skill=skill("excel-vba"))
        WorkerSkillFactory(worker=worker, skill=skill("ms-access"))


@pytest.mark.parametrize("count", [1, 7])
def test_the_job_list_does_not_query_per_job(django_assert_max_num_queries, count):
    _jobs(count)
    browser = Client()

    with django_assert_max_num_queries(JOB_LIST_QUERIES):
        response = browser.get("/")

    assert response.status_code == 200
    assert f"募集中のお仕事 {count * 3}件" in response.content.decode()


def test_the_job_list_for_a_signed_in_member_does_not_query_per_job(
    django_assert_max_num_queries, worker
):
    _jobs(7)
    browser = signed_in(worker)

    with django_assert_max_num_queries(JOB_LIST_QUERIES + SIGNED_IN):
        assert browser.get("/").status_code == 200


@pytest.mark.parametrize("count", [1, 15])
def test_the_worker_list_does_not_query_per_worker(django_assert_max_num_queries, count):
    _workers(count)
    browser = Client()

    with django_assert_max_num_queries(WORKER_LIST_QUERIES):
        response = browser.get("/workers/")

    assert response.status_code == 200
    assert response.content.decode().count('class="card worker-card"') == count


def test_the_job_page_for_its_client_does_not_query_per_proposal(
    django_assert_max_num_queries, client_user
):
    job = JobFactory(client=client_user)
    for _number in range(10):
        ProposalFactory(job=job)
    browser = signed_in(client_user)

    with django_assert_max_num_queries(13):
        response = browser.get(f"/jobs/{job.pk}/")

    assert response.status_code == 200
