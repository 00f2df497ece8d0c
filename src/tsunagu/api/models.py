"""What the API itself stores: the idempotency keys of calls that move money."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a caller sent, and the response it got.

    ``caller`` scopes the key (``user:12``; API keys will add their own
    prefix), so two callers may use the same key. ``fingerprint`` is the
    SHA-256 of the method, the path and the body: the same key with another
    request is refused. While ``in_progress`` the first call is still
    running; ``done`` rows hold the response to replay. Rows are purged
    after the retention (``tsunagu purge-idempotency-keys``).
    """

    caller = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=12, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key"),
            models.CheckConstraint(
                condition=models.Q(state__in=IdempotencyState.values),
                name="idempotency_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state=IdempotencyState.IN_PROGRESS)
                | models.Q(response_status__isnull=False),
                name="idempotency_done_has_response",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key} ({self.state})"
