"""The audit trail: every status change of an order, written once.

Who moved what from which state to which, when and why. The app imports no
domain app, so that work, payments and process can all record into it.
"""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One transition of one object. ``actor`` is None for the platform's sweeps."""

    machine = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    from_state = models.CharField(max_length=24)
    to_state = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["machine", "object_id"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.machine} {self.object_id}: {self.from_state} -> {self.to_state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("audit events are written once")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("audit events are never deleted")
