"""Learning: the skills a worker lacks, ranked by what learning them would pay.

The worker's categories are the categories of their contracts (any status,
any format); a worker without contracts gets the categories of the skills
they hold. For each home skill of those categories that the worker does not
hold, the category's skill x pay matrix gives the log premium ``b`` with its
95% interval, and

    expected monthly uplift (yen) = (exp(b) - 1) x base,

where ``base`` is the worker's monthly pay in the category without the skill:

- with completed contracts in the category in the last ``WINDOW_DAYS``:
  their prices summed over that window / the months observed;
- else with completed contracts elsewhere in the window: the category's
  median completed contract price x the worker's completed contracts per
  month (all categories);
- else (no history): the category's median price x one contract a month.

The months observed are the months since the worker's first contract, at
least one and at most the window. The interval of the uplift is the premium's
interval times the same base. ``open_jobs_newly_fit`` counts the open public
jobs of the worker's categories (deadline still ahead, not posted by the
worker) that require the skill and whose other required skills the worker
already holds at the job's minimum level; it takes two queries in all.

Rows are ranked by uplift (skills without an estimate last), ties by open
jobs newly fit. Reads accounts, skills and work; never the demo's ground truth.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Min, Sum
from django.utils import timezone

from tsunagu.insights.estimator import premium_pct
from tsunagu.insights.matrix import CategoryMatrix, matrix_compute
from tsunagu.insights.selectors import category_contracts
from tsunagu.skills.models import Category, WorkerSkill
from tsunagu.work.models import (
    Contract,
    ContractStatus,
    JobSkill,
    JobStatus,
    Visibility,
)

# TODO(#6): the window and the one-contract-a-month assumption for newcomers
# are guesses; the worker's stated hours per week could scale the base instead.
# TODO(#6): thin rows rank by their point estimate like the others; a lower
# confidence bound (or thin rows last) may serve a worker better.
# TODO(#6): only the home skills of the worker's categories are candidates,
# and the level a job asks of the missing skill itself is not checked; the
# count of jobs newly fit could come from matching once it has selectors.
WINDOW_DAYS = 365
DAYS_PER_MONTH = 365 / 12


@dataclass(frozen=True)
class LearningRow:
    skill: str  # slug
    category: str  # slug
    estimate: float | None  # log premium
    ci_low: float | None
    ci_high: float | None
    premium_pct: float | None
    base_monthly_yen: int  # the worker's monthly pay in the category, without the skill
    base_source: str  # "category_history", "overall_history" or "assumed"
    uplift_monthly_yen: int | None
    uplift_ci_low_yen: int | None
    uplift_ci_high_yen: int | None
    thin: bool
    open_jobs_newly_fit: int


@dataclass(frozen=True)
class _Category:
    matrix: CategoryMatrix
    median_price_yen: int | None


def learning_recommendations(
    *, worker: AbstractBaseUser, limit: int = 5, now: datetime | None = None
) -> list[LearningRow]:
    """The worker's ``limit`` best skills to learn, best first."""
    now = now or timezone.now()
    worker_id = worker.pk
    held = list(
        WorkerSkill.objects.filter(worker_id=worker_id).values_list(
            "skill_id", "skill__slug", "level"
        )
    )
    held_levels = {skill_id: level for skill_id, _slug, level in held}
    held_slugs = {slug for _id, slug, _level in held}
    categories = _worker_categories(worker_id=worker_id, held=list(held_levels))
    if not categories:
        return []

    cache: dict[str, _Category] = {}
    base = _monthly_base(worker_id=worker_id, now=now)
    open_fit = _open_jobs_newly_fit(
        worker_id=worker_id, categories=categories, held_levels=held_levels, now=now
    )

    rows: list[LearningRow] = []
    for category in categories:
        if category not in cache:
            data = category_contracts(category=category)
            cache[category] = _Category(
                matrix=matrix_compute(data),
                median_price_yen=round(float(np.median(data.price_yen)))
                if len(data.price_yen)
                else None,
            )
        entry = cache[category]
        monthly, source = base(category, entry.median_price_yen)
        for row in entry.matrix.rows:
            if row.slug in held_slugs:
                continue
            rows.append(
                LearningRow(
                    skill=row.slug,
                    category=category,
                    estimate=row.estimate,
                    ci_low=row.ci_low,
                    ci_high=row.ci_high,
                    premium_pct=row.premium_pct,
                    base_monthly_yen=monthly,
                    base_source=source,
                    uplift_monthly_yen=_uplift(row.estimate, monthly),
                    uplift_ci_low_yen=_uplift(row.ci_low, monthly),
                    uplift_ci_high_yen=_uplift(row.ci_high, monthly),
                    thin=row.thin,
                    open_jobs_newly_fit=open_fit.get(row.slug, 0),
                )
            )

    rows.sort(
        key=lambda r: (
            r.uplift_monthly_yen is None,
            -(r.uplift_monthly_yen or 0),
            -r.open_jobs_newly_fit,
            r.skill,
        )
    )
    return rows[:limit]


def _uplift(log_effect: float | None, monthly: int) -> int | None:
    if log_effect is None:
        return None
    return round(premium_pct(log_effect) / 100 * monthly)


def _worker_categories(*, worker_id: int, held: list[int]) -> list[str]:
    from_contracts = list(
        Category.objects.filter(jobs__contracts__worker_id=worker_id)
        .distinct()
        .order_by("position", "id")
        .values_list("slug", flat=True)
    )
    if from_contracts:
        return from_contracts
    return list(
        Category.objects.filter(skills__id__in=held)
        .distinct()
        .order_by("position", "id")
        .values_list("slug", flat=True)
    )


def _monthly_base(*, worker_id: int, now: datetime) -> Callable[[str, int | None], tuple[int, str]]:
    """A function of (category, its median price) giving the monthly base and its source."""
    since = now - timedelta(days=WINDOW_DAYS)
    first = Contract.objects.filter(worker_id=worker_id).aggregate(first=Min("created_at"))["first"]
    start = max(first, since) if first is not None else since
    months = min(WINDOW_DAYS / DAYS_PER_MONTH, max(1.0, (now - start).days / DAYS_PER_MONTH))

    completed = Contract.objects.filter(
        worker_id=worker_id,
        status=ContractStatus.COMPLETED,
        completed_at__gte=since,
        completed_at__lte=now,
    )
    earned = dict(
        completed.values("job__category__slug")
        .annotate(total=Sum("price_yen"))
        .values_list("job__category__slug", "total")
    )
    per_month = completed.count() / months

    def base(category: str, median_price_yen: int | None) -> tuple[int, str]:
        if earned.get(category):
            return round(earned[category] / months), "category_history"
        if median_price_yen is None:
            return 0, "assumed"
        if per_month > 0:
            return round(median_price_yen * per_month), "overall_history"
        return median_price_yen, "assumed"

    return base


def _open_jobs_newly_fit(
    *, worker_id: int, categories: list[str], held_levels: dict[int, int], now: datetime
) -> dict[str, int]:
    """Per missing skill slug: open jobs needing it whose other requirements the worker meets."""
    requirements = JobSkill.objects.filter(
        required=True,
        job__status=JobStatus.OPEN,
        job__visibility=Visibility.PUBLIC,
        job__deadline__gt=now,
        job__category__slug__in=categories,
    ).exclude(job__client_id=worker_id)
    missing: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for job_id, skill_id, slug, min_level in requirements.values_list(
        "job_id", "skill_id", "skill__slug", "min_level"
    ).iterator(chunk_size=5000):
        if held_levels.get(skill_id, 0) < min_level:
            missing[job_id].append((skill_id, slug))
    counts: dict[str, int] = defaultdict(int)
    for lacking in missing.values():
        if len(lacking) == 1 and lacking[0][0] not in held_levels:
            counts[lacking[0][1]] += 1
    return dict(counts)
