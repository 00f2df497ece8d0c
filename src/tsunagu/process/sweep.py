"""Everything that falls due by the clock, run once: the periodic sweep.

Django's database task backend runs one-off tasks but schedules nothing, so
what must happen at a time (approving deliveries and task answers whose
review window has passed, expiring unanswered task claims, closing
competitions nobody was awarded and refunding their prizes, ...) is found
and done here. ``tsunagu sweep`` runs it once, for cron; ``tsunagu worker``
runs it every minute beside the task queue. Each step is safe to run twice
and from two processes at once.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone

from tsunagu.process.reminders import deadline_warnings_send
from tsunagu.process.selectors import payment_deadlines_at_risk
from tsunagu.process.services import deliveries_auto_approve
from tsunagu.process.task_units import task_answers_auto_approve, task_claims_expire
from tsunagu.work.services import competitions_close_unawarded_due

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    deliveries_auto_approved: int
    payments_at_risk: int
    payments_overdue: int
    task_answers_auto_approved: int
    task_claims_expired: int
    competitions_closed: int = 0
    warnings_sent: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep_run(*, now: datetime | None = None) -> SweepResult:
    """Run every due step once; returns what each step did."""
    now = now or timezone.now()
    approved = deliveries_auto_approve(now=now)
    answers_approved = task_answers_auto_approve(now=now)
    claims_expired = task_claims_expire(now=now)
    competitions_closed = competitions_close_unawarded_due(now=now)
    deadlines = payment_deadlines_at_risk(now=now)
    overdue = [deadline for deadline in deadlines if deadline.overdue]
    for deadline in overdue:
        logger.warning(
            "process: milestone %s unpaid past its due date under the freelance act",
            deadline.milestone_id,
        )
    result = SweepResult(
        deliveries_auto_approved=approved,
        payments_at_risk=len(deadlines) - len(overdue),
        payments_overdue=len(overdue),
        task_answers_auto_approved=answers_approved,
        task_claims_expired=claims_expired,
        competitions_closed=competitions_closed,
        warnings_sent=deadline_warnings_send(now=now),
    )
    logger.info("process: sweep done %s", result.as_dict())
    return result
