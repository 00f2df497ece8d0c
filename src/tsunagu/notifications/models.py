"""A notification: one person is told that something needs them, once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.notifications.kinds import Kind, headline


class Notification(models.Model):
    """What happened (``kind`` and ``params``: ids and titles), for whom, and where to look.

    ``link`` is a path on this site; the mail prefixes ``SITE_URL``.
    ``emailed_at`` is set when the mail task takes the row, so a task run
    twice sends one mail.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.CheckConstraint(
                condition=Q(link__startswith="/"), name="notification_link_is_a_path"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to user {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def text(self) -> str:
        """What happened, in the active language."""
        return headline(self.kind, self.params)
