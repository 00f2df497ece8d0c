"""Paying for milestones and prizes (仮払い), releasing them on approval, refunds.

Worked examples follow Crowdworks' published rule: a ¥10,000 contract is
¥11,000 with tax, the fee ¥2,200 plus ¥220 tax, and the worker gets ¥8,580.
"""

from datetime import date

import pytest
from django.utils import timezone

from tests.db_state import table_counts
from tests.factories import (
    CompetitionFactory,
    ContractFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
    WorkerFactory,
    category,
)
from tsunagu.accounts.models import User
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments import funding
from tsunagu.payments.models import (
    AccountKind,
    EntryKind,
    JournalEntry,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tsunagu.payments.selectors import account_balance, ledger_check, platform_balance
from tsunagu.work import escrow, services
from tsunagu.work.models import CompetitionEntry, EntryStatus, MilestoneStatus
from tsunagu.work.statements import client_receipts, payment_report

pytestmark = pytest.mark.django_db

CARD = "tok_visa"


def worker_balance(user: User) -> int:
    return account_balance(kind=AccountKind.WORKER_BALANCE, reference=f"user:{user.pk}")


def platform(kind: str) -> int:
    return platform_balance(kind=kind)


def assert_ledger_ok() -> None:
    assert ledger_check().problems == []


def contract_with(*amounts: int, **contract_fields):
    contract = ContractFactory(price_yen=sum(amounts), milestone=None, **contract_fields)
    milestones = [
        MilestoneFactory(contract=contract, position=position, amount_yen=amount)
        for position, amount in enumerate(amounts, start=1)
    ]
    return contract, milestones


def pay_by_card(milestone, by) -> Payment:
    return escrow.milestone_fund(milestone=milestone, by=by, method="card", card_token=CARD)


def pay_and_approve(milestone, client) -> None:
    pay_by_card(milestone, client)
    escrow.milestone_approve(milestone=milestone, by=client)


# --- paying for a milestone ------------------------------------------------------


def test_a_card_payment_funds_the_milestone_with_the_price_plus_tax():
    contract, (milestone,) = contract_with(10_000)

    payment = escrow.milestone_fund(
        milestone=milestone, by=contract.client, method="card", card_token=CARD
    )

    milestone.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_yen == 11_000
    assert payment.provider_reference.startswith("ch_test_")
    assert milestone.status == MilestoneStatus.FUNDED
    assert account_balance(kind=AccountKind.HOLD, reference=f"milestone:{milestone.pk}") == 11_000
    assert account_balance(kind=AccountKind.EXTERNAL, reference="provider:card") == -11_000
    assert_ledger_ok()


def test_a_bank_transfer_waits_for_the_operator_to_confirm_the_deposit():
    contract, (milestone,) = contract_with(10_000)
    operator = UserFactory(is_staff=True)

    # when: the client asks to pay by transfer
    payment = escrow.milestone_fund(milestone=milestone, by=contract.client, method="bank_transfer")

    # then: nothing is funded yet, the client has a code and a deadline
    milestone.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.provider_reference.startswith("TSG")
    assert payment.due_on is not None
    assert milestone.status == MilestoneStatus.PENDING
    assert account_balance(kind=AccountKind.HOLD, reference=f"milestone:{milestone.pk}") == 0

    # when: the operator sees the money arrive
    funding.payment_deposit_confirm(payment=payment, by=operator)

    # then
    milestone.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.confirmed_by == operator
    assert milestone.status == MilestoneStatus.FUNDED
    assert account_balance(kind=AccountKind.HOLD, reference=f"milestone:{milestone.pk}") == 11_000
    assert_ledger_ok()


def test_only_an_operator_confirms_a_deposit_and_only_once():
    contract, (milestone,) = contract_with(10_000)
    payment = escrow.milestone_fund(milestone=milestone, by=contract.client, method="bank_transfer")

    with pytest.raises(PermissionDenied):
        funding.payment_deposit_confirm(payment=payment, by=contract.client)

    operator = UserFactory(is_staff=True)
    funding.payment_deposit_confirm(payment=payment, by=operator)
    before = table_counts()
    with pytest.raises(Conflict) as again:
        funding.payment_deposit_confirm(payment=payment, by=operator)
    assert again.value.code == "payment_not_pending"
    assert table_counts() == before


def test_a_milestone_with_a_transfer_pending_cannot_be_paid_again_until_it_is_cancelled():
    contract, (milestone,) = contract_with(10_000)
    pending = escrow.milestone_fund(milestone=milestone, by=contract.client, method="bank_transfer")

    with pytest.raises(Conflict) as refused:
        escrow.milestone_fund(
            milestone=milestone, by=contract.client, method="card", card_token=CARD
        )
    assert refused.value.code == "payment_exists"

    funding.payment_cancel(payment=pending, by=contract.client)
    paid = escrow.milestone_fund(
        milestone=milestone, by=contract.client, method="card", card_token=CARD
    )
    assert paid.status == PaymentStatus.SUCCEEDED


def test_a_declined_card_writes_nothing():
    contract, (milestone,) = contract_with(10_000)
    before = table_counts()

    with pytest.raises(DomainError) as declined:
        escrow.milestone_fund(
            milestone=milestone, by=contract.client, method="card", card_token="tok_declined"
        )

    assert declined.value.status == 402
    assert declined.value.code == "card_declined"
    assert table_counts() == before


@pytest.mark.parametrize(
    ("method", "token", "code"),
    [("cash", None, "invalid_method"), ("card", None, "card_token_required")],
)
def test_a_payment_needs_a_known_method_and_a_card(method, token, code):
    contract, (milestone,) = contract_with(10_000)
    before = table_counts()

    with pytest.raises(DomainError) as refused:
        escrow.milestone_fund(
            milestone=milestone, by=contract.client, method=method, card_token=token
        )

    assert refused.value.code == code
    assert table_counts() == before


def test_monthly_invoices_are_for_organizations():
    # given: an individual client
    contract, (milestone,) = contract_with(10_000)

    with pytest.raises(RuleViolation) as refused:
        escrow.milestone_fund(milestone=milestone, by=contract.client, method="invoice")
    assert refused.value.code == "invoice_not_available"

    # given: an organization's contract
    client = UserFactory()
    organization = OrganizationFactory(owner=client)
    _, (org_milestone,) = contract_with(
        10_000, job__client=client, job__organization=organization, organization=organization
    )

    payment = escrow.milestone_fund(milestone=org_milestone, by=client, method="invoice")

    # then: funded at once, due at the end of next month
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.method == PaymentMethod.INVOICE
    assert payment.due_on is not None
    assert payment.due_on > timezone.localdate()
    assert payment.due_on.day in (28, 29, 30, 31)


def test_the_invoice_is_due_at_the_end_of_the_following_month():
    from tsunagu.payments.providers import invoice_outcome

    assert invoice_outcome(payment_id=1, today=date(2026, 12, 4)).due_on == date(2027, 1, 31)
    assert invoice_outcome(payment_id=1, today=date(2027, 1, 31)).due_on == date(2027, 2, 28)


def test_only_the_client_pays_for_a_milestone():
    contract, (milestone,) = contract_with(10_000)
    before = table_counts()

    with pytest.raises(NotFound):
        escrow.milestone_fund(
            milestone=milestone, by=contract.worker, method="card", card_token=CARD
        )
    assert table_counts() == before


# --- releasing on approval -------------------------------------------------------


def test_approving_a_10000_yen_milestone_pays_the_worker_8580_yen():
    contract, (milestone,) = contract_with(10_000)

    pay_and_approve(milestone, contract.client)

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.APPROVED
    assert worker_balance(contract.worker) == 8_580
    assert platform(AccountKind.FEE_REVENUE) == 2_200
    assert platform(AccountKind.FEE_TAX) == 220
    assert account_balance(kind=AccountKind.HOLD, reference=f"milestone:{milestone.pk}") == 0
    assert_ledger_ok()


def test_the_fee_bands_run_across_a_contracts_milestones():
    # given: ¥300,000 in three milestones; as one payment it is ¥330,000 with tax,
    # fee 20% of 100,000 + 10% of 100,000 + 5% of 130,000 = ¥36,500, tax ¥3,650
    contract, milestones = contract_with(100_000, 100_000, 100_000)

    for milestone in milestones:
        pay_and_approve(milestone, contract.client)

    assert platform(AccountKind.FEE_REVENUE) == 36_500
    assert platform(AccountKind.FEE_TAX) == 3_650
    assert worker_balance(contract.worker) == 330_000 - 36_500 - 3_650
    assert_ledger_ok()


def test_an_organization_that_withholds_pays_a_writer_net_of_withholding():
    # given: an organization that opted in, and writing work (subject to 源泉徴収)
    client = UserFactory()
    organization = OrganizationFactory(owner=client, withholds_income_tax=True)
    contract, (milestone,) = contract_with(
        10_000,
        job__client=client,
        job__organization=organization,
        job__category=category("writing"),
        organization=organization,
    )

    pay_and_approve(milestone, client)

    # then: 10.21% of the price without tax is withheld and goes back to the
    # client's card at once, for the client to remit to the tax office
    reference = f"milestone:{milestone.pk}"
    assert account_balance(kind=AccountKind.WITHHOLDING_PAYABLE, reference=reference) == 0
    assert account_balance(kind=AccountKind.EXTERNAL, reference="provider:card") == -11_000 + 1_021
    assert worker_balance(contract.worker) == 8_580 - 1_021
    (returned,) = JournalEntry.objects.filter(kind=EntryKind.WITHHOLDING_RETURN)
    assert (returned.reference, returned.dedupe_key) == (reference, f"withholding:{reference}")
    assert_ledger_ok()


def test_the_payment_report_still_shows_the_withheld_tax_after_it_went_back():
    # given: a withholding organization's writing milestone, approved
    client = UserFactory()
    organization = OrganizationFactory(owner=client, withholds_income_tax=True)
    _contract, (milestone,) = contract_with(
        10_000,
        job__client=client,
        job__organization=organization,
        job__category=category("writing"),
        organization=organization,
    )
    pay_and_approve(milestone, client)

    # when
    (line,) = payment_report(client=client, year=timezone.localdate().year)
    (receipt,) = client_receipts(
        client=client, year=timezone.localdate().year, month=timezone.localdate().month
    )

    # then
    assert line.withholding_yen == 1_021
    assert receipt.withholding_returned_yen == 1_021


@pytest.mark.parametrize(("opted_in", "slug"), [(False, "writing"), (True, "system-development")])
def test_no_withholding_without_the_opt_in_or_outside_its_categories(opted_in, slug):
    client = UserFactory()
    organization = OrganizationFactory(owner=client, withholds_income_tax=opted_in)
    contract, (milestone,) = contract_with(
        10_000,
        job__client=client,
        job__organization=organization,
        job__category=category(slug),
        organization=organization,
    )

    pay_and_approve(milestone, client)

    assert worker_balance(contract.worker) == 8_580


def test_an_unpaid_milestone_cannot_be_approved():
    contract, (milestone,) = contract_with(10_000)
    before = table_counts()

    with pytest.raises(Conflict) as refused:
        escrow.milestone_approve(milestone=milestone, by=contract.client)

    assert refused.value.code == "milestone_not_funded"
    assert table_counts() == before


def test_a_milestone_is_released_once():
    contract, (milestone,) = contract_with(10_000)
    pay_and_approve(milestone, contract.client)

    with pytest.raises(Conflict):
        escrow.milestone_approve(milestone=milestone, by=contract.client)
    assert worker_balance(contract.worker) == 8_580


def test_the_worker_cannot_approve_their_own_milestone():
    contract, (milestone,) = contract_with(10_000)
    pay_by_card(milestone, contract.client)

    with pytest.raises(NotFound):
        escrow.milestone_approve(milestone=milestone, by=contract.worker)
    assert worker_balance(contract.worker) == 0


# --- refunds and chargebacks -----------------------------------------------------


def test_an_operator_cancels_a_paid_milestone_and_the_money_goes_back():
    contract, (milestone,) = contract_with(10_000)
    payment = escrow.milestone_fund(
        milestone=milestone, by=contract.client, method="card", card_token=CARD
    )

    escrow.milestone_cancel(milestone=milestone, by=UserFactory(is_staff=True))

    milestone.refresh_from_db()
    payment.refresh_from_db()
    assert milestone.status == MilestoneStatus.CANCELLED
    assert payment.status == PaymentStatus.REFUNDED
    assert account_balance(kind=AccountKind.EXTERNAL, reference="provider:card") == 0
    assert_ledger_ok()


def test_a_client_cannot_cancel_a_paid_milestone_alone():
    contract, (milestone,) = contract_with(10_000)
    pay_by_card(milestone, contract.client)

    with pytest.raises(NotFound):
        escrow.milestone_cancel(milestone=milestone, by=contract.client)


def test_a_chargeback_is_booked_once_as_the_platforms_loss():
    contract, (milestone,) = contract_with(10_000)
    payment = escrow.milestone_fund(
        milestone=milestone, by=contract.client, method="card", card_token=CARD
    )
    escrow.milestone_approve(milestone=milestone, by=contract.client)

    for _ in range(2):  # the network reports the same dispute twice
        funding.payment_chargeback(
            provider_reference=payment.provider_reference, dispute_id="dp_1", amount_yen=11_000
        )

    # then: the worker's net comes back from their balance; the fee stays lost
    reference = f"milestone:{milestone.pk}"
    assert account_balance(kind=AccountKind.LOSSES, reference=reference) == -11_000 + 8_580
    assert worker_balance(contract.worker) == 0
    assert JournalEntry.objects.filter(kind=EntryKind.CHARGEBACK_RECOVERY).count() == 1
    assert_ledger_ok()


# --- competitions -------------------------------------------------------------------


def test_a_paid_prize_goes_to_the_winner_on_award():
    competition = CompetitionFactory(prize_yen=10_000)
    job = competition.job
    winner = WorkerFactory()
    entry = CompetitionEntry.objects.create(
        competition=competition, worker=winner, title="案A", status=EntryStatus.SUBMITTED
    )
    escrow.competition_fund(job=job, by=job.client, method="card", card_token=CARD)

    services.competition_award(job=job, by=job.client, winners=[entry])

    assert worker_balance(winner) == 8_580
    assert_ledger_ok()


def test_a_competition_with_several_winners_pays_each_prize_into_its_own_hold():
    competition = CompetitionFactory(prize_yen=10_000, winner_count=2)

    payments = escrow.competition_fund(
        job=competition.job, by=competition.job.client, method="card", card_token=CARD
    )

    assert [payment.reference for payment in payments] == [
        f"competition:{competition.pk}:prize:1",
        f"competition:{competition.pk}:prize:2",
    ]
    assert [payment.amount_yen for payment in payments] == [11_000, 11_000]
    for payment in payments:
        assert account_balance(kind=AccountKind.HOLD, reference=payment.reference) == 11_000
    assert_ledger_ok()


def test_paying_does_not_leave_a_payment_row_behind_on_refusal():
    contract, (milestone,) = contract_with(10_000)
    pay_by_card(milestone, contract.client)

    with pytest.raises(Conflict):
        escrow.milestone_fund(
            milestone=milestone, by=contract.client, method="card", card_token=CARD
        )

    assert Payment.objects.filter(reference=f"milestone:{milestone.pk}").count() == 1
