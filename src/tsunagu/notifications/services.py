"""Every write to notifications: tell someone, mark what they have read.

``notify`` is called by the domain services at the transitions where the
other side must act, inside their transaction: the row commits (or rolls
back) with the change, and the mail is queued only after the commit.
"""

import logging
from collections.abc import Mapping
from functools import partial

from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.models import Notification
from tsunagu.notifications.tasks import notification_email_send

logger = logging.getLogger(__name__)


def notify(
    *, recipient: User, kind: str, link: str, params: Mapping[str, object] | None = None
) -> Notification:
    """Write a notification for ``recipient`` and mail it after the commit.

    ``kind`` is a ``Kind`` code, ``link`` a path on this site (``/contracts/7/``)
    and ``params`` the ids and titles the sentence names: never another
    person's details, since they go into the mail. Runs in the caller's
    transaction (or its own); the mail task is enqueued by
    ``transaction.on_commit``, so a rolled-back change mails nobody.
    Raises ``ValueError`` for an unknown kind or a link that is not a path.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind: {kind}")
    if not link.startswith("/"):
        raise ValueError("a notification links to a path on this site")

    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=recipient, kind=kind, link=link, params=dict(params or {})
        )
        transaction.on_commit(partial(notification_email_send.enqueue, notification.pk))
    logger.info("notifications: %s for user %s", kind, recipient.pk)
    return notification


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read: all of them, or those in ``ids``.

    Ids of other people's notifications are ignored, as if they did not
    exist. Returns how many were marked.
    """
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
