"""Invoice registration numbers (インボイス) and an organization's withholding choice."""

import pytest

from tests.db_state import table_counts
from tests.factories import OrganizationFactory, UserFactory, WorkerFactory
from tsunagu.accounts import services
from tsunagu.accounts.models import MemberRole, Membership
from tsunagu.errors import DomainError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("T1234567890123", "T1234567890123"),
        ("t1234567890123", "T1234567890123"),
        ("Ｔ１２３４５６７８９０１２３", "T1234567890123"),
        ("T1234-5678-9012-3", "T1234567890123"),
        ("T 1234 5678 9012 3", "T1234567890123"),
        ("", ""),
    ],
)
def test_a_registration_number_is_stored_in_one_form(typed, stored):
    assert services.invoice_number_clean(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["1234567890123", "T123456789012", "T12345678901234", "X1234567890123", "T12345678901a3"],
)
def test_anything_but_t_and_13_digits_is_refused(typed):
    with pytest.raises(DomainError) as refused:
        services.invoice_number_clean(typed)
    assert refused.value.code == "invalid_invoice_number"


def test_a_worker_registers_their_invoice_number():
    worker = WorkerFactory()

    profile = services.worker_invoice_number_set(user=worker, number="Ｔ１２３４５６７８９０１２３")

    profile.refresh_from_db()
    assert profile.invoice_number == "T1234567890123"


def test_a_bad_number_writes_nothing():
    worker = WorkerFactory()
    before = table_counts()

    with pytest.raises(DomainError):
        services.worker_invoice_number_set(user=worker, number="T12")

    assert table_counts() == before
    worker.worker_profile.refresh_from_db()
    assert worker.worker_profile.invoice_number == ""


def test_a_client_without_a_profile_has_no_worker_invoice_number():
    with pytest.raises(RuleViolation):
        services.worker_invoice_number_set(user=UserFactory(), number="T1234567890123")


def test_an_organizations_administrator_opts_in_to_withholding():
    owner = UserFactory()
    organization = OrganizationFactory(owner=owner)

    services.organization_tax_settings_update(
        organization=organization,
        by=owner,
        invoice_number="T9876543210987",
        withholds_income_tax=True,
    )

    organization.refresh_from_db()
    assert organization.withholds_income_tax is True
    assert organization.invoice_number == "T9876543210987"


def test_a_plain_member_cannot_change_the_tax_settings():
    organization = OrganizationFactory(owner=UserFactory())
    member = UserFactory()
    Membership.objects.create(organization=organization, user=member, role=MemberRole.MEMBER)

    with pytest.raises(PermissionDenied):
        services.organization_tax_settings_update(
            organization=organization, by=member, invoice_number="", withholds_income_tax=True
        )

    organization.refresh_from_db()
    assert organization.withholds_income_tax is False
