"""Reciprocal scoring of workers for one job, filters, and reasons as data.

``score_workers`` scores given workers exactly (the weights are in
``weights.py``); ``filters_pass`` says which workers a job's filters admit;
``reasons_explain`` turns one scored worker into ``Reason`` records: codes
and numbers, true of the worker and the job, worded later by the web layer.
No Django here.
"""

import enum
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tsunagu.matching.engine.index import (
    LANGUAGE_SHIFT,
    UNRATED,
    VERIFIED_BIT,
    SkillIndex,
    worker_levels,
)
from tsunagu.matching.engine.weights import HandWeights

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Filters:
    """Hard filters: a worker failing any is never returned.

    ``min_rating`` excludes workers without a rating; a rate bound excludes
    workers who stated no rate; ``languages`` is a bit mask the worker must
    cover entirely.
    """

    verified_only: bool = False
    min_rating: float | None = None
    rate_min_yen: int | None = None
    rate_max_yen: int | None = None
    prefecture: int | None = None
    min_hours: int | None = None
    languages: int = 0

    @property
    def any(self) -> bool:
        return self != Filters()

    @property
    def on_rate(self) -> bool:
        return self.rate_min_yen is not None or self.rate_max_yen is not None


@dataclass(frozen=True)
class JobQuery:
    """A job as the engine sees it. ``min_levels[i]`` belongs to ``required[i]``."""

    required: tuple[int, ...]
    min_levels: tuple[int, ...]
    nice: tuple[int, ...] = ()
    category: int = -1
    budget_yen: int | None = None
    filters: Filters = field(default_factory=Filters)

    def __post_init__(self) -> None:
        if not self.required:
            raise ValueError("a job needs at least one required skill")
        if len(self.required) != len(self.min_levels):
            raise ValueError("one minimum level per required skill")
        if len(set(self.required)) != len(self.required):
            raise ValueError("required skills repeat")


class ReasonCode(enum.StrEnum):
    SKILL_MEETS = "skill_meets"  # skill, level, required level
    SKILL_BELOW = "skill_below"  # skill, level, required level
    SKILL_MISSING = "skill_missing"  # skill, required level
    NICE_HELD = "nice_held"  # skill, level
    CATEGORY_HISTORY = "category_history"  # category, completed contracts
    RATING = "rating"  # mean rating
    UNRATED = "unrated"
    RATE_WITHIN_BUDGET = "rate_within_budget"  # rate, budget
    RATE_OVER_BUDGET = "rate_over_budget"  # rate, budget
    AVAILABILITY = "availability"  # hours a week


@dataclass(frozen=True)
class Reason:
    """One fact behind a result. ``skill`` / ``category`` are -1 when not about one."""

    code: ReasonCode
    skill: int = -1
    category: int = -1
    value: float = 0.0
    reference: float = 0.0


@dataclass(frozen=True)
class Scores:
    """Exact scores of ``workers`` and the parts reasons are made of."""

    workers: IntArray
    score: NDArray[np.float64]
    required_levels: NDArray[np.int8]  # workers x required skills
    nice_levels: NDArray[np.int8]  # workers x nice-to-have skills
    done: NDArray[np.int64]  # completed contracts in the job's category


def filters_pass(
    filters: Filters,
    *,
    prefecture: NDArray[np.int8],
    flags: NDArray[np.uint8],
    rating: NDArray[np.uint8],
    hours: NDArray[np.uint8],
    rate_yen: NDArray[np.int32] | None = None,
) -> NDArray[np.bool_]:
    """Which entries pass; the rate bounds need ``rate_yen`` when set."""
    mask = np.ones(len(flags), dtype=np.bool_)
    need = (VERIFIED_BIT if filters.verified_only else 0) | (filters.languages << LANGUAGE_SHIFT)
    if need:
        mask &= (flags & need) == need
    if filters.prefecture is not None:
        mask &= prefecture == filters.prefecture
    if filters.min_rating is not None:
        tenths = max(round(filters.min_rating * 10), 1)
        mask &= rating >= tenths
    if filters.min_hours is not None:
        mask &= hours >= filters.min_hours
    if filters.on_rate:
        if rate_yen is None:
            raise ValueError("rate bounds need the workers' rates")
        mask &= rate_yen > 0
        if filters.rate_min_yen is not None:
            mask &= rate_yen >= filters.rate_min_yen
        if filters.rate_max_yen is not None:
            mask &= rate_yen <= filters.rate_max_yen
    return mask


def workers_pass(index: SkillIndex, filters: Filters, workers: IntArray) -> NDArray[np.bool_]:
    """``filters_pass`` for worker positions, gathering their features."""
    return filters_pass(
        filters,
        prefecture=index.prefecture[workers],
        flags=index.flags[workers],
        rating=index.rating_tenths[workers],
        hours=index.hours[workers],
        rate_yen=index.rate_yen[workers] if filters.on_rate else None,
    )


# Workers whose matrix rows are gathered at once in ``skill_levels``.
LEVELS_CHUNK = 65_536


def skill_levels(index: SkillIndex, workers: IntArray, skills: tuple[int, ...]) -> NDArray[np.int8]:
    """Workers x ``skills`` levels (0 where not held), read from the workers' CSR rows.

    A worker's row is a few contiguous entries, so this reads little memory
    per worker whatever the skills' popularity (a binary search in a popular
    skill's column would touch many cache lines).
    """
    result = np.zeros((len(workers), len(skills)), dtype=np.int8)
    if not skills or len(workers) == 0:
        return result
    if len(workers) > LEVELS_CHUNK:
        # Many workers (the exact scan, sorted): a search per skill column is cheaper.
        for i, skill in enumerate(skills):
            result[:, i] = worker_levels(index, workers, skill)
        return result
    column = np.full(index.n_skills, -1, dtype=np.int64)
    column[list(skills)] = np.arange(len(skills))
    indptr, indices, data = index.matrix.indptr, index.matrix.indices, index.matrix.data
    for first in range(0, len(workers), LEVELS_CHUNK):
        chunk = workers[first : first + LEVELS_CHUNK]
        starts = indptr[chunk]
        counts = indptr[chunk + 1] - starts
        row = np.repeat(np.arange(len(chunk)), counts)
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        at = np.repeat(starts, counts) + offset
        where = column[indices[at]]
        hit = where >= 0
        result[first + row[hit], where[hit]] = data[at[hit]]
    return result


def score_workers(
    index: SkillIndex, job: JobQuery, workers: IntArray, weights: HandWeights
) -> Scores:
    """Exact hand-weighted scores of ``workers`` for ``job`` (filters not applied)."""
    n = len(workers)

    # Fit: coverage of the required skills with levels against the minimum.
    held = skill_levels(index, workers, job.required + job.nice)
    required_levels = held[:, : len(job.required)]
    coverage = np.zeros(n)
    level_sum = np.zeros(n)
    for i, minimum in enumerate(job.min_levels):
        levels = required_levels[:, i]
        partial = weights.partial_credit * levels / minimum
        coverage += np.where(levels >= minimum, 1.0, partial)
        level_sum += levels
    fit = coverage / len(job.required)
    fit += weights.level_bonus * level_sum / (5.0 * len(job.required))

    nice_levels = held[:, len(job.required) :]
    if job.nice:
        fit += weights.nice_bonus * (nice_levels > 0).mean(axis=1)

    if job.category >= 0:
        done = index.category_done[workers, job.category].astype(np.int64)
    else:
        done = np.zeros(n, dtype=np.int64)
    fit += weights.history_bonus * np.minimum(done, weights.history_cap) / weights.history_cap

    # Likelihood to apply and be hired: static part times rate against budget.
    likelihood = index.static[workers].astype(np.float64)
    if job.budget_yen is not None:
        rate = index.rate_yen[workers].astype(np.float64)
        over = rate > job.budget_yen
        ratio = np.where(over, job.budget_yen / np.maximum(rate, 1.0), 1.0)
        likelihood *= ratio**weights.rate_power

    return Scores(
        workers=workers,
        score=fit * likelihood,
        required_levels=required_levels,
        nice_levels=nice_levels,
        done=done,
    )


def reasons_explain(
    index: SkillIndex, job: JobQuery, scores: Scores, row: int
) -> tuple[Reason, ...]:
    """The reasons for ``scores.workers[row]``: skills first, then the rest."""
    worker = int(scores.workers[row])
    reasons: list[Reason] = []

    for i, (skill, minimum) in enumerate(zip(job.required, job.min_levels, strict=True)):
        level = int(scores.required_levels[row, i])
        if level == 0:
            code = ReasonCode.SKILL_MISSING
        elif level >= minimum:
            code = ReasonCode.SKILL_MEETS
        else:
            code = ReasonCode.SKILL_BELOW
        reasons.append(Reason(code, skill=skill, value=level, reference=minimum))
    for i, skill in enumerate(job.nice):
        level = int(scores.nice_levels[row, i])
        if level:
            reasons.append(Reason(ReasonCode.NICE_HELD, skill=skill, value=level))

    done = int(scores.done[row])
    if done:
        reasons.append(Reason(ReasonCode.CATEGORY_HISTORY, category=job.category, value=done))

    tenths = int(index.rating_tenths[worker])
    if tenths == UNRATED:
        reasons.append(Reason(ReasonCode.UNRATED))
    else:
        reasons.append(Reason(ReasonCode.RATING, value=tenths / 10))

    rate = int(index.rate_yen[worker])
    if job.budget_yen is not None and rate > 0:
        code = (
            ReasonCode.RATE_WITHIN_BUDGET if rate <= job.budget_yen else ReasonCode.RATE_OVER_BUDGET
        )
        reasons.append(Reason(code, value=rate, reference=job.budget_yen))

    reasons.append(Reason(ReasonCode.AVAILABILITY, value=int(index.hours[worker])))
    return tuple(reasons)
