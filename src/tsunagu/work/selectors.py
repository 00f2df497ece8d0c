"""Reads of work that are more than a ``get``: listings, pages, history.

Every listing selects and prefetches what its page or endpoint shows, so
the number of queries does not grow with the number of rows.
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.work.models import (
    Contract,
    Job,
    JobSkill,
    JobStatus,
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
