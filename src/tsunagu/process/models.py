"""Deliveries of work and their files; task units and their answers.

A ``Delivery`` is a worker's submission for one milestone; the client
approves it, asks for a revision, or lets the review window pass, after
which the sweep approves it. A ``TaskUnit`` is one item of a task batch and
a ``TaskAnswer`` one worker's claim on it, answer and its review.
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


# --- task units and answers (the task format's quality control) ------------


class TaskUnit(models.Model):
    """One item of a task batch for workers to label, answered by up to ``redundancy``.

    ``payload`` is what the worker sees (``{"text": ...}``, ``{"image_url":
    ...}``); ``choices`` the allowed answers, in the order that breaks a tie.
    ``gold_answer`` is set (not blank) on a gold unit, whose answer the
    client knows and which scores the workers; workers are not told which
    units are gold.
    ``claims`` counts the answers alive on the unit (claimed, submitted,
    approved); a rejected or expired answer frees its place. ``consensus_*``
    is written by the batch's aggregation (blank and None until then, or
    while nobody answered).
    """

    batch = models.ForeignKey("work.TaskBatch", on_delete=models.CASCADE, related_name="units")
    position = models.PositiveIntegerField()
    payload = models.JSONField()
    choices = models.JSONField()
    gold_answer = models.CharField(max_length=100, blank=True)
    redundancy = models.PositiveSmallIntegerField(default=1)
    claims = models.PositiveSmallIntegerField(default=0)
    consensus_answer = models.CharField(max_length=100, blank=True)
    consensus_confidence = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    aggregated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="task_unit_position"),
            models.CheckConstraint(
                condition=Q(redundancy__gte=1), name="task_unit_redundancy_positive"
            ),
            models.CheckConstraint(
                condition=Q(claims__lte=models.F("redundancy")),
                name="task_unit_claims_within_redundancy",
            ),
        ]

    def __str__(self) -> str:
        return f"unit {self.position} of batch {self.batch_id}"


class TaskAnswerStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    SUBMITTED = "submitted", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    AUTO_APPROVED = "auto_approved", _("Approved automatically")
    EXPIRED = "expired", _("Expired")


# An answer holding a place on its unit and counting against the worker's cap.
TASK_ANSWER_LIVE = (
    TaskAnswerStatus.CLAIMED,
    TaskAnswerStatus.SUBMITTED,
    TaskAnswerStatus.APPROVED,
    TaskAnswerStatus.AUTO_APPROVED,
)
TASK_ANSWER_DECIDED = (
    TaskAnswerStatus.APPROVED,
    TaskAnswerStatus.REJECTED,
    TaskAnswerStatus.AUTO_APPROVED,
)


class TaskAnswer(models.Model):
    """A worker's claim on a unit, then their answer and the client's decision.

    A claim not answered by ``claim_expires_at`` expires (the sweep); an
    answer not reviewed by ``review_due_at`` is approved (the sweep). A
    worker answers a unit at most once, whatever became of the answer.
    """

    unit = models.ForeignKey(TaskUnit, on_delete=models.PROTECT, related_name="answers")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_answers"
    )
    answer = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=16, choices=TaskAnswerStatus.choices, default=TaskAnswerStatus.CLAIMED
    )
    reason = models.TextField(blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    claim_expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["unit", "id"]
        indexes = [
            models.Index(fields=["status", "review_due_at"], name="task_answer_review_due"),
            models.Index(fields=["status", "claim_expires_at"], name="task_answer_claim_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["unit", "worker"], name="task_answer_once_per_unit"),
            models.CheckConstraint(
                condition=Q(status__in=["claimed", "expired"])
                | (Q(submitted_at__isnull=False) & Q(review_due_at__isnull=False) & ~Q(answer="")),
                name="task_answer_submitted_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "rejected", "auto_approved"])
                | Q(decided_at__isnull=False),
                name="task_answer_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="task_answer_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to unit {self.unit_id} ({self.status})"


# --- contract changes and disputes -------------------------------------------------


class ChangeKind(models.TextChoices):
    ADD_MILESTONE = "add_milestone", _("Add a milestone")
    CHANGE_PRICE = "change_price", _("Change a milestone's price")
    CHANGE_DEADLINE = "change_deadline", _("Change a deadline")
    END_EARLY = "end_early", _("End the contract early")
    CANCEL_WITH_SPLIT = "cancel_with_split", _("Cancel a paid milestone with a split")


class ChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ContractChange(models.Model):
    """A change to a contract's terms that one side proposes and the other answers.

    ``terms_before`` and ``terms_after`` record the terms the change touches
    as they stood when it was proposed and as the change leaves them
    (amounts in yen without tax, dates as ISO strings). ``milestone`` is the
    milestone concerned, if any. At most one change of a contract awaits an
    answer at a time.
    """

    contract = models.ForeignKey("work.Contract", on_delete=models.PROTECT, related_name="changes")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contract_changes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChangeKind.choices)
    terms_before = models.JSONField(default=dict)
    terms_after = models.JSONField(default=dict)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(status="proposed"),
                name="contract_change_one_open",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ChangeKind.values), name="contract_change_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_at__isnull=False),
                name="contract_change_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"change {self.pk} of contract {self.contract_id} ({self.kind}, {self.status})"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Dispute(models.Model):
    """A disagreement over a paid milestone, resolved by an operator with a split.

    While a dispute is open the milestone's money stays held: the sweep
    does not approve its delivery and nothing releases it. The resolution is
    ``worker_share_yen``, the worker's part of the milestone's price without
    tax (0 to the whole price); the rest goes back to the client.
    """

    contract = models.ForeignKey("work.Contract", on_delete=models.PROTECT, related_name="disputes")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_opened"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    worker_share_yen = models.PositiveBigIntegerField(
        _("worker's share (yen, without tax)"), null=True, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "contract"], name="dispute_status_contract")]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=Q(status="open"), name="dispute_one_open"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved")
                | Q(
                    worker_share_yen__isnull=False,
                    resolved_by__isnull=False,
                    resolved_at__isnull=False,
                ),
                name="dispute_resolved_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} of milestone {self.milestone_id} ({self.status})"
