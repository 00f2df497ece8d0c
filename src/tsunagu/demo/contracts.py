"""Contracts from hires: how long the work takes, how it ends, its milestones.

A project's planned duration follows its (latent) size. A contract starts
at its hire, ends ``planned * U(0.7, 1.15)`` days later and is completed
then if that day has come; ``cancel_share`` of contracts are cancelled part
way instead. None of this depends on the price or on a worker's quality,
so completion dates can be drawn before the prices that depend on them.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.model import HiddenModel
from tsunagu.demo.projects import Hires

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

ACTIVE, COMPLETED, CANCELLED = 0, 1, 2
PAYMENT_DUE_DAYS = np.array([30, 30, 30, 14, 20, 45, 60])
MILESTONE_UNIT_YEN = 1000
SPLIT_FROM_YEN = 30_000  # a plan below this price is one milestone


@dataclass(frozen=True)
class ContractTimes:
    """One row per hire, in hire order. ``ended`` is NaN while active."""

    start: FloatArray
    planned: FloatArray
    ended: FloatArray
    status: IntArray
    payment_due_days: IntArray

    def __len__(self) -> int:
        return len(self.start)


def durations_draw(size: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Planned working days of each job: 3-120, growing with its size."""
    days = 7.0 + 21.0 * size * rng.lognormal(0.0, 0.3, len(size))
    rounded: FloatArray = np.clip(np.round(days), 3, 120)
    return rounded


def contract_times_draw(
    *,
    hires: Hires,
    duration: FloatArray,
    model: HiddenModel,
    horizon: float,
    rng: np.random.Generator,
) -> ContractTimes:
    """When each contract ends, and whether it is completed or cancelled."""
    n = len(hires)
    planned = duration[hires.job]
    finish = hires.start + planned * rng.uniform(0.7, 1.15, n)
    cancel = rng.random(n) < model.hire.cancel_share
    cancel_day = hires.start + planned * rng.uniform(0.2, 0.8, n)
    ended = np.where(cancel, cancel_day, finish)
    over = ended <= horizon
    status = np.where(over, np.where(cancel, CANCELLED, COMPLETED), ACTIVE)
    return ContractTimes(
        start=hires.start,
        planned=planned,
        ended=np.where(over, ended, np.nan),
        status=status.astype(np.int64),
        payment_due_days=rng.choice(PAYMENT_DUE_DAYS, size=n).astype(np.int64),
    )


def plan_counts_draw(price_yen: IntArray, rng: np.random.Generator) -> IntArray:
    """Milestones in a proposal's plan: one when small, else one to three."""
    many = 1 + rng.binomial(2, 0.45, len(price_yen))
    counts: IntArray = np.where(price_yen < SPLIT_FROM_YEN, 1, many).astype(np.int64)
    return counts


def milestones_split(price_yen: IntArray, count: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Split each price into ``count`` positive parts that add up to it.

    Returns (owner row, 1-based position, amount) with the rows of one owner
    together. Every part but the last is ``price / count`` rounded down to
    1,000 yen; the last takes the rest, so the sum is exact. A price too small
    to split keeps one part.
    """
    count = np.where(price_yen >= count * MILESTONE_UNIT_YEN, count, 1)
    owner = np.repeat(np.arange(len(price_yen)), count)
    first = np.cumsum(count) - count
    position = np.arange(len(owner)) - first[owner] + 1
    part = (price_yen // count) // MILESTONE_UNIT_YEN * MILESTONE_UNIT_YEN
    last = price_yen - part * (count - 1)
    amount = np.where(position == count[owner], last[owner], part[owner])
    return owner.astype(np.int64), position.astype(np.int64), amount.astype(np.int64)
