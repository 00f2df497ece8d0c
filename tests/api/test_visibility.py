"""Who sees what: invited-only jobs, private profiles, contracts, proposals.

Things a caller may not see answer 404, exactly as if they did not exist.
"""

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.http import assert_problem, get, post
from tests.factories import (
    ContractFactory,
    JobFactory,
    ProposalFactory,
    UserFactory,
    WorkerFactory,
)
from tsunagu.accounts.models import Membership
from tsunagu.work.models import Invitation

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def invited_only(client_user, worker):
    """An invited-only job with ``worker`` scouted for it."""
    job = JobFactory(client=client_user, visibility="invited")
    Invitation.objects.create(job=job, worker=worker, kind="scout")
    return job


def test_an_invited_only_job_is_hidden_from_everyone_else(invited_only, other_worker):
    path = f"/jobs/{invited_only.pk}"

    assert_problem(get(Client(), path), 404, "not_found")
    assert_problem(get(signed_in(other_worker), path), 404, "not_found")
    assert get(Client(), "/jobs").json()["items"] == []


def test_an_invited_only_job_shows_to_its_client_and_the_invited(invited_only, worker):
    for user in (invited_only.client, worker):
        response = get(signed_in(user), f"/jobs/{invited_only.pk}")

        assert response.status_code == 200
        assert response.json()["visibility"] == "invited"


def test_only_the_invited_may_propose_on_an_invited_only_job(invited_only, worker, other_worker):
    body = {"price_yen": 40_000, "message": "よろしくお願いします。"}
    path = f"/jobs/{invited_only.pk}/proposals"

    assert_problem(post(signed_in(other_worker), path, body), 404, "not_found")
    assert post(signed_in(worker), path, body).status_code == 201


def test_a_public_job_shows_to_anyone_without_its_clients_email(project):
    response = get(Client(), f"/jobs/{project.pk}")

    assert response.status_code == 200
    job = response.json()
    assert job["client"] == {"id": project.client_id, "display_name": project.client.display_name}
    assert project.client.email not in response.content.decode()


def test_proposals_show_to_the_jobs_managers_only(project, worker, other_worker, organization):
    # given a proposal on a project posted for an organization with an admin
    project.organization = organization
    project.save(update_fields=["organization"])
    ProposalFactory(job=project, worker=worker)
    admin = UserFactory()
    Membership.objects.create(organization=organization, user=admin, role="admin")
    path = f"/jobs/{project.pk}/proposals"

    # then the poster and the admin see it, a worker does not
    for manager in (project.client, admin):
        assert len(get(signed_in(manager), path).json()["items"]) == 1
    assert_problem(get(signed_in(other_worker), path), 404, "not_found")
    assert_problem(get(signed_in(worker), path), 404, "not_found")


def test_a_contract_shows_to_its_parties_only():
    contract = ContractFactory()
    path = f"/contracts/{contract.pk}"

    for party in (contract.client, contract.worker):
        assert get(signed_in(party), path).json()["id"] == contract.pk
    assert_problem(get(signed_in(WorkerFactory()), path), 404, "not_found")
    assert [c["id"] for c in get(signed_in(contract.worker), "/contracts").json()["items"]] == [
        contract.pk
    ]
    assert get(signed_in(WorkerFactory()), "/contracts").json()["items"] == []


def test_private_and_closed_profiles_are_not_found(worker):
    hidden = WorkerFactory(profile__is_public=False)
    closed = WorkerFactory(is_active=False, closed_at=timezone.now())
    client_only = UserFactory()

    assert get(Client(), f"/workers/{worker.pk}").status_code == 200
    for user in (hidden, closed, client_only):
        assert_problem(get(Client(), f"/workers/{user.pk}"), 404, "not_found")


def test_a_proposal_accepted_without_a_body_uses_30_days(project):
    proposal = ProposalFactory(job=project)

    response = signed_in(project.client).post(
        f"/api/v1/proposals/{proposal.pk}/accept", data="", content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["payment_due_days"] == 30
