"""Every refusal: its status, its problem+json code, and nothing written.

Each test arranges with factories, takes ``database_snapshot()``, makes the
refused call and checks the snapshot is unchanged afterwards.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.http import assert_problem, get, in_days, patch, post, project_body
from tests.db_state import database_snapshot
from tests.factories import (
    ContractFactory,
    JobFactory,
    ProposalFactory,
    UserFactory,
    WorkerFactory,
    WorkerProfileFactory,
)
from tsunagu.accounts.models import Membership
from tsunagu.work.models import Invitation

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def refused(call, status: int, code: str) -> dict:
    """Make ``call``; it must be refused with ``status`` and ``code``, writing nothing."""
    before = database_snapshot()
    body = assert_problem(call(), status, code)
    assert database_snapshot() == before
    return body


PROPOSAL = {"price_yen": 40_000, "message": "VBAでの自動化が得意です。"}

# --- proposals -----------------------------------------------------------------


def test_proposing_on_a_job_the_client_closed(worker):
    job = JobFactory(status="closed", closed_at=timezone.now())
    browser = signed_in(worker)

    refused(lambda: post(browser, f"/jobs/{job.pk}/proposals", PROPOSAL), 409, "job_closed")


def test_proposing_on_a_job_past_its_deadline(worker):
    job = JobFactory(deadline=timezone.now() - timedelta(minutes=1))
    browser = signed_in(worker)

    refused(lambda: post(browser, f"/jobs/{job.pk}/proposals", PROPOSAL), 409, "job_closed")


def test_proposing_on_ones_own_job(client_user, project):
    WorkerProfileFactory(user=client_user)
    browser = signed_in(client_user)

    refused(lambda: post(browser, f"/jobs/{project.pk}/proposals", PROPOSAL), 422, "own_job")


def test_a_second_proposal_to_the_same_job(worker, project):
    ProposalFactory(job=project, worker=worker)
    browser = signed_in(worker)

    refused(
        lambda: post(browser, f"/jobs/{project.pk}/proposals", PROPOSAL),
        409,
        "duplicate_proposal",
    )


def test_milestones_that_do_not_add_up_to_the_price(worker, project):
    browser = signed_in(worker)
    body = {
        **PROPOSAL,
        "milestones": [
            {"title": "集計マクロ", "amount_yen": 25_000},
            {"title": "操作説明書", "amount_yen": 10_000},
        ],
    }

    problem = refused(
        lambda: post(browser, f"/jobs/{project.pk}/proposals", body), 422, "milestones_mismatch"
    )
    assert problem["milestones_total"] == 35_000
    assert problem["price_yen"] == 40_000
    assert problem["field"] == "milestones"


@pytest.mark.parametrize("price", [0, -1])
def test_a_proposal_without_a_positive_price(worker, project, price):
    browser = signed_in(worker)
    body = {**PROPOSAL, "price_yen": price}

    refused(lambda: post(browser, f"/jobs/{project.pk}/proposals", body), 400, "invalid_price")


def test_a_worker_cannot_accept_a_proposal_on_someone_elses_job(worker, other_worker):
    proposal = ProposalFactory(worker=worker)
    browser = signed_in(other_worker)

    refused(lambda: post(browser, f"/proposals/{proposal.pk}/accept"), 404, "not_found")


def test_accepting_with_payment_due_later_than_60_days(project):
    proposal = ProposalFactory(job=project)
    browser = signed_in(project.client)
    body = {"payment_due_days": 61}

    refused(
        lambda: post(browser, f"/proposals/{proposal.pk}/accept", body),
        400,
        "invalid_payment_terms",
    )


def test_accepting_a_proposal_twice(project):
    proposal = ProposalFactory(job=project, status="accepted")
    browser = signed_in(project.client)

    refused(lambda: post(browser, f"/proposals/{proposal.pk}/accept"), 409, "proposal_decided")


# --- posting -------------------------------------------------------------------


@pytest.mark.parametrize("budget", [0, -50_000])
def test_a_project_without_a_positive_budget(client_user, budget):
    browser = signed_in(client_user)

    refused(lambda: post(browser, "/jobs", project_body(budget_yen=budget)), 400, "invalid_budget")


def test_a_task_batch_of_no_units(client_user):
    browser = signed_in(client_user)
    body = project_body(
        format="task",
        budget_yen=None,
        task={"unit_count": 0, "unit_price_yen": 50, "per_worker_cap": 1},
    )

    refused(lambda: post(browser, "/jobs", body), 400, "invalid_unit_count")


def test_a_competition_without_a_prize(client_user):
    browser = signed_in(client_user)
    body = project_body(
        format="competition", budget_yen=None, competition={"prize_yen": 0, "winner_count": 1}
    )

    refused(lambda: post(browser, "/jobs", body), 400, "invalid_budget")


def test_a_deadline_in_the_past(client_user):
    browser = signed_in(client_user)

    refused(
        lambda: post(browser, "/jobs", project_body(deadline=in_days(-1))), 400, "deadline_passed"
    )


def test_a_deadline_without_a_time_zone(client_user):
    browser = signed_in(client_user)
    naive = (timezone.now() + timedelta(days=7)).replace(tzinfo=None).isoformat()

    refused(lambda: post(browser, "/jobs", project_body(deadline=naive)), 422, "validation_error")


def test_an_unknown_category(client_user):
    browser = signed_in(client_user)

    problem = refused(
        lambda: post(browser, "/jobs", project_body(category="fortune-telling")),
        422,
        "unknown_category",
    )
    assert problem["field"] == "category"


def test_an_unknown_skill(client_user):
    browser = signed_in(client_user)
    body = project_body(skills=[{"skill": "存在しないスキル"}])

    problem = refused(lambda: post(browser, "/jobs", body), 422, "unknown_skill")
    assert problem["field"] == "skills.0.skill"


def test_posting_for_an_organization_one_is_not_in(client_user, organization):
    outsider = UserFactory()
    browser = signed_in(outsider)
    body = project_body(organization_id=organization.pk)

    refused(lambda: post(browser, "/jobs", body), 403, "not_a_member")


def test_an_amount_too_large_for_the_books(client_user):
    browser = signed_in(client_user)

    refused(
        lambda: post(browser, "/jobs", project_body(budget_yen=10**20)), 422, "validation_error"
    )


# --- accounts ------------------------------------------------------------------


def test_signing_up_twice_with_one_email(db):
    UserFactory(email="hanako@example.jp")
    body = {
        "email": "Hanako@Example.jp",
        "password": "kasumi-gaseki-2026",
        "display_name": "山田花子",
    }

    refused(lambda: post(Client(), "/auth/signup", body), 409, "email_taken")


def test_signing_up_with_a_weak_password(db):
    body = {"email": "new@example.jp", "password": "12345678", "display_name": "新人"}

    refused(lambda: post(Client(), "/auth/signup", body), 400, "weak_password")


def test_signing_in_with_a_wrong_password(worker):
    body = {"email": worker.email, "password": "not-the-password"}

    refused(lambda: post(Client(), "/auth/signin", body), 401, "invalid_credentials")


def test_a_portfolio_link_that_is_not_a_web_address(worker):
    browser = signed_in(worker)
    body = {"title": "作品", "url": "javascript:alert(1)"}

    refused(lambda: post(browser, "/me/portfolio", body), 400, "invalid_url")


def test_a_skill_level_out_of_range(worker):
    browser = signed_in(worker)

    refused(
        lambda: browser.put(
            "/api/v1/me/skills/excel-vba", {"level": 6}, content_type="application/json"
        ),
        400,
        "invalid_level",
    )


# --- unknown fields: no mass assignment ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/auth/signup",
            {
                "email": "new@example.jp",
                "password": "kasumi-gaseki-2026",
                "display_name": "新人",
                "is_staff": True,
            },
        ),
        ("/jobs", project_body(status="completed")),
        ("/jobs", project_body(client_id=1)),
        ("/jobs/{job}/proposals", {**PROPOSAL, "status": "accepted"}),
        ("/jobs/{job}/proposals", {**PROPOSAL, "worker_id": 1}),
    ],
)
def test_unknown_fields_in_a_body(worker, project, path, body):
    browser = signed_in(worker)

    problem = refused(
        lambda: post(browser, path.format(job=project.pk), body), 422, "validation_error"
    )
    assert problem["errors"]


def test_a_rating_cannot_be_set_through_the_profile(worker):
    browser = signed_in(worker)

    refused(
        lambda: patch(browser, "/me/profile", {"rating_count": 99, "rating_sum": 495}),
        422,
        "validation_error",
    )


def test_a_body_that_is_not_json(worker, project):
    browser = signed_in(worker)

    refused(
        lambda: browser.post(
            f"/api/v1/jobs/{project.pk}/proposals", "{not json", content_type="application/json"
        ),
        400,
        "invalid_json",
    )


# --- who may call --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/jobs", "/jobs/{job}/proposals", "/jobs/{job}/task/join", "/organizations", "/auth/signout"],
)
def test_an_unauthenticated_post(project, path):
    refused(lambda: post(Client(), path.format(job=project.pk), {}), 401, "not_authenticated")


def test_an_unauthenticated_read_of_private_lists(db):
    for path in ["/auth/me", "/me/proposals", "/contracts", "/me/invitations"]:
        assert_problem(get(Client(), path), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/contracts/{contract}"),
        ("get", "/contracts/{contract}/messages"),
        ("post", "/contracts/{contract}/messages"),
        ("post", "/contracts/{contract}/complete"),
        ("post", "/contracts/{contract}/reviews"),
    ],
)
def test_another_users_contract(other_worker, method, path):
    contract = ContractFactory()
    browser = signed_in(other_worker)
    bodies = {
        "/contracts/{contract}/messages": {"body": "こんにちは"},
        "/contracts/{contract}/reviews": {
            "overall": 5,
            "quality": 5,
            "communication": 5,
            "timeliness": 5,
        },
    }
    url = path.format(contract=contract.pk)

    def call():
        if method == "get":
            return get(browser, url)
        return post(browser, url, bodies.get(path, {}))

    refused(call, 404, "not_found")


def test_the_worker_cannot_complete_the_contract():
    contract = ContractFactory()
    browser = signed_in(contract.worker)

    refused(lambda: post(browser, f"/contracts/{contract.pk}/complete"), 404, "not_found")


def test_a_review_before_the_contract_is_completed():
    contract = ContractFactory()
    browser = signed_in(contract.client)
    scores = {"overall": 5, "quality": 5, "communication": 5, "timeliness": 5}

    refused(
        lambda: post(browser, f"/contracts/{contract.pk}/reviews", scores),
        409,
        "contract_not_completed",
    )


def test_a_rating_out_of_range():
    contract = ContractFactory(status="completed", completed_at=timezone.now())
    browser = signed_in(contract.client)
    scores = {"overall": 6, "quality": 5, "communication": 5, "timeliness": 5}

    refused(
        lambda: post(browser, f"/contracts/{contract.pk}/reviews", scores), 400, "invalid_rating"
    )


def test_a_direct_offer_without_a_price(project, worker):
    browser = signed_in(project.client)
    body = {"worker_id": worker.pk, "kind": "direct_offer", "offer_price_yen": -5}

    refused(lambda: post(browser, f"/jobs/{project.pk}/invitations", body), 400, "invalid_price")


def test_inviting_someone_who_does_not_exist(project):
    browser = signed_in(project.client)

    refused(
        lambda: post(browser, f"/jobs/{project.pk}/invitations", {"worker_id": 999_999}),
        422,
        "unknown_worker",
    )


def test_accepting_someone_elses_invitation(project, worker, other_worker):
    invitation = Invitation.objects.create(
        job=project, worker=worker, kind="direct_offer", offer_price_yen=45_000
    )
    browser = signed_in(other_worker)

    refused(lambda: post(browser, f"/invitations/{invitation.pk}/accept"), 404, "not_found")


def test_an_invalid_cursor(db):
    refused(lambda: get(Client(), "/jobs", cursor="not-a-cursor"), 400, "invalid_cursor")


def test_a_page_larger_than_100(db):
    refused(lambda: get(Client(), "/jobs", limit=101), 422, "validation_error")


def test_an_unknown_worker_profile(db):
    private = WorkerFactory(profile__is_public=False)

    refused(lambda: get(Client(), f"/workers/{private.pk}"), 404, "not_found")
    refused(lambda: get(Client(), "/workers/999999"), 404, "not_found")


def test_a_member_who_is_not_an_administrator_cannot_invite(organization):
    member = UserFactory()
    Membership.objects.create(organization=organization, user=member, role="member")
    browser = signed_in(member)
    body = {"email": "friend@example.jp"}

    refused(
        lambda: post(browser, f"/organizations/{organization.pk}/invitations", body),
        403,
        "forbidden",
    )
