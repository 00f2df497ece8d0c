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

from tsunagu.process.services import deliveries_auto_approve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    deliveries_auto_approved: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep_run(*, now: datetime | None = None) -> SweepResult:
    """Run every due step once; returns what each step did."""
    # TODO(#4): overdue warnings, reminders and notifications join the sweep.
    now = now or timezone.now()
    result = SweepResult(deliveries_auto_approved=deliveries_auto_approve(now=now))
    logger.info("process: sweep done %s", result.as_dict())
    return result
