"""List pages read in a fixed number of queries, however many rows they show."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import (
    CompetitionJobFactory,
    ContractFactory,
    JobFactory,
    MilestoneFactory,
    OrganizationFactory,
    ProposalFactory,
    TaskJobFactory,
    WorkerFactory,
    WorkerSkillFactory,
    skill,
)
from tests.web.conftest import signed_in
from tsunagu.process import services as process_services
from tsunagu.work import escrow
from tsunagu.work.models import Thread

pytestmark = pytest.mark.django_db

# What the pages take today, whatever the number of rows: the count, the rows,
# their skills, the filter's categories (jobs); the count, profiles, skills
# (workers). A signed-in member adds the session, the user and the header's
# count of unread notifications.
JOB_LIST_QUERIES = 4
WORKER_LIST_QUERIES = 3
SIGNED_IN = 3
# The contract with its people and thread, its milestones, reviews and messages;
# the milestones' deliveries and their files; the payments; the release entries
# (twice), their postings and accounts, and the milestones they name.
CONTRACT_PAGE_QUERIES = 12
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


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


def _contract_with_milestones(count: int):
    """A contract whose milestones are, in turn, unpaid, funded, delivered and approved,
    each delivered one with two files and an earlier revision."""
    contract = ContractFactory(price_yen=10_000 * count, milestone=None)
    Thread.objects.create(job=contract.job, worker=contract.worker, contract=contract)
    client, worker = contract.client, contract.worker
    for position in range(1, count + 1):
        milestone = MilestoneFactory(contract=contract, position=position, amount_yen=10_000)
        stage = position % 4
        if stage == 1:
            continue
        escrow.milestone_fund(milestone=milestone, by=client, method="card", card_token="tok")
        if stage == 2:
            continue
        files = [SimpleUploadedFile(f"{name}.pdf", PDF) for name in ("a", "b")]
        first = process_services.delivery_submit(
            milestone=milestone, by=worker, message="初稿", files=files
        )
        process_services.delivery_revision_request(delivery=first, by=client, reason="修正")
        files = [SimpleUploadedFile(f"{name}.pdf", PDF) for name in ("c", "d")]
        second = process_services.delivery_submit(
            milestone=milestone, by=worker, message="修正版", files=files
        )
        if stage == 0:
            process_services.delivery_approve(delivery=second, by=client)
    return contract


@pytest.mark.parametrize("count", [4, 12])
def test_the_contract_page_does_not_query_per_milestone_or_delivery(
    django_assert_max_num_queries, settings, tmp_path, count
):
    settings.TSUNAGU_PRIVATE_DIR = tmp_path / "private"
    contract = _contract_with_milestones(count)

    for user in (contract.client, contract.worker):
        browser = signed_in(user)
        with django_assert_max_num_queries(CONTRACT_PAGE_QUERIES + SIGNED_IN):
            response = browser.get(f"/contracts/{contract.pk}/")
        assert response.status_code == 200
        assert response.content.decode().count('class="milestone"') == count
