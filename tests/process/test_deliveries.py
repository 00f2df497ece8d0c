"""Delivering a milestone, the client's review, and approval after the window."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from tests.db_state import table_counts
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import Conflict, DomainError, NotFound
from tsunagu.payments.models import AccountKind
from tsunagu.payments.selectors import account_balance, ledger_check
from tsunagu.process import services
from tsunagu.process.models import DeliveryStatus
from tsunagu.process.sweep import sweep_run
from tsunagu.work.models import MilestoneStatus

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def balance_of(milestone) -> int:
    worker = f"user:{milestone.contract.worker_id}"
    return account_balance(kind=AccountKind.WORKER_BALANCE, reference=worker)


def deliver(milestone):
    return services.delivery_submit(
        milestone=milestone, by=milestone.contract.worker, message="納品します。", files=[pdf()]
    )


@pytest.mark.django_db
def test_a_worker_delivers_and_the_client_approves(funded):
    delivery = deliver(funded)
    funded.refresh_from_db()
    assert funded.status == MilestoneStatus.SUBMITTED
    assert delivery.files.get().content_type == "application/pdf"
    assert delivery.review_due_at - delivery.submitted_at == timedelta(days=14)

    services.delivery_approve(delivery=delivery, by=funded.contract.client)

    delivery.refresh_from_db()
    funded.refresh_from_db()
    assert delivery.status == DeliveryStatus.APPROVED
    assert funded.status == MilestoneStatus.APPROVED
    assert balance_of(funded) == 8_580
    trail = list(
        AuditEvent.objects.filter(machine="milestone", object_id=funded.pk).values_list(
            "from_state", "to_state"
        )
    )
    assert trail == [("pending", "funded"), ("funded", "submitted"), ("submitted", "approved")]
    assert ledger_check().problems == []


@pytest.mark.django_db
def test_a_revision_sends_the_milestone_back_to_work_with_the_money_held(funded):
    delivery = deliver(funded)

    services.delivery_revision_request(
        delivery=delivery, by=funded.contract.client, reason="グラフを追加してください"
    )

    delivery.refresh_from_db()
    funded.refresh_from_db()
    assert delivery.status == DeliveryStatus.REVISION_REQUESTED
    assert delivery.decision_reason == "グラフを追加してください"
    assert funded.status == MilestoneStatus.FUNDED
    assert balance_of(funded) == 0
    again = deliver(funded)  # the worker delivers again
    assert again.status == DeliveryStatus.SUBMITTED


@pytest.mark.django_db
def test_a_revision_needs_a_reason(funded):
    delivery = deliver(funded)
    before = table_counts()

    with pytest.raises(DomainError) as refused:
        services.delivery_revision_request(delivery=delivery, by=funded.contract.client, reason="")

    assert refused.value.code == "reason_required"
    assert table_counts() == before


@pytest.mark.django_db
def test_an_unpaid_milestone_cannot_be_delivered(private_dir):
    from tests.factories import ContractFactory

    contract = ContractFactory(price_yen=10_000)
    milestone = contract.milestones.get()
    before = table_counts()

    with pytest.raises(Conflict) as refused:
        services.delivery_submit(
            milestone=milestone, by=contract.worker, message="納品します", files=[pdf()]
        )

    assert refused.value.code == "illegal_transition"
    assert refused.value.extra == {"state": "pending", "allowed": ["cancelled", "funded"]}
    assert table_counts() == before
    assert not [path for path in private_dir.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_only_the_contracts_worker_delivers_and_only_its_client_decides(funded):
    with pytest.raises(NotFound):
        services.delivery_submit(milestone=funded, by=funded.contract.client, message="x", files=[])
    delivery = deliver(funded)

    with pytest.raises(NotFound):
        services.delivery_approve(delivery=delivery, by=funded.contract.worker)
    assert balance_of(funded) == 0


@pytest.mark.django_db
def test_a_decided_delivery_cannot_be_decided_again(funded):
    delivery = deliver(funded)
    services.delivery_approve(delivery=delivery, by=funded.contract.client)
    before = table_counts()

    with pytest.raises(Conflict) as refused:
        services.delivery_revision_request(delivery=delivery, by=funded.contract.client, reason="x")

    assert refused.value.code == "illegal_transition"
    assert table_counts() == before
    assert balance_of(funded) == 8_580


# --- the review window ------------------------------------------------------------


@pytest.mark.django_db
def test_silence_for_14_days_approves_and_releases_exactly_once(funded):
    deliver(funded)

    with time_machine.travel(timezone.now() + timedelta(days=13, hours=23)):
        assert sweep_run().deliveries_auto_approved == 0
    assert balance_of(funded) == 0

    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        assert sweep_run().deliveries_auto_approved == 1
        assert sweep_run().deliveries_auto_approved == 0

    funded.refresh_from_db()
    assert funded.status == MilestoneStatus.APPROVED
    assert balance_of(funded) == 8_580
    event = AuditEvent.objects.get(machine="delivery", to_state="auto_approved")
    assert event.actor is None
    assert ledger_check().problems == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent sweeps and row locks"
)
def test_two_sweeps_at_once_release_each_delivery_once(taxonomy, funded):
    # given: several deliveries past their window
    from tests.factories import ContractFactory, MilestoneFactory
    from tsunagu.work import escrow

    milestones = [funded]
    for _ in range(5):
        contract = ContractFactory(price_yen=10_000, milestone=None)
        milestone = MilestoneFactory(contract=contract, amount_yen=10_000)
        escrow.milestone_fund(
            milestone=milestone, by=contract.client, method="card", card_token="tok_visa"
        )
        milestones.append(milestone)
    for milestone in milestones:
        milestone.refresh_from_db()
        deliver(milestone)
    # when: 15 days later, two whole sweeps run at the same moment on their own
    # connections (time_machine moves the clock of every thread)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            counts.append(sweep_run().deliveries_auto_approved)
        finally:
            connection.close()

    with time_machine.travel(timezone.now() + timedelta(days=15)):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        again = sweep_run().deliveries_auto_approved

    # then: every delivery approved once between them, each worker paid once
    assert sum(counts) == len(milestones)
    assert again == 0
    assert all(balance_of(milestone) == 8_580 for milestone in milestones)
    assert ledger_check().problems == []


@pytest.mark.django_db
def test_completing_the_contract_releases_a_paid_milestone_once(funded):
    from tsunagu.work import services as work_services

    delivery = deliver(funded)

    # when: the client completes the contract instead of reviewing the delivery
    work_services.contract_complete(contract=funded.contract, by=funded.contract.client)

    # then: paid once; the sweep later closes the delivery without paying again
    funded.refresh_from_db()
    assert funded.status == MilestoneStatus.APPROVED
    assert balance_of(funded) == 8_580
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert sweep_run().deliveries_auto_approved == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.AUTO_APPROVED
    assert balance_of(funded) == 8_580
    assert ledger_check().problems == []


@pytest.mark.django_db
def test_a_milestone_kept_in_revision_is_flagged_before_its_payment_is_due(funded):
    from tsunagu.process.selectors import payment_deadlines_at_risk

    # given: delivered, then sent back for revision, so nothing is released
    delivery = deliver(funded)
    services.delivery_revision_request(delivery=delivery, by=funded.contract.client, reason="修正")
    received = delivery.submitted_at
    due_days = funded.contract.payment_due_days

    # then: not flagged at first, at risk in the last week, overdue after the due date
    assert payment_deadlines_at_risk(now=received + timedelta(days=1)) == []
    (at_risk,) = payment_deadlines_at_risk(now=received + timedelta(days=due_days - 3))
    assert at_risk.milestone_id == funded.pk
    assert at_risk.due_at == received + timedelta(days=due_days)
    assert not at_risk.overdue
    (late,) = payment_deadlines_at_risk(now=received + timedelta(days=due_days + 1))
    assert late.overdue
    with time_machine.travel(received + timedelta(days=due_days + 1)):
        assert sweep_run().payments_overdue == 1


@pytest.mark.django_db
def test_an_approved_milestone_is_never_flagged(funded):
    from tsunagu.process.selectors import payment_deadlines_at_risk

    delivery = deliver(funded)
    services.delivery_approve(delivery=delivery, by=funded.contract.client)

    assert payment_deadlines_at_risk(now=delivery.submitted_at + timedelta(days=90)) == []
