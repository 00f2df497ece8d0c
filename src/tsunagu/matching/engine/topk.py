"""Top workers for a job: an exact top-k by the threshold algorithm.

The lists walked are, per required and per nice-to-have skill, its holders
in each level (``SkillIndex.ranked_indptr`` buckets), and per the job's
category the workers with contracts there by capped count
(``category_indptr`` buckets); each list is ordered by the workers' static
quality (rating and hours), an upper bound of their likelihood factor. The
lists are read in blocks (``per_skill_cap`` entries first, then ``GROWTH``
times more each time), skipping workers the filters exclude; every worker
read is scored exactly (``score.score_workers``) and the best ``k`` holding
a required skill are kept, ties broken by worker position.

Reading stops when no list's bound (``_list_bounds``) exceeds the k-th best
score: an unread worker scores below that bound, so the result equals
``top_workers_exact`` (the scan of every holder). ``tolerance`` > 0 stops
earlier, with every worker left out scoring at most ``1 + tolerance`` times
the k-th returned score. ``Ranking.capped`` says whether some required list
was left unread.

What it costs: the bound assumes an unread worker could hold every required
skill at the best level still unread. For jobs with 3-4 required skills that
few workers hold together, the k-th score stays well below that bound and
the walk reads a large share of the lists (see the bench's ``candidates``).
"""

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tsunagu.matching.engine.index import QUALITY_STEPS, SkillIndex
from tsunagu.matching.engine.score import (
    Filters,
    IntArray,
    JobQuery,
    Reason,
    filters_pass,
    reasons_explain,
    score_workers,
    workers_pass,
)
from tsunagu.matching.engine.weights import HandWeights

# TODO(#5): exact now (recall 1.0), but at 1,000,000 workers p50 is ~9 ms and
# p99 ~80 ms against the 5 / 20 ms targets: jobs with 3-4 required skills
# that few workers hold together keep the threshold bound above the k-th
# score (see the module docstring). Next: a bound aware of co-occurrence
# (e.g. lists per frequent skill pair, or block-max bounds), and a rate
# dimension (per (skill, rate band) lists) so over-budget workers stop
# holding the bound up.
# The first block read from each list, and how much each further block grows.
DEFAULT_PER_SKILL_CAP = 256
GROWTH = 2
# Above any static quality still unread at a list's position: the lists are
# ordered by quality quantised to 1 / (QUALITY_STEPS - 1), plus float32 slack.
QUALITY_SLACK = 1.0 / (QUALITY_STEPS - 1) + 1e-6


@dataclass(frozen=True)
class Ranking:
    """The top workers, best first, with their scores and reasons."""

    workers: IntArray
    scores: NDArray[np.float64]
    reasons: tuple[tuple[Reason, ...], ...]
    candidates: int
    capped: bool


def top_k_order(scores: NDArray[np.float64], ids: IntArray, k: int) -> IntArray:
    """Positions of the ``k`` best scores, best first; equal scores by smaller id.

    ``argpartition`` narrows to the scores at or above the k-th best, then a
    sort orders those (ties included, so the cut is deterministic).
    """
    if len(scores) > k > 0:
        kth = np.argpartition(-scores, k - 1)[k - 1]
        keep = np.flatnonzero(scores >= scores[kth])
    else:
        keep = np.arange(len(scores))
    order = np.lexsort((ids[keep], -scores[keep]))
    result: IntArray = keep[order[:k]]
    return result


@dataclass
class _Lists:
    """The lists walked for one job, one row each (rows of a dimension adjacent).

    A dimension is a part of the fit: one per required skill (its five level
    buckets), one per nice-to-have skill and one for the job's category
    history. ``value`` is the most a worker in the list adds to the fit in
    that dimension; a worker on no list of a dimension adds 0 there.
    """

    source: NDArray[np.int32]  # the worker array: index.ranked_* or index.category_*
    dim: NDArray[np.int64]
    value: NDArray[np.float64]
    required: NDArray[np.bool_]
    position: NDArray[np.int64]
    end: NDArray[np.int64]
    width: NDArray[np.int64]
    dim_starts: NDArray[np.int64]


def _lists(index: SkillIndex, job: JobQuery, weights: HandWeights, block: int) -> _Lists:
    dims: list[int] = []
    values: list[float] = []
    sources: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    n_required = len(job.required)
    dim = 0
    for skill, minimum in zip(job.required, job.min_levels, strict=True):
        for level in range(5, 0, -1):
            coverage = 1.0 if level >= minimum else weights.partial_credit * level / minimum
            values.append((coverage + weights.level_bonus * level / 5.0) / n_required)
            bucket = skill * 5 + (5 - level)
            starts.append(int(index.ranked_indptr[bucket]))
            ends.append(int(index.ranked_indptr[bucket + 1]))
            dims.append(dim)
            sources.append(0)
        dim += 1
    for skill in job.nice:
        for level in range(5, 0, -1):
            values.append(weights.nice_bonus / len(job.nice))
            bucket = skill * 5 + (5 - level)
            starts.append(int(index.ranked_indptr[bucket]))
            ends.append(int(index.ranked_indptr[bucket + 1]))
            dims.append(dim)
            sources.append(0)
        dim += 1
    n_categories = (len(index.category_indptr) - 1) // index.category_top
    if 0 <= job.category < n_categories:
        top = index.category_top
        for count in range(top, 0, -1):
            share = 1.0 if count == top else min(count, weights.history_cap) / weights.history_cap
            values.append(weights.history_bonus * share)
            bucket = job.category * top + (top - count)
            starts.append(int(index.category_indptr[bucket]))
            ends.append(int(index.category_indptr[bucket + 1]))
            dims.append(dim)
            sources.append(1)
        dim += 1
    dim_array = np.asarray(dims, dtype=np.int64)
    return _Lists(
        source=np.asarray(sources, dtype=np.int32),
        dim=dim_array,
        value=np.asarray(values, dtype=np.float64),
        required=dim_array < n_required,
        position=np.asarray(starts, dtype=np.int64),
        end=np.asarray(ends, dtype=np.int64),
        width=np.full(len(dims), max(block, 1), dtype=np.int64),
        dim_starts=np.flatnonzero(np.r_[True, dim_array[1:] != dim_array[:-1]]),
    )


def _frontier(index: SkillIndex, lists: _Lists) -> NDArray[np.float64]:
    """Per list, above the static quality of every unread worker; -inf when read through."""
    open_ = lists.position < lists.end
    frontier = np.full(len(lists.position), -np.inf)
    for source, workers in ((0, index.ranked_workers), (1, index.category_workers)):
        rows = open_ & (lists.source == source)
        if rows.any():
            at = workers[lists.position[rows]]
            frontier[rows] = index.static[at].astype(np.float64) + QUALITY_SLACK
    return frontier


def _list_bounds(lists: _Lists, frontier: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per list, above the score of every worker on it not read yet (threshold algorithm).

    An unread worker w eligible for the job is unread on every list it is
    on. Let t be the smallest frontier over those lists: w's static quality
    is below t (the rate factor is at most 1), and in each dimension w adds
    at most the best value among the lists whose frontier is at least t. So
    w scores below t x the sum of those best values, for some frontier t.
    """
    thresholds = frontier[np.isfinite(frontier)]
    if len(thresholds) == 0:
        return np.full(len(frontier), -np.inf)
    reach = frontier[:, None] >= thresholds[None, :]  # lists x thresholds
    values = np.where(reach, lists.value[:, None], 0.0)
    best = np.maximum.reduceat(values, lists.dim_starts, axis=0)  # dims x thresholds
    total = best.sum(axis=0)
    required_open: NDArray[np.bool_] = np.any(reach & lists.required[:, None], axis=0)
    fit = lists.value[:, None] + total[None, :] - best[lists.dim]
    valid = reach & (lists.required[:, None] | required_open[None, :])
    bound = np.where(valid, thresholds[None, :] * fit, -np.inf)
    result: NDArray[np.float64] = bound.max(axis=1)
    return result


def candidates_walk(
    index: SkillIndex,
    job: JobQuery,
    *,
    k: int,
    block: int,
    weights: HandWeights,
    tolerance: float = 0.0,
) -> tuple[IntArray, int, bool]:
    """The ``k`` best eligible workers, the number scored, and whether lists were cut.

    Lists are read in blocks (each ``GROWTH`` times the last) while some
    list's bound (``_list_bounds``) exceeds the k-th best exact score so far
    times ``1 + tolerance``; every worker read is scored exactly. With
    ``tolerance`` 0 the result equals ``top_workers_exact``.
    """
    lists = _lists(index, job, weights, block)
    filters = job.filters
    # Non-zero for every worker read (and scored, unless filtered out).
    stamp = np.zeros(index.n_workers, dtype=np.int64)
    stamped = 0
    best_workers: IntArray = np.empty(0, dtype=np.int64)
    best_scores: NDArray[np.float64] = np.empty(0)
    scored = 0
    while True:
        bounds = _list_bounds(lists, _frontier(index, lists))
        if len(best_scores) >= k > 0:
            live = bounds > best_scores[-1] * (1.0 + tolerance)
        elif k > 0:
            live = np.zeros(len(bounds), dtype=np.bool_)
            if np.isfinite(bounds).any():
                live[int(np.argmax(bounds))] = True
        else:
            break
        if not live.any():
            break
        parts = []
        for row in np.flatnonzero(live):
            start = int(lists.position[row])
            stop = min(int(lists.end[row]), start + int(lists.width[row]))
            if lists.source[row] == 0:
                chunk = index.ranked_workers[start:stop]
                if filters.any:
                    chunk = chunk[_ranked_pass(index, filters, chunk, start, stop)]
            else:
                chunk = index.category_workers[start:stop]
            parts.append(chunk)
            lists.position[row] = stop
            lists.width[row] *= GROWTH
        read = np.concatenate(parts).astype(np.int64)
        read = read[stamp[read] == 0]
        # Stamp each read worker with its place; keeps one of each duplicate.
        place = np.arange(stamped + 1, stamped + 1 + len(read), dtype=np.int64)
        stamp[read] = place
        new = read[stamp[read] == place]
        stamped += len(read)
        if filters.any and (lists.source[live] == 1).any():
            new = new[workers_pass(index, filters, new)]
        if len(new) == 0:
            continue
        scores = score_workers(index, job, new, weights)
        eligible = (scores.required_levels > 0).any(axis=1)
        scored += len(new)
        workers = np.concatenate([best_workers, new[eligible]])
        values = np.concatenate([best_scores, scores.score[eligible]])
        order = top_k_order(values, workers, k)
        best_workers, best_scores = workers[order], values[order]
    cut = bool(np.any(lists.required & (lists.position < lists.end)))
    return best_workers, scored, cut


def _ranked_pass(
    index: SkillIndex, filters: Filters, workers: NDArray[np.int32], start: int, stop: int
) -> NDArray[np.bool_]:
    """``filters_pass`` for a slice of the ranked lists, from their own columns."""
    return filters_pass(
        filters,
        prefecture=index.ranked_prefecture[start:stop],
        flags=index.ranked_flags[start:stop],
        rating=index.ranked_rating[start:stop],
        hours=index.ranked_hours[start:stop],
        rate_yen=index.rate_yen[workers] if filters.on_rate else None,
    )


def top_workers(
    index: SkillIndex,
    job: JobQuery,
    *,
    k: int = 20,
    per_skill_cap: int = DEFAULT_PER_SKILL_CAP,
    weights: HandWeights | None = None,
    explain: bool = True,
    tolerance: float = 0.0,
) -> Ranking:
    """The ``k`` best workers for ``job``, with reasons; exact when ``tolerance`` is 0.

    ``per_skill_cap`` is the first block read from each list. With a
    ``tolerance``, every worker left out scores at most ``1 + tolerance``
    times the k-th returned score.
    """
    weights = weights or HandWeights()
    best, scored, cut = candidates_walk(
        index, job, k=k, block=per_skill_cap, weights=weights, tolerance=tolerance
    )
    # TODO(#5): a learned re-ranker (LightGBM lambdarank, `tsunagu
    # train-matching`) re-orders these once there is hiring history; the
    # hand-weighted score is the ranking until then.
    ranking = _ranked(index, job, best, k=k, weights=weights, explain=explain, capped=cut)
    return replace(ranking, candidates=scored)


def top_workers_exact(
    index: SkillIndex,
    job: JobQuery,
    *,
    k: int = 20,
    weights: HandWeights | None = None,
    explain: bool = True,
) -> Ranking:
    """The same ranking over every holder of a required skill: the reference."""
    weights = weights or HandWeights()
    holders = [
        index.column_workers[index.column_indptr[s] : index.column_indptr[s + 1]]
        for s in job.required
    ]
    candidates = np.unique(np.concatenate(holders)).astype(np.int64)
    candidates = candidates[workers_pass(index, job.filters, candidates)]
    return _ranked(index, job, candidates, k=k, weights=weights, explain=explain, capped=False)


def _ranked(
    index: SkillIndex,
    job: JobQuery,
    candidates: IntArray,
    *,
    k: int,
    weights: HandWeights,
    explain: bool,
    capped: bool,
) -> Ranking:
    scores = score_workers(index, job, candidates, weights)
    order = top_k_order(scores.score, candidates, k)
    reasons = (
        tuple(reasons_explain(index, job, scores, int(row)) for row in order) if explain else ()
    )
    return Ranking(
        workers=candidates[order],
        scores=scores.score[order],
        reasons=reasons,
        candidates=len(candidates),
        capped=capped,
    )
