"""Who answers a job: fit scores and weighted candidate sampling.

The candidates of a job in category ``c`` are the active workers (other than
the client) whose primary category is ``c`` or who hold a skill of ``c``.
Among them a worker is drawn with weight ``base[w] * exp(alpha * fit(w, j))``
(``base`` is the apply propensity for proposals, 1 for scouts), several
distinct workers per job, the first one drawn first (successive sampling).

Computing the fit of every worker for every job would cost workers x jobs,
so the draw is a rejection sampler: candidates come from a per (category,
month) pool with cumulative weights ``base * exp(alpha * bound)`` found by
``searchsorted``, where ``bound`` caps the fit of that worker for any job of
the category; a candidate is kept with probability ``exp(alpha * (fit -
bound))``. Kept draws follow the target weights exactly; repeats are
dropped, which turns draws with replacement into successive sampling.
"""

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.catalog import Catalog
from tsunagu.demo.model import FitModel
from tsunagu.demo.skillsets import SkillSets

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MAX_ROUNDS = 12
CANDIDATES_PER_CHUNK = 1_500_000


@dataclass(frozen=True)
class SkillBook:
    """Look up the level (0 if not held) of many (worker, skill) pairs at once."""

    keys: IntArray
    levels: IntArray
    n_skills: int

    @classmethod
    def from_sets(cls, sets: SkillSets, n_skills: int) -> "SkillBook":
        return cls(keys=sets.worker * n_skills + sets.skill, levels=sets.level, n_skills=n_skills)

    def positions(self, workers: IntArray, skills: IntArray) -> IntArray:
        """Row of each pair in the skill sets, or -1 when not held (or skill -1)."""
        wanted = workers * self.n_skills + skills
        found = np.searchsorted(self.keys, wanted)
        found = np.minimum(found, len(self.keys) - 1)
        held = (len(self.keys) > 0) & (self.keys[found] == wanted) & (skills >= 0)
        return np.where(held, found, -1)

    def level(self, workers: IntArray, skills: IntArray) -> IntArray:
        if len(self.keys) == 0:
            return np.zeros(np.broadcast(workers, skills).shape, dtype=np.int64)
        rows = self.positions(workers, skills)
        return np.where(rows >= 0, self.levels[np.maximum(rows, 0)], 0)


@dataclass(frozen=True)
class JobSkills:
    """Skills a job lists: ``skill[j, k]`` (-1 pads), required or nice to have."""

    skill: IntArray
    required: BoolArray
    min_level: IntArray

    def weights(self, fit: FitModel) -> FloatArray:
        listed = self.skill >= 0
        return np.where(listed, np.where(self.required, fit.required_weight, fit.nice_weight), 0.0)


@dataclass(frozen=True)
class JobsView:
    """What the sampler needs to know of each job (all arrays by job index)."""

    category: IntArray
    posted: FloatArray
    skill: IntArray
    weight: FloatArray  # JobSkills.weights: 1 required, 0.5 nice to have, 0 pad
    excluded_worker: IntArray  # the client's own worker index, or -1


def fit_scores(
    *,
    jobs: JobsView,
    job: IntArray,
    worker: IntArray,
    primary: IntArray,
    book: SkillBook,
    fit: FitModel,
) -> FloatArray:
    """f(w, j) in [0, 1]: level-weighted skill share plus the primary bonus.

    share = sum_k weight_k * level(w, s_k) / level_scale / sum_k weight_k,
    with weight 1 for a required skill and 0.5 for a nice-to-have one;
    f = skill_share_weight * share + primary_bonus * [primary(w) == c(j)].
    """
    skills = jobs.skill[job]
    weights = jobs.weight[job]
    levels = book.level(worker[:, None], skills)
    total = np.maximum(weights.sum(axis=1), 1e-12)
    share = (weights * levels).sum(axis=1) / fit.level_scale / total
    same = primary[worker] == jobs.category[job]
    scores: FloatArray = fit.skill_share_weight * share + fit.primary_bonus * same
    return scores


@dataclass(frozen=True)
class Pools:
    """Per (category, month) candidate pools with cumulative proposal weights."""

    members: IntArray
    cumulative: FloatArray
    begin: IntArray
    end: IntArray
    low: FloatArray
    high: FloatArray
    bound: FloatArray  # per worker: the largest skill share any job could give
    n_months: int
    month_days: float
    alpha: float


def pools_build(
    *,
    primary: IntArray,
    start: FloatArray,
    end: FloatArray,
    sets: SkillSets,
    base: FloatArray,
    alpha: float,
    fit: FitModel,
    catalog: Catalog,
    horizon: float,
    n_months: int,
) -> Pools:
    """Index every worker under each category pool and month they are active in."""
    n_workers = len(primary)
    member_keys = np.unique(
        np.concatenate(
            [
                np.arange(n_workers) * catalog.n_categories + primary,
                sets.worker * catalog.n_categories + catalog.skill_category[sets.skill],
            ]
        )
    )
    pair_worker = member_keys // catalog.n_categories
    pair_category = member_keys % catalog.n_categories

    max_level = np.zeros(n_workers)
    np.maximum.at(max_level, sets.worker, sets.level.astype(np.float64))
    bound = max_level / fit.level_scale
    upper = fit.skill_share_weight * bound[pair_worker] + fit.primary_bonus * (
        primary[pair_worker] == pair_category
    )
    pair_weight = base[pair_worker] * np.exp(alpha * upper)

    month_days = horizon / n_months
    members, weights, pool_of = [], [], []
    for month in range(n_months):
        active = (start[pair_worker] < (month + 1) * month_days) & (
            end[pair_worker] > month * month_days
        )
        chosen = np.flatnonzero(active)
        members.append(pair_worker[chosen])
        weights.append(pair_weight[chosen])
        pool_of.append(pair_category[chosen] * n_months + month)

    member_array = np.concatenate(members)
    weight_array = np.concatenate(weights)
    pool_array = np.concatenate(pool_of)
    order = np.argsort(pool_array, kind="stable")
    member_array, weight_array, pool_array = (
        member_array[order],
        weight_array[order],
        pool_array[order],
    )

    n_pools = catalog.n_categories * n_months
    counts = np.bincount(pool_array, minlength=n_pools)
    end_index = np.cumsum(counts)
    begin_index = end_index - counts
    cumulative = np.cumsum(weight_array)
    before = np.concatenate([[0.0], cumulative])
    return Pools(
        members=member_array,
        cumulative=cumulative,
        begin=begin_index,
        end=end_index,
        low=before[begin_index],
        high=before[end_index],
        bound=bound,
        n_months=n_months,
        month_days=month_days,
        alpha=alpha,
    )


@dataclass(frozen=True)
class Picks:
    """Sampled (job, worker) pairs, grouped by job, in draw order within a job."""

    job: IntArray
    worker: IntArray
    fit: FloatArray

    def __len__(self) -> int:
        return len(self.job)

    def take(self, rows: IntArray | BoolArray) -> "Picks":
        return Picks(job=self.job[rows], worker=self.worker[rows], fit=self.fit[rows])


def pool_of_jobs(pools: Pools, jobs: JobsView, job: IntArray) -> IntArray:
    month = np.minimum((jobs.posted[job] // pools.month_days).astype(np.int64), pools.n_months - 1)
    pool: IntArray = jobs.category[job] * pools.n_months + np.maximum(month, 0)
    return pool


def candidates_pick(
    *,
    pools: Pools,
    jobs: JobsView,
    job: IntArray,
    wanted: IntArray,
    primary: IntArray,
    start: FloatArray,
    end: FloatArray,
    book: SkillBook,
    fit: FitModel,
    rng: np.random.Generator,
) -> Picks:
    """Up to ``wanted[i]`` distinct candidates for each job ``job[i]``.

    The number asked for is capped at half the job's pool, and a job whose
    pool runs dry after ``MAX_ROUNDS`` rounds keeps what it has.
    """
    pool = pool_of_jobs(pools, jobs, job)
    size = pools.end[pool] - pools.begin[pool]
    wanted = np.minimum(wanted, size // 2).astype(np.int64)
    keep = wanted > 0
    job, wanted, pool = job[keep], wanted[keep], pool[keep]

    found: list[Picks] = []
    for chunk in _chunks(wanted):
        found.append(
            _pick_chunk(
                pools=pools,
                jobs=jobs,
                job=job[chunk],
                wanted=wanted[chunk],
                pool=pool[chunk],
                primary=primary,
                start=start,
                end=end,
                book=book,
                fit=fit,
                rng=rng,
            )
        )
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Picks(job=empty, worker=empty, fit=np.zeros(0))
    return Picks(
        job=np.concatenate([p.job for p in found]),
        worker=np.concatenate([p.worker for p in found]),
        fit=np.concatenate([p.fit for p in found]),
    )


def _chunks(wanted: IntArray) -> list[slice]:
    """Split jobs so each chunk draws about CANDIDATES_PER_CHUNK candidates."""
    load = np.cumsum(wanted * 6 + 4)
    edges = np.searchsorted(load, np.arange(CANDIDATES_PER_CHUNK, load[-1], CANDIDATES_PER_CHUNK))
    bounds = [0, *edges.tolist(), len(wanted)] if len(wanted) else [0]
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _pick_chunk(
    *,
    pools: Pools,
    jobs: JobsView,
    job: IntArray,
    wanted: IntArray,
    pool: IntArray,
    primary: IntArray,
    start: FloatArray,
    end: FloatArray,
    book: SkillBook,
    fit: FitModel,
    rng: np.random.Generator,
) -> Picks:
    """Rounds of draws for one chunk of jobs until each has what it wants."""
    local = np.arange(len(job))
    kept_local = np.zeros(0, dtype=np.int64)
    kept_worker = np.zeros(0, dtype=np.int64)
    kept_fit = np.zeros(0)
    have = np.zeros(len(job), dtype=np.int64)

    for _ in range(MAX_ROUNDS):
        short = have < wanted
        if not short.any():
            break
        draws = np.repeat(local[short], (wanted[short] - have[short]) * 6 + 4)
        worker = _draw_members(pools, pool[draws], rng)
        job_index = job[draws]
        scores = fit_scores(
            jobs=jobs, job=job_index, worker=worker, primary=primary, book=book, fit=fit
        )
        accept = _acceptance(pools, jobs, job_index, worker, scores, primary, start, end, fit)
        accepted = rng.random(len(draws)) < accept

        kept_local = np.concatenate([kept_local, draws[accepted]])
        kept_worker = np.concatenate([kept_worker, worker[accepted]])
        kept_fit = np.concatenate([kept_fit, scores[accepted]])
        kept_local, kept_worker, kept_fit = _first_distinct(
            kept_local, kept_worker, kept_fit, wanted, len(primary)
        )
        have = np.bincount(kept_local, minlength=len(job))

    return Picks(job=job[kept_local], worker=kept_worker, fit=kept_fit)


def _draw_members(pools: Pools, pool: IntArray, rng: np.random.Generator) -> IntArray:
    """One member per entry of ``pool``, with the pool's proposal weights."""
    target = pools.low[pool] + rng.random(len(pool)) * (pools.high[pool] - pools.low[pool])
    slot = np.searchsorted(pools.cumulative, target, side="right")
    slot = np.clip(slot, pools.begin[pool], pools.end[pool] - 1)
    members: IntArray = pools.members[slot]
    return members


def _acceptance(
    pools: Pools,
    jobs: JobsView,
    job: IntArray,
    worker: IntArray,
    scores: FloatArray,
    primary: IntArray,
    start: FloatArray,
    end: FloatArray,
    fit: FitModel,
) -> FloatArray:
    """exp(alpha * (fit - bound)) for eligible candidates, 0 for the others."""
    upper = fit.skill_share_weight * pools.bound[worker] + fit.primary_bonus * (
        primary[worker] == jobs.category[job]
    )
    posted = jobs.posted[job]
    eligible = (start[worker] <= posted) & (end[worker] > posted)
    eligible &= worker != jobs.excluded_worker[job]
    ratio = np.exp(np.minimum(pools.alpha * (scores - upper), 0.0))
    accept: FloatArray = np.where(eligible, ratio, 0.0)
    return accept


def _first_distinct(
    local: IntArray, worker: IntArray, scores: FloatArray, wanted: IntArray, n_workers: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Keep the first draw of each (job, worker) and at most ``wanted`` per job.

    The result is grouped by job and keeps draw order within a job.
    """
    keys = local * n_workers + worker
    _, first = np.unique(keys, return_index=True)
    first.sort()
    local, worker, scores = local[first], worker[first], scores[first]

    order = np.argsort(local, kind="stable")
    local, worker, scores = local[order], worker[order], scores[order]
    group_start = np.searchsorted(local, local, side="left")
    rank = np.arange(len(local)) - group_start
    keep = rank < wanted[local]
    return local[keep], worker[keep], scores[keep]
