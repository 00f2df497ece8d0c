"""Everything that falls due by the clock, run once: the periodic sweep.

Django's database task backend runs one-off tasks but schedules nothing, so
what must happen at a time (approving deliveries whose review window has
passed, ...) is found and done here. ``tsunagu sweep`` runs it once, for
cron; ``tsunagu worker`` runs it every minute beside the task queue. Each
step is safe to run twice and from two processes at once.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone

from tsunagu.process.selectors import payment_deadlines_at_risk
from tsunagu.process.services import deliveries_auto_approve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    deliveries_auto_approved: int
    payments_at_risk: int
    payments_overdue: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep_run(*, now: datetime | None = None) -> SweepResult:
    """Run every due step once; returns what each step did."""
    # TODO(#4): overdue warnings, reminders and notifications join the sweep.
    now = now or timezone.now()
    approved = deliveries_auto_approve(now=now)
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
    )
    logger.info("process: sweep done %s", result.as_dict())
    return result
