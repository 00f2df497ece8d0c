"""Reads of work that are more than a ``get``: listings, pages, history.

Every listing selects and prefetches what its page or endpoint shows, so
the number of queries does not grow with the number of rows.
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from tsunagu.accounts.models import User, WorkerProfile
from tsunagu.accounts.selectors import worker_public_profile
from tsunagu.work.models import (
    CompetitionEntry,
    Contract,
    Invitation,
    Job,
    JobSkill,
    JobStatus,
    Message,
    Proposal,
    Review,
    ReviewDirection,
    Visibility,
)


@dataclass(frozen=True)
class JobFilters:
    category: str | None = None
    format: str | None = None
    skill: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    text: str | None = None


def _with_listing_data(jobs: QuerySet[Job]) -> QuerySet[Job]:
    return (
        jobs.select_related("category", "client", "organization", "task_batch", "competition")
        .prefetch_related(Prefetch("job_skills", queryset=JobSkill.objects.select_related("skill")))
        .annotate(proposal_count=Count("proposals", distinct=True))
    )


def job_list_open(filters: JobFilters | None = None) -> QuerySet[Job]:
    """Public jobs still taking applications, newest first, filtered."""
    filters = filters or JobFilters()
    jobs = Job.objects.filter(
        status=JobStatus.OPEN, visibility=Visibility.PUBLIC, deadline__gt=timezone.now()
    )
    if filters.category:
        jobs = jobs.filter(category__slug=filters.category)
    if filters.format:
        jobs = jobs.filter(format=filters.format)
    if filters.skill:
        jobs = jobs.filter(job_skills__skill__slug=filters.skill)
    if filters.budget_min is not None:
        jobs = jobs.filter(budget_yen__gte=filters.budget_min)
    if filters.budget_max is not None:
        jobs = jobs.filter(budget_yen__lte=filters.budget_max)
    if filters.text:
        # TODO(#9): full-text search with Japanese analysis replaces this scan.
        jobs = jobs.filter(
            Q(title__icontains=filters.text) | Q(description__icontains=filters.text)
        )
    return _with_listing_data(jobs).order_by("-created_at", "-id")


def job_detail(job_id: int) -> Job | None:
    return _with_listing_data(Job.objects.filter(pk=job_id)).first()


def jobs_posted_by(user: User) -> QuerySet[Job]:
    """Jobs the user posted or manages through an organization."""
    managed = Q(client=user) | Q(
        organization__memberships__user=user,
        organization__memberships__role__in=["owner", "admin"],
    )
    return _with_listing_data(Job.objects.filter(managed).distinct()).order_by("-created_at")


def job_proposals(job: Job) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(job=job)
        .select_related("worker__worker_profile")
        .prefetch_related("milestones")
        .order_by("-created_at", "-id")
    )


def proposals_by_worker(worker: User) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(worker=worker)
        .select_related("job__category")
        .prefetch_related("milestones")
        .order_by("-created_at", "-id")
    )


def contracts_of(user: User) -> QuerySet[Contract]:
    """Contracts where the user is the worker, the client or a manager."""
    involved = (
        Q(worker=user)
        | Q(client=user)
        | Q(
            organization__memberships__user=user,
            organization__memberships__role__in=["owner", "admin"],
        )
    )
    return (
        Contract.objects.filter(involved)
        .distinct()
        .select_related("job__category", "client", "worker", "organization")
        .prefetch_related("milestones")
        .order_by("-created_at", "-id")
    )


def contract_detail(contract_id: int) -> Contract | None:
    return (
        Contract.objects.filter(pk=contract_id)
        .select_related("job__category", "client", "worker", "organization", "thread")
        .prefetch_related("milestones", "reviews", "thread__messages__sender")
        .first()
    )


@dataclass(frozen=True)
class WorkHistoryEntry:
    contract: Contract
    review: Review | None


def worker_history(worker: User, *, limit: int = 20) -> list[WorkHistoryEntry]:
    """Completed contracts with the client's review of the worker, newest first."""
    contracts = (
        Contract.objects.filter(worker=worker, status="completed")
        .select_related("job__category")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.filter(direction=ReviewDirection.OF_WORKER),
                to_attr="worker_reviews",
            )
        )
        .order_by("-completed_at", "-id")[:limit]
    )
    return [
        WorkHistoryEntry(contract=c, review=(c.worker_reviews[0] if c.worker_reviews else None))
        for c in contracts
    ]


def client_record(client: User) -> dict[str, float | int | None]:
    """What workers see of a client: jobs posted, share ordered, rating."""
    posted = Job.objects.filter(client=client).count()
    ordered = Job.objects.filter(client=client, contracts__isnull=False).distinct().count()
    reviews = Review.objects.filter(subject=client, direction=ReviewDirection.OF_CLIENT)
    count = reviews.count()
    total = sum(reviews.values_list("overall", flat=True))
    return {
        "jobs_posted": posted,
        "order_rate": (ordered / posted) if posted else None,
        "rating": (total / count) if count else None,
        "rating_count": count,
    }


@dataclass(frozen=True)
class WorkerPage:
    profile: WorkerProfile
    history: list[WorkHistoryEntry]


def worker_public_page(user_id: int) -> WorkerPage | None:
    """A public worker profile with its recent work history, or None."""
    profile = worker_public_profile(user_id)
    if profile is None:
        return None
    return WorkerPage(profile=profile, history=worker_history(profile.user))


def invitations_of_worker(worker: User) -> QuerySet[Invitation]:
    """Scouts and direct offers a worker received, newest first."""
    return (
        Invitation.objects.filter(worker=worker)
        .select_related("job__category", "job__client")
        .order_by("-created_at", "-id")
    )


def competition_entries(job: Job) -> QuerySet[CompetitionEntry]:
    return (
        CompetitionEntry.objects.filter(competition__job=job)
        .select_related("worker", "competition")
        .order_by("-created_at", "-id")
    )


def contract_messages(contract: Contract) -> QuerySet[Message]:
    """The contract's thread, oldest first."""
    return (
        Message.objects.filter(thread__contract=contract)
        .select_related("sender")
        .order_by("created_at", "id")
    )


def job_thread_messages(job: Job, worker: User) -> QuerySet[Message]:
    """The (job, worker) thread from before any contract, oldest first."""
    return (
        Message.objects.filter(
            thread__job=job, thread__worker=worker, thread__contract__isnull=True
        )
        .select_related("sender")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class JobPage:
    """What the job page shows one viewer.

    Everyone sees the job and the client's record; a worker sees their own
    proposal, entries, invitation and whether they joined the batch; the
    job's managers see the proposals, entries and invitations they decide on.
    """

    job: Job
    client_record: dict[str, float | int | None]
    viewer_is_worker: bool
    own_proposal: Proposal | None
    own_entries: list[CompetitionEntry]
    own_invitation: Invitation | None
    joined: bool
    participant_count: int
    proposals: list[Proposal]
    entries: list[CompetitionEntry]
    invitations: list[Invitation]


def job_page(job: Job, viewer: User | None, *, manager: bool) -> JobPage:
    """The job page's data; ``manager`` comes from ``access_job_manage``."""
    batch = getattr(job, "task_batch", None) if job.format == "task" else None
    is_worker = viewer is not None and WorkerProfile.objects.filter(user=viewer).exists()
    entries = competition_entries(job) if job.format == "competition" else None

    own_proposal = own_invitation = None
    own_entries: list[CompetitionEntry] = []
    joined = False
    if viewer is not None and not manager:
        own_proposal = Proposal.objects.filter(job=job, worker=viewer).first()
        own_invitation = Invitation.objects.filter(job=job, worker=viewer).first()
        if entries is not None:
            own_entries = list(entries.filter(worker=viewer))
        if batch is not None:
            joined = batch.participants.filter(worker=viewer).exists()

    return JobPage(
        job=job,
        client_record=client_record(job.client),
        viewer_is_worker=is_worker,
        own_proposal=own_proposal,
        own_entries=own_entries,
        own_invitation=own_invitation,
        joined=joined,
        participant_count=batch.participants.count() if batch is not None else 0,
        proposals=list(job_proposals(job)) if manager else [],
        entries=list(entries) if manager and entries is not None else [],
        invitations=(
            list(Invitation.objects.filter(job=job).select_related("worker")) if manager else []
        ),
    )


@dataclass(frozen=True)
class MyPage:
    """The dashboard: what a person posted, proposed, was offered and signed."""

    is_worker: bool
    jobs: list[Job]
    proposals: list[Proposal]
    invitations: list[Invitation]
    contracts: list[Contract]


def my_page(user: User, *, limit: int = 20) -> MyPage:
    """The latest ``limit`` of each; invitations only while unanswered."""
    return MyPage(
        is_worker=WorkerProfile.objects.filter(user=user).exists(),
        jobs=list(jobs_posted_by(user)[:limit]),
        proposals=list(proposals_by_worker(user)[:limit]),
        invitations=list(invitations_of_worker(user).filter(status="sent")[:limit]),
        contracts=list(contracts_of(user)[:limit]),
    )


def jobs_open_managed_by(user: User) -> QuerySet[Job]:
    """Open jobs the user may invite workers to, newest first."""
    return (
        jobs_posted_by(user)
        .filter(status=JobStatus.OPEN, deadline__gt=timezone.now())
        .order_by("-created_at", "-id")
    )
