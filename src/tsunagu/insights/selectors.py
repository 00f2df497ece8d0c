"""Completed contracts of one category as arrays for the premium estimator.

A row is a completed project contract whose job is in the category. Its
columns say what the pay could depend on when the price was agreed:

- ``price_yen``: the contract's price (the accepted proposal's or offer's).
- ``budget_yen``: the job's budget, the only visible measure of the job's
  size; prices scale with size, so ``log(budget)`` is a control.
- ``holds``: one column per home skill of the category, 1 when the worker
  holds the skill at any level. Holding, not the level or the job's
  ``min_level``, is what a client pays for in the model we estimate.
- ``experience``: the worker's contracts (in any category) completed before
  the price was given, that is before the proposal (or the direct offer)
  was made. The profile's ``completed_contracts`` would count this contract
  and later ones too, and so leak the future into the control.
- ``rating``: the mean overall score of the client reviews the worker had
  received before the price was given, ``nan`` when none.

Reads work and skills only; never the demo's ground truth.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db.models import QuerySet
from numpy.typing import NDArray

from tsunagu.skills.models import Category, Skill, WorkerSkill
from tsunagu.work.models import (
    Contract,
    ContractStatus,
    JobFormat,
    Review,
    ReviewDirection,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class CategoryContracts:
    category: str
    skills: tuple[str, ...]  # slugs, the columns of ``holds``
    contract: IntArray
    worker: IntArray
    price_yen: IntArray
    budget_yen: IntArray
    experience: IntArray
    rating: FloatArray
    holds: BoolArray  # (contracts, skills)


def category_slugs() -> list[str]:
    return list(Category.objects.order_by("position", "id").values_list("slug", flat=True))


def category_contracts(*, category: str) -> CategoryContracts:
    """The completed project contracts of ``category`` (a slug) as arrays.

    Raises ``Category.DoesNotExist`` for an unknown slug.
    """
    home = Category.objects.get(slug=category)
    skills = list(Skill.objects.filter(category=home).order_by("id").values_list("id", "slug"))

    contracts = _completed(home)
    rows = list(
        contracts.order_by("id").values_list(
            "id",
            "worker_id",
            "price_yen",
            "job__budget_yen",
            "proposal__created_at",
            "invitation__created_at",
            "created_at",
        )
    )
    n = len(rows)
    contract = np.fromiter((r[0] for r in rows), np.int64, n)
    worker = np.fromiter((r[1] for r in rows), np.int64, n)
    price = np.fromiter((r[2] for r in rows), np.int64, n)
    budget = np.fromiter((r[3] for r in rows), np.int64, n)
    priced_at = np.fromiter(((r[4] or r[5] or r[6]).timestamp() for r in rows), np.float64, n)

    workers = contracts.values("worker_id")
    experience = _events_before(
        events=Contract.objects.filter(
            worker_id__in=workers, status=ContractStatus.COMPLETED
        ).values_list("worker_id", "completed_at"),
        worker=worker,
        moment=priced_at,
    )
    rating = _rating_before(workers=workers, worker=worker, moment=priced_at)

    column = {skill_id: i for i, (skill_id, _slug) in enumerate(skills)}
    holds = np.zeros((n, len(skills)), dtype=np.bool_)
    held = WorkerSkill.objects.filter(skill__category=home, worker_id__in=workers).values_list(
        "worker_id", "skill_id"
    )
    row_of: dict[int, list[int]] = {}
    for i, worker_id in enumerate(worker.tolist()):
        row_of.setdefault(worker_id, []).append(i)
    for worker_id, skill_id in held.iterator(chunk_size=5000):
        holds[row_of[worker_id], column[skill_id]] = True

    return CategoryContracts(
        category=category,
        skills=tuple(slug for _id, slug in skills),
        contract=contract,
        worker=worker,
        price_yen=price,
        budget_yen=budget,
        experience=experience,
        rating=rating,
        holds=holds,
    )


def _completed(category: Category) -> QuerySet[Contract]:
    return Contract.objects.filter(
        status=ContractStatus.COMPLETED,
        job__category=category,
        job__format=JobFormat.PROJECT,
    )


def _keys(worker: IntArray, seconds: FloatArray) -> FloatArray:
    """Sortable keys ordering by worker, then time (seconds since 1970)."""
    span = 1e10  # seconds; far above any timestamp we meet
    keys: FloatArray = worker.astype(np.float64) * span + seconds
    return keys


def _events_before(
    *, events: QuerySet[Contract, tuple[int, datetime | None]], worker: IntArray, moment: FloatArray
) -> IntArray:
    """How many of a worker's ``(worker_id, datetime)`` events precede each moment."""
    pairs = [(w, t.timestamp()) for w, t in events.iterator(chunk_size=5000) if t is not None]
    event_keys = np.sort(
        _keys(
            np.fromiter((p[0] for p in pairs), np.int64, len(pairs)),
            np.fromiter((p[1] for p in pairs), np.float64, len(pairs)),
        )
    )
    upto = np.searchsorted(event_keys, _keys(worker, moment), side="left")
    since = np.searchsorted(event_keys, _keys(worker, np.zeros(len(worker))), side="left")
    counts: IntArray = (upto - since).astype(np.int64)
    return counts


def _rating_before(
    *, workers: QuerySet[Contract, Any], worker: IntArray, moment: FloatArray
) -> FloatArray:
    """The mean overall score of the client reviews each worker had before ``moment``."""
    reviews = list(
        Review.objects.filter(direction=ReviewDirection.OF_WORKER, subject_id__in=workers)
        .values_list("subject_id", "created_at", "overall")
        .iterator(chunk_size=5000)
    )
    keys = _keys(
        np.fromiter((r[0] for r in reviews), np.int64, len(reviews)),
        np.fromiter((r[1].timestamp() for r in reviews), np.float64, len(reviews)),
    )
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    scores = np.fromiter((r[2] for r in reviews), np.float64, len(reviews))[order]
    cumulative = np.concatenate([[0.0], np.cumsum(scores)])

    upto = np.searchsorted(keys, _keys(worker, moment), side="left")
    since = np.searchsorted(keys, _keys(worker, np.zeros(len(worker))), side="left")
    count = upto - since
    rating = np.full(len(worker), np.nan)
    seen = count > 0
    rating[seen] = (cumulative[upto[seen]] - cumulative[since[seen]]) / count[seen]
    return rating
