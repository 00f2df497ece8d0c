"""Background work of notifications: the mail of one notification.

Queued by ``notify`` after the commit and run by ``tsunagu worker`` (the
database task backend). The mail is written in the recipient's language
from the kind's template, names nobody but the recipient and links to the
notification's page.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from tsunagu.accounts.models import User
from tsunagu.notifications.kinds import headline
from tsunagu.notifications.models import Notification

logger = logging.getLogger(__name__)


def recipient_language(user: User) -> str:
    """The language a person's mail is written in."""
    # TODO(#4): people cannot choose a language for mail yet (the page
    # language lives in a cookie), so every mail is in LANGUAGE_CODE (Japanese).
    return str(settings.LANGUAGE_CODE)


@task()
def notification_email_send(notification_id: int) -> bool:
    """Mail one notification to its recipient, once; False when nothing was sent.

    Takes the row by setting ``emailed_at`` first, so a task delivered twice
    mails once; if sending fails the mark is taken back and the error raised,
    so the task shows as failed. A closed account gets no mail.
    """
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None:
        return False  # the person was deleted meanwhile
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    taken = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not taken:
        return False

    with translation.override(recipient_language(recipient)):
        subject = headline(notification.kind, notification.params)
        body = render_to_string(
            f"notifications/mail/{notification.kind}.txt",
            {
                "name": recipient.display_name,
                "params": notification.params,
                "url": f"{settings.SITE_URL}{notification.link}",
            },
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    except Exception:
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        logger.exception("notifications: mail of notification %s failed", notification.pk)
        raise
    return True
