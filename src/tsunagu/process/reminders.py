"""Warnings the sweep sends when a date passes that someone must act on.

- ``delivery_overdue``: a paid milestone's delivery date has passed and
  nothing was delivered; both sides are told, once per milestone.
- ``payment_due_soon``: delivered work is not approved and the payment the
  freelance act requires falls due within a week (or has passed); the
  client is told, once per milestone.

Each warning is a notification (in the app and by mail after commit). A
warning already sent for a milestone is not sent again, so the sweep can run
every minute.
"""

from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import notify
from tsunagu.process.selectors import payment_deadlines_at_risk
from tsunagu.work.models import ContractStatus, Milestone, MilestoneStatus


def deadline_warnings_send(*, now: datetime | None = None) -> int:
    """Send the warnings that are due; returns how many notifications were written."""
    now = now or timezone.now()
    sent = 0

    late = Milestone.objects.filter(
        status=MilestoneStatus.FUNDED,
        due_date__lt=timezone.localdate(now),
        contract__status=ContractStatus.ACTIVE,
    ).select_related("contract__client", "contract__worker")
    for milestone in late:
        contract = milestone.contract
        assert milestone.due_date is not None  # filtered above
        for recipient in (contract.client, contract.worker):
            sent += _warn_once(milestone, recipient, Kind.DELIVERY_OVERDUE, due=milestone.due_date)

    due = {deadline.milestone_id: deadline for deadline in payment_deadlines_at_risk(now=now)}
    for milestone in Milestone.objects.filter(pk__in=list(due)).select_related("contract__client"):
        due_on = timezone.localdate(due[milestone.pk].due_at)
        sent += _warn_once(milestone, milestone.contract.client, Kind.PAYMENT_DUE_SOON, due=due_on)
    return sent


@transaction.atomic
def _warn_once(milestone: Milestone, recipient: User, kind: str, *, due: date) -> int:
    already = Notification.objects.filter(
        recipient=recipient, kind=kind, params__milestone_id=milestone.pk
    ).exists()
    if already:
        return 0
    notify(
        recipient=recipient,
        kind=kind,
        link=reverse("web:contract_detail", args=[milestone.contract_id]),
        params={
            "contract_id": milestone.contract_id,
            "contract_title": milestone.contract.title,
            "milestone_id": milestone.pk,
            "milestone_title": milestone.title,
            "due_date": due.isoformat(),
        },
    )
    return 1
