"""Deliveries of work and their files.

A ``Delivery`` is a worker's submission for one milestone; the client
approves it, asks for a revision, or lets the review window pass, after
which the sweep approves it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.work.models import Milestone


class DeliveryStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    AUTO_APPROVED = "auto_approved", _("Approved automatically")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Delivery(models.Model):
    """A worker's submission of a milestone's work, with a message and files.

    ``review_due_at`` is when the client's review window ends; a delivery
    still ``submitted`` then is approved by the sweep. At most one delivery
    of a milestone awaits review at a time.
    """

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="deliveries")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deliveries"
    )
    message = models.TextField(_("message"))
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    review_due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "review_due_at"], name="delivery_review_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(status="submitted"),
                name="delivery_one_awaiting_review",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of milestone {self.milestone_id} ({self.status})"


class DeliveryFile(models.Model):
    """A file of a delivery, stored outside the web root under ``storage_name``.

    ``original_name`` is only ever shown and offered as the download's name;
    it never takes part in a path.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="files")
    storage_name = models.CharField(max_length=64, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
