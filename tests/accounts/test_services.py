import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core import mail

from tests.factories import (
    ContractFactory,
    JobFactory,
    OrganizationFactory,
    WorkerFactory,
    WorkerSkillFactory,
)
from tsunagu.accounts import services
from tsunagu.accounts.models import Membership, User, WorkerProfile
from tsunagu.errors import Conflict, DomainError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def test_signup_creates_a_worker_and_mails_a_verification_link(django_capture_on_commit_callbacks):
    # when a person signs up to work
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_signup(
            email="Hanako@Example.test", password="kyou-mo-ganbarou-42", display_name="花子"
        )

    # then the address is stored in lower case, a profile exists, a link is mailed
    assert user.email == "hanako@example.test"
    assert WorkerProfile.objects.filter(user=user).exists()
    assert not user.is_email_verified
    assert len(mail.outbox) == 1
    assert "/accounts/verify/" in mail.outbox[0].body


def test_signup_hashes_passwords_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

    user = services.user_signup(
        email="taro@example.test", password="kyou-mo-ganbarou-42", display_name="太郎"
    )

    assert identify_hasher(user.password).algorithm == "argon2"


def test_signup_as_a_company_creates_the_organization_with_its_owner():
    user = services.user_signup(
        email="boss@example.test",
        password="kyou-mo-ganbarou-42",
        display_name="佐藤",
        as_worker=False,
        as_client=True,
        organization_name="株式会社つなぐ",
    )

    membership = Membership.objects.get(user=user)
    assert membership.role == "owner"
    assert membership.organization.name == "株式会社つなぐ"
    assert not WorkerProfile.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-address", "kyou-mo-ganbarou-42", "invalid_email"),
        ("weak@example.test", "123", "weak_password"),
    ],
)
def test_signup_refuses_bad_input_and_writes_nothing(email, password, code):
    with pytest.raises(DomainError) as refused:
        services.user_signup(email=email, password=password, display_name="名前")

    assert refused.value.code == code
    assert User.objects.count() == 0


def test_signup_refuses_a_registered_address():
    WorkerFactory(email="taken@example.test")

    with pytest.raises(Conflict) as refused:
        services.user_signup(
            email="TAKEN@example.test", password="kyou-mo-ganbarou-42", display_name="x"
        )

    assert refused.value.code == "email_taken"
    assert refused.value.status == 409


def test_verification_token_marks_the_address_verified():
    user = WorkerFactory(email_verified_at=None)
    token = services.email_verification_token(user)

    services.user_verify_email(token=token)

    user.refresh_from_db()
    assert user.is_email_verified


def test_verification_token_stops_working_when_the_address_changes():
    user = WorkerFactory(email_verified_at=None)
    token = services.email_verification_token(user)
    User.objects.filter(pk=user.pk).update(email="new@example.test")

    with pytest.raises(DomainError) as refused:
        services.user_verify_email(token=token)

    assert refused.value.code == "invalid_token"


def test_password_reset_mails_a_link_that_sets_a_new_password():
    # given a worker who forgot the password
    user = WorkerFactory()

    # when they ask for a reset and follow the mailed link
    services.password_reset_request(email=user.email)
    match = re.search(r"/accounts/reset/(\d+)/([\w-]+)/", mail.outbox[0].body)
    assert match
    services.password_reset_confirm(
        user_id=int(match[1]), token=match[2], new_password="atarashii-pass-77"
    )

    # then the new password works and the link cannot be used again
    user.refresh_from_db()
    assert user.check_password("atarashii-pass-77")
    with pytest.raises(DomainError):
        services.password_reset_confirm(
            user_id=int(match[1]), token=match[2], new_password="mata-kaeru-88"
        )


def test_password_reset_for_an_unknown_address_sends_nothing():
    services.password_reset_request(email="nobody@example.test")

    assert mail.outbox == []


def test_closing_an_account_keeps_contracts_but_removes_the_person():
    # given a worker with a finished contract, skills and a profile
    contract = ContractFactory(status="completed")
    worker = contract.worker
    WorkerSkillFactory(worker=worker)

    # when the worker closes the account
    services.account_close(user=worker)

    # then the contract stays, the personal data is gone and sign-in is off
    worker.refresh_from_db()
    contract.refresh_from_db()
    assert contract.worker_id == worker.pk
    assert worker.email.endswith("@closed.invalid")
    assert not worker.is_active
    assert not worker.has_usable_password()
    assert worker.skills.count() == 0
    assert worker.worker_profile.bio == ""


def test_closing_a_clients_account_cancels_their_open_jobs_on_the_record():
    from tsunagu.audit.models import AuditEvent

    job = JobFactory()

    services.account_close(user=job.client)

    job.refresh_from_db()
    assert job.status == "cancelled"
    event = AuditEvent.objects.get(machine="job", object_id=job.pk)
    assert (event.from_state, event.to_state, event.reason) == (
        "open",
        "cancelled",
        "account closed",
    )


def test_an_account_with_an_active_contract_cannot_be_closed():
    contract = ContractFactory()

    with pytest.raises(RuleViolation) as refused:
        services.account_close(user=contract.worker)

    assert refused.value.code == "active_contracts"
    contract.worker.refresh_from_db()
    assert contract.worker.is_active


def test_an_invited_person_joins_the_organization(client_user):
    # given an organization and an invitation to a colleague
    organization = OrganizationFactory(owner=client_user)
    colleague = WorkerFactory(email="colleague@example.test")
    _invitation, token = services.organization_invite(
        organization=organization, by=client_user, email="colleague@example.test", role="admin"
    )

    # when the colleague accepts
    membership = services.organization_invitation_accept(token=token, user=colleague)

    # then they are an administrator, and the token is spent
    assert membership.role == "admin"
    with pytest.raises(DomainError):
        services.organization_invitation_accept(token=token, user=colleague)


def test_plain_members_cannot_invite(client_user):
    organization = OrganizationFactory(owner=client_user)
    member = WorkerFactory()
    Membership.objects.create(organization=organization, user=member, role="member")

    with pytest.raises(PermissionDenied):
        services.organization_invite(organization=organization, by=member, email="x@example.test")


def test_an_invitation_is_only_for_its_address(client_user):
    organization = OrganizationFactory(owner=client_user)
    _invitation, token = services.organization_invite(
        organization=organization, by=client_user, email="right@example.test"
    )

    with pytest.raises(PermissionDenied):
        services.organization_invitation_accept(token=token, user=WorkerFactory())


def test_profile_update_refuses_more_hours_than_a_week_has(worker):
    with pytest.raises(DomainError) as refused:
        services.worker_profile_update(user=worker, hours_per_week=200)

    assert refused.value.code == "invalid_hours"
    worker.worker_profile.refresh_from_db()
    assert worker.worker_profile.hours_per_week == 20
