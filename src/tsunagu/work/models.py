"""Work in three formats and everything between posting and reviews.

A ``Job`` is a project (fixed price, milestones agreed in the contract), a
task batch (``TaskBatch``: N identical units at a unit price) or a
competition (``Competition``: a prize, entries, winners). Workers answer a
project with a ``Proposal``; clients reach workers with an ``Invitation``
(a scout, or a direct offer that becomes a contract when accepted). Prices
are whole yen without consumption tax.

Rows change only through ``tsunagu.work.services``; the CHECK and UNIQUE
constraints here are the backstop for what must never happen.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import Organization
from tsunagu.skills.models import Category, Skill

USER = settings.AUTH_USER_MODEL


class JobFormat(models.TextChoices):
    PROJECT = "project", _("Project")
    TASK = "task", _("Task")
    COMPETITION = "competition", _("Competition")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INVITED = "invited", _("Invited workers only")


class JobStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")


class Job(models.Model):
    """Posted work. ``budget_yen`` is the whole budget without tax.

    For a task batch it is units x unit price, for a competition the sum of
    the prizes; for a project it is the client's budget for the whole work.
    ``deadline`` is when proposals, entries or joining close;
    ``delivery_due`` is the date the client wants the work by, if any.
    """

    client = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="jobs_posted")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs"
    )
    format = models.CharField(_("format"), max_length=12, choices=JobFormat.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="jobs")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    budget_yen = models.PositiveBigIntegerField(_("budget (yen, without tax)"))
    deadline = models.DateTimeField(_("deadline"))
    delivery_due = models.DateField(_("delivery due"), null=True, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.OPEN)
    hires_wanted = models.PositiveSmallIntegerField(default=1)
    skills: models.ManyToManyField[Skill, "JobSkill"] = models.ManyToManyField(
        Skill, through="JobSkill", related_name="jobs"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility", "-created_at"], name="job_listing"),
            models.Index(fields=["category", "status"], name="job_category_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(budget_yen__gt=0), name="job_budget_positive"),
            models.CheckConstraint(condition=Q(hires_wanted__gte=1), name="job_hires_at_least_1"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_accepting(self) -> bool:
        """Open and before its deadline: proposals, entries and joins allowed."""
        return self.status == JobStatus.OPEN and self.deadline > timezone.now()


class JobSkill(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="job_skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="job_skills")
    required = models.BooleanField(default=True)
    min_level = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-required", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "skill"], name="one_job_skill_each"),
            models.CheckConstraint(
                condition=Q(min_level__gte=1) & Q(min_level__lte=5), name="job_skill_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({'required' if self.required else 'nice to have'})"


class TaskBatch(models.Model):
    """The terms of a task-format job: N identical units."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="task_batch")
    unit_count = models.PositiveIntegerField(_("units"))
    unit_price_yen = models.PositiveIntegerField(_("unit price (yen)"))
    per_worker_cap = models.PositiveIntegerField(_("units per worker at most"))
    qualification_skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    qualification_min_level = models.PositiveSmallIntegerField(default=1)
    instructions = models.TextField(_("instructions"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_count__gt=0), name="task_units_positive"),
            models.CheckConstraint(condition=Q(unit_price_yen__gt=0), name="task_price_positive"),
            models.CheckConstraint(condition=Q(per_worker_cap__gt=0), name="task_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_count} x ¥{self.unit_price_yen}"


class TaskParticipation(models.Model):
    """A worker who joined a task batch and may claim up to the cap."""

    batch = models.ForeignKey(TaskBatch, on_delete=models.CASCADE, related_name="participants")
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="task_participations")
    units_done = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "worker"], name="one_participation_each"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} in {self.batch}"


class Competition(models.Model):
    """The terms of a competition-format job: a prize per winner."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="competition")
    prize_yen = models.PositiveIntegerField(_("prize per winner (yen)"))
    winner_count = models.PositiveSmallIntegerField(_("winners"), default=1)
    awarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(prize_yen__gt=0), name="competition_prize_positive"),
            models.CheckConstraint(condition=Q(winner_count__gte=1), name="competition_winners"),
        ]

    def __str__(self) -> str:
        return f"¥{self.prize_yen} x {self.winner_count}"


class EntryStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    WON = "won", _("Won")
    NOT_SELECTED = "not_selected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CompetitionEntry(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="entries")
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="competition_entries")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        max_length=12, choices=EntryStatus.choices, default=EntryStatus.SUBMITTED
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Proposal(models.Model):
    """A worker's offer on a project: a price and a milestone plan."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="proposals")
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="proposals")
    price_yen = models.PositiveBigIntegerField(_("price (yen, without tax)"))
    message = models.TextField(_("message"))
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "worker"], name="one_proposal_per_job"),
            models.CheckConstraint(condition=Q(price_yen__gt=0), name="proposal_price_positive"),
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk} on {self.job_id}"


class ProposedMilestone(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    amount_yen = models.PositiveBigIntegerField()
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "position"], name="proposed_ms_position"),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="proposed_ms_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class InvitationKind(models.TextChoices):
    SCOUT = "scout", _("Scout (invitation to propose)")
    DIRECT_OFFER = "direct_offer", _("Direct offer")


# TODO(#2): "Declined" is one message for a proposal the client turned down
# (お断り) and an invitation the worker turned down (辞退); Japanese shows
# 辞退・お断り for both until each gets its own wording (pgettext contexts).
class InvitationStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Invitation(models.Model):
    """A client reaching a worker: a scout, or a direct offer at a price.

    Accepting a scout lets the worker propose, even on an invited-only job;
    accepting a direct offer makes the contract at ``offer_price_yen``.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="invitations")
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="invitations")
    kind = models.CharField(max_length=12, choices=InvitationKind.choices)
    message = models.TextField(_("message"), blank=True)
    offer_price_yen = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SENT
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "worker"], name="one_invitation_per_job"),
            models.CheckConstraint(
                condition=Q(kind="scout") | Q(offer_price_yen__gt=0),
                name="direct_offer_has_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.worker_id} for {self.job_id}"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Contract(models.Model):
    """The deal, with the terms Japan's freelance act asks to be stated.

    Scope, price, milestones with their due dates, the delivery deadline and
    ``payment_due_days`` (payment within that many days of approval, at most
    60) are fixed when the contract is made; later changes go through
    contract changes, never by editing these fields.
    """

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="contracts")
    client = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="contracts_as_client")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="contracts"
    )
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="contracts_as_worker")
    proposal = models.OneToOneField(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="contract"
    )
    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="contract"
    )
    title = models.CharField(max_length=120)
    scope = models.TextField(_("scope of work"))
    price_yen = models.PositiveBigIntegerField(_("price (yen, without tax)"))
    delivery_due = models.DateField(_("delivery due"), null=True, blank=True)
    payment_due_days = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(
        max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["worker", "status"], name="contract_worker_status")]
        constraints = [
            models.CheckConstraint(condition=Q(price_yen__gt=0), name="contract_price_positive"),
            models.CheckConstraint(
                condition=Q(payment_due_days__lte=60), name="contract_paid_within_60_days"
            ),
            models.CheckConstraint(
                condition=~Q(client=F("worker")), name="contract_parties_differ"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    FUNDED = "funded", _("Funded")
    SUBMITTED = "submitted", _("Delivered")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class Milestone(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    amount_yen = models.PositiveBigIntegerField()
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="milestone_position"),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="milestone_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ReviewDirection(models.TextChoices):
    OF_WORKER = "of_worker", _("Client reviews worker")
    OF_CLIENT = "of_client", _("Worker reviews client")


class Review(models.Model):
    """One side's review of the other after a completed contract.

    ``overall`` and each dimension are 1-5. For a worker the dimensions mean
    quality of the work, communication and keeping deadlines; for a client,
    clarity of the request, communication and prompt decisions.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="reviews_written")
    subject = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="reviews_received")
    direction = models.CharField(max_length=10, choices=ReviewDirection.choices)
    overall = models.PositiveSmallIntegerField()
    quality = models.PositiveSmallIntegerField()
    communication = models.PositiveSmallIntegerField()
    timeliness = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "author"], name="one_review_per_side"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1}) & Q(**{f"{name}__lte": 5}),
                    name=f"review_{name}_1_to_5",
                )
                for name in ("overall", "quality", "communication", "timeliness")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.overall}/5 on contract {self.contract_id}"


class Thread(models.Model):
    """Messages between a job's client and one worker.

    Before a contract a thread belongs to (job, worker); a contract has its
    own thread, with ``contract`` set.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="threads")
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="threads")
    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="thread"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "worker"],
                condition=Q(contract__isnull=True),
                name="one_job_thread_per_worker",
            ),
        ]

    def __str__(self) -> str:
        return f"thread {self.pk}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="messages_sent")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk}"
