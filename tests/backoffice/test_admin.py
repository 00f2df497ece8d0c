"""The operators' back office: every page opens, records stay read-only,
identity submissions are decided through the service."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import ContractFactory, UserFactory
from tsunagu.accounts.models import IdentityStatus, User
from tsunagu.accounts.services import identity_review
from tsunagu.errors import Conflict, PermissionDenied


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(
        email="operator@example.test", password="operator-pass-9", display_name="運営"
    )


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def _tsunagu_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in {"accounts", "skills", "work", "audit", "process", "payments"}
    ]


def test_every_back_office_list_and_record_opens(operator_client):
    # given: a contract, so that jobs, people and milestones have rows
    contract = ContractFactory()

    for model in _tsunagu_models():
        # when
        opts = model._meta
        listing = operator_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        )

        # then
        assert listing.status_code == 200, opts.label

    record = operator_client.get(reverse("admin:work_contract_change", args=[contract.pk]))
    assert record.status_code == 200
    assert contract.title in record.content.decode()


def test_work_records_cannot_be_edited_or_deleted_in_the_back_office(operator_client):
    contract = ContractFactory()

    response = operator_client.post(
        reverse("admin:work_contract_change", args=[contract.pk]), {"price_yen": 1}
    )
    deleted = operator_client.post(
        reverse("admin:work_contract_delete", args=[contract.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert deleted.status_code == 403
    contract.refresh_from_db()
    assert contract.price_yen != 1


def test_people_who_are_not_staff_are_sent_to_sign_in(client, db):
    client.force_login(UserFactory())

    response = client.get(reverse("admin:work_job_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_operator_approves_identity_submissions_from_the_list(operator_client):
    # given: one submitted, one never submitted
    submitted = UserFactory(identity_status=IdentityStatus.SUBMITTED)
    untouched = UserFactory()

    # when
    response = operator_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "approve_identity", "_selected_action": [submitted.pk, untouched.pk]},
    )

    # then
    assert response.status_code == 302
    submitted.refresh_from_db()
    untouched.refresh_from_db()
    assert submitted.identity_status == IdentityStatus.VERIFIED
    assert untouched.identity_status == IdentityStatus.UNVERIFIED


def test_a_rejected_submission_can_be_made_again(operator):
    person = UserFactory(identity_status=IdentityStatus.SUBMITTED)

    identity_review(user=person, by=operator, approve=False)

    person.refresh_from_db()
    assert person.identity_status == IdentityStatus.UNVERIFIED


def test_only_operators_review_identity(db):
    person = UserFactory(identity_status=IdentityStatus.SUBMITTED)

    with pytest.raises(PermissionDenied):
        identity_review(user=person, by=UserFactory(), approve=True)

    person.refresh_from_db()
    assert person.identity_status == IdentityStatus.SUBMITTED


def test_a_user_who_submitted_nothing_cannot_be_approved(operator):
    person = UserFactory()

    with pytest.raises(Conflict) as refused:
        identity_review(user=person, by=operator, approve=True)

    assert refused.value.code == "identity_not_submitted"


def test_an_operator_confirms_a_bank_transfer_from_the_payments_list(operator_client):
    from tests.factories import MilestoneFactory
    from tsunagu.payments.models import Payment, PaymentStatus
    from tsunagu.work import escrow
    from tsunagu.work.models import MilestoneStatus

    # given: a milestone awaiting a bank transfer
    contract = ContractFactory(price_yen=10_000, milestone=None)
    milestone = MilestoneFactory(contract=contract, amount_yen=10_000)
    payment = escrow.milestone_fund(milestone=milestone, by=contract.client, method="bank_transfer")

    # when: the operator ticks it and confirms the deposit
    response = operator_client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "confirm_deposit", "_selected_action": [payment.pk]},
    )

    # then: paid, and the milestone can be worked on
    assert response.status_code == 302
    payment.refresh_from_db()
    milestone.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert milestone.status == MilestoneStatus.FUNDED
    assert Payment.objects.count() == 1
