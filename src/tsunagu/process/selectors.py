"""Reads for process control: payment deadlines under the freelance act.

Japan's freelance act (フリーランス・事業者間取引適正化等法) wants a worker paid
within 60 days of the client receiving the work, and the contract states the
days (``Contract.payment_due_days``, at most 60). The clock starts with the
first delivery of a milestone; it stops when the milestone is approved (its
hold released to the worker's balance, from which the worker can withdraw at
any time).

``contract_milestones`` reads what the contract page shows of each
milestone: its payment, deliveries and release.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from django.db.models import Min, Prefetch, prefetch_related_objects
from django.utils import timezone

from tsunagu.payments.fees import price_with_tax
from tsunagu.payments.models import (
    EntryKind,
    JournalEntry,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tsunagu.process.models import Delivery, DeliveryStatus
from tsunagu.work.models import Contract, Milestone, MilestoneStatus
from tsunagu.work.statements import ReleaseLine, release_lines

AT_RISK_DAYS = 7  # flag an unpaid milestone this many days before its due date


@dataclass(frozen=True)
class PaymentDeadline:
    milestone_id: int
    contract_id: int
    received_at: datetime
    due_at: datetime
    overdue: bool


def payment_deadlines_at_risk(*, now: datetime | None = None) -> list[PaymentDeadline]:
    """Delivered, unapproved milestones due within ``AT_RISK_DAYS`` or overdue, soonest first.

    One query; the due dates are worked out here rather than in SQL, where
    date arithmetic differs between SQLite and PostgreSQL. The rows are the
    milestones under review or revision, which active work bounds.
    """
    now = now or timezone.now()
    rows = (
        Milestone.objects.filter(
            status__in=[MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED],
            deliveries__isnull=False,
        )
        .annotate(received_at=Min("deliveries__submitted_at"))
        .values_list("pk", "contract_id", "received_at", "contract__payment_due_days")
    )
    horizon = now + timedelta(days=AT_RISK_DAYS)
    deadlines = []
    for pk, contract_id, received_at, due_days in rows:
        due_at = received_at + timedelta(days=due_days)
        if due_at <= horizon:
            deadlines.append(
                PaymentDeadline(
                    milestone_id=pk,
                    contract_id=contract_id,
                    received_at=received_at,
                    due_at=due_at,
                    overdue=due_at < now,
                )
            )
    return sorted(deadlines, key=lambda deadline: (deadline.due_at, deadline.milestone_id))


# --- the contract page's milestones ----------------------------------------------------


class MilestoneStep(IntEnum):
    """Where a milestone stands, as the contract page's progress shows it."""

    AWAITING_PAYMENT = 1  # 仮払い待ち
    IN_PROGRESS = 2  # 作業中
    AWAITING_REVIEW = 3  # 検収待ち
    DONE = 4  # 完了


_STEPS = {
    MilestoneStatus.PENDING: MilestoneStep.AWAITING_PAYMENT,
    MilestoneStatus.FUNDED: MilestoneStep.IN_PROGRESS,
    MilestoneStatus.SUBMITTED: MilestoneStep.AWAITING_REVIEW,
    MilestoneStatus.APPROVED: MilestoneStep.DONE,
}


@dataclass(frozen=True)
class MilestoneProgress:
    """A milestone with its money and deliveries, for the contract page.

    ``price_with_tax_yen``: what the client pays (today's rate before
    payment, the paid amount after); ``payment``: the live or last
    payment; ``deliveries``: newest first, files prefetched; ``release``:
    how the hold was split once released.
    """

    milestone: Milestone
    price_with_tax_yen: int
    payment: Payment | None
    deliveries: list[Delivery]
    release: ReleaseLine | None

    @property
    def step(self) -> int:
        """1-4 along the progress; 0 for a cancelled milestone."""
        return int(_STEPS.get(MilestoneStatus(self.milestone.status), 0))

    @property
    def pending_transfer(self) -> Payment | None:
        """A bank transfer the client has yet to make."""
        payment = self.payment
        if (
            payment is not None
            and payment.method == PaymentMethod.BANK_TRANSFER
            and payment.status == PaymentStatus.PENDING
        ):
            return payment
        return None

    @property
    def awaiting_review(self) -> Delivery | None:
        return next((d for d in self.deliveries if d.status == DeliveryStatus.SUBMITTED), None)


def contract_milestones(contract: Contract) -> list[MilestoneProgress]:
    """The contract's milestones with payments, deliveries and releases.

    A fixed number of queries however many milestones and deliveries: the
    milestones (unless prefetched), their deliveries and files, the
    payments, and the release entries (``release_lines``).
    """
    milestones = list(contract.milestones.all())  # prefetched by ``contract_detail``
    prefetch_related_objects(
        milestones,
        Prefetch("deliveries", queryset=Delivery.objects.prefetch_related("files")),
    )
    references = {f"milestone:{milestone.pk}": milestone for milestone in milestones}

    payments: dict[str, Payment] = {}
    rows = Payment.objects.filter(reference__in=list(references)).exclude(
        status=PaymentStatus.CANCELLED
    )
    for payment in rows.order_by("created_at", "pk"):
        payments[payment.reference] = payment  # the newest wins

    released = [r for r, m in references.items() if m.status == MilestoneStatus.APPROVED]
    releases: dict[str, ReleaseLine] = {}
    if released:
        entries = JournalEntry.objects.filter(kind=EntryKind.RELEASE, reference__in=released)
        releases = {line.reference: line for line in release_lines(entries)}

    today = timezone.localdate()
    return [
        MilestoneProgress(
            milestone=milestone,
            price_with_tax_yen=(
                payments[reference].amount_yen
                if reference in payments
                else price_with_tax(price_yen=milestone.amount_yen, on=today)
            ),
            payment=payments.get(reference),
            deliveries=list(milestone.deliveries.all()),
            release=releases.get(reference),
        )
        for reference, milestone in references.items()
    ]
