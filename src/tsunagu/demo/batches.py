"""Task batches and competitions: who joins or enters, what gets done, who wins.

Workers come to both with the same apply weights as to projects. A task
batch draws ``Poisson(task_participants_mean)`` joiners; a batch with a
qualification takes only those who hold its first required skill at the
asked level (as ``task_join`` would refuse the others). Joiners claim units
in the order they joined, each up to the cap, until the batch runs out.
A competition draws ``Poisson(proposals_per_job * competition_entrants_scale)``
entrants with one to three entries each; a few days after the deadline the
client awards it (with ``competition_award_share``) to the best entrants by
Gumbel-max over ``competition_b_quality * quality + b_fit * fit``.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.jobs import COMPETITION, TASK
from tsunagu.demo.projects import Market

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SUBMITTED, WON, NOT_SELECTED = 0, 1, 2
AWARD_DELAY_DAYS = (1.0, 7.0)


@dataclass(frozen=True)
class Participations:
    """Task joiners grouped by job, in joining order."""

    job: IntArray
    worker: IntArray
    joined: FloatArray
    units_done: IntArray

    def __len__(self) -> int:
        return len(self.job)


@dataclass(frozen=True)
class Entries:
    """Competition entries grouped by job; ``number`` counts a worker's entries."""

    job: IntArray
    worker: IntArray
    number: IntArray
    created: FloatArray
    status: IntArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.job)


def participations_draw(market: Market, rng: np.random.Generator) -> Participations:
    """Joiners of every task batch and the units each has done by today."""
    # TODO(#2): units done earn nothing on the worker's profile, and awarded
    # prizes have no escrow hold or release (work.escrow) in the demo.
    jobs, model = market.jobs, market.model
    tasks = np.flatnonzero(jobs.format == TASK)
    wanted = rng.poisson(model.apply.task_participants_mean, len(tasks))
    picks = market.pick(market.apply_pools, tasks, wanted, rng)

    skill = jobs.skills.skill[picks.job, 0]
    level = market.book.level(picks.worker, skill)
    qualified = ~jobs.qualified[picks.job] | (level >= jobs.qualification_min_level[picks.job])
    window = jobs.window[picks.job]
    joined = jobs.posted[picks.job] + window * 0.9 * rng.beta(1.0, 2.0, len(picks))
    keep = qualified & (joined <= market.horizon)
    job, worker, joined = picks.job[keep], picks.worker[keep], joined[keep]

    order = np.lexsort((joined, job))
    job, worker, joined = job[order], worker[order], joined[order]
    return Participations(
        job=job, worker=worker, joined=joined, units_done=_units_done(market, job, joined, rng)
    )


def _units_done(
    market: Market, job: IntArray, joined: FloatArray, rng: np.random.Generator
) -> IntArray:
    """Claims up to the cap, scaled by the share of the window gone by today."""
    jobs = market.jobs
    cap = jobs.per_worker_cap[job]
    deadline = jobs.deadline[job]
    elapsed = np.clip((market.horizon - joined) / np.maximum(deadline - joined, 1e-9), 0.0, 1.0)
    desired = np.floor(cap * rng.uniform(0.2, 1.0, len(job)) * elapsed).astype(np.int64)

    total = np.cumsum(desired)
    group_start = np.searchsorted(job, job, side="left")
    before = total - desired - np.where(group_start > 0, total[group_start - 1], 0)
    left = np.maximum(jobs.unit_count[job] - before, 0)
    done: IntArray = np.minimum(desired, left).astype(np.int64)
    return done


def entries_draw(market: Market, rng: np.random.Generator) -> tuple[Entries, FloatArray]:
    """Entries of every competition, and each competition's award day.

    The award day is NaN for a competition not (yet) awarded, and for one
    that nobody entered.
    """
    jobs, model = market.jobs, market.model
    contests = np.flatnonzero(jobs.format == COMPETITION)
    mean = np.array([c.proposals_per_job for c in model.categories])[jobs.category[contests]]
    wanted = rng.poisson(mean * model.apply.competition_entrants_scale)
    picks = market.pick(market.apply_pools, contests, wanted, rng)

    copies = 1 + rng.binomial(2, 0.15, len(picks))
    row = np.repeat(np.arange(len(picks)), copies)
    number = np.arange(len(row)) - np.repeat(np.cumsum(copies) - copies, copies) + 1
    job = picks.job[row]
    created = jobs.posted[job] + jobs.window[job] * rng.uniform(0.05, 1.0, len(row))
    exists = created <= market.horizon

    award = jobs.deadline + rng.uniform(*AWARD_DELAY_DAYS, len(jobs))
    awarded = (jobs.format == COMPETITION) & (award <= market.horizon)
    awarded &= rng.random(len(jobs)) < model.hire.competition_award_share
    score = model.hire.competition_b_quality * market.workers.quality[picks.worker]
    score = score + model.hire.b_fit * picks.fit + rng.gumbel(size=len(picks))
    status = _award(job, row, number, score, exists, awarded, jobs.winner_count)

    kept = np.flatnonzero(exists)
    entries = Entries(
        job=job[kept],
        worker=picks.worker[row][kept],
        number=number[kept].astype(np.int64),
        created=created[kept],
        status=status[kept],
        text_seed=rng.integers(0, 2**31, len(kept)),
    )
    won = np.zeros(len(jobs), dtype=bool)
    won[job[status == WON]] = True
    return entries, np.where(awarded & won, award, np.nan)


def _award(
    job: IntArray,
    row: IntArray,
    number: IntArray,
    score: FloatArray,
    exists: BoolArray,
    awarded: BoolArray,
    winner_count: IntArray,
) -> IntArray:
    """WON for the first entry of each winner, NOT_SELECTED for the rest."""
    status = np.where(awarded[job], NOT_SELECTED, SUBMITTED).astype(np.int64)
    candidates = np.flatnonzero(exists & awarded[job] & (number == 1))
    order = candidates[np.lexsort((-score[row[candidates]], job[candidates]))]
    group_start = np.searchsorted(job[order], job[order], side="left")
    rank = np.arange(len(order)) - group_start
    status[order[rank < winner_count[job[order]]]] = WON
    return status
