"""Reads for process control: payment deadlines under the freelance act.

Japan's freelance act (フリーランス・事業者間取引適正化等法) wants a worker paid
within 60 days of the client receiving the work, and the contract states the
days (``Contract.payment_due_days``, at most 60). The clock starts with the
first delivery of a milestone; it stops when the milestone is approved (its
hold released to the worker's balance, from which the worker can withdraw at
any time).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from tsunagu.work.models import Milestone, MilestoneStatus

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
