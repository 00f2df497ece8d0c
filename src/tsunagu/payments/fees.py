"""The platform fee, consumption tax and withholding on a release. Pure Python.

Every rate lives in ``FEE_SCHEDULES``, one row per period, chosen by the date
of the release. Amounts are whole yen (``int``); rates are ``Fraction`` so no
step ever goes through a float.

How one release is computed, flooring to the yen where the step says so:

1. ``gross_with_tax = price + floor(price x consumption tax)``. This is what
   the client funds; the consumption tax on the price belongs to the worker.
2. ``fee``. Task work: ``floor(gross_with_tax x task rate)``. Project work is
   charged by marginal bands over the contract's cumulative tax-included
   amount (20% up to ¥100,000, 10% up to ¥200,000, 5% above). With
   ``C(x)`` the exact band fee on the first ``x`` yen of a contract, the fee
   of a release covering ``[before, before + gross_with_tax)`` is
   ``floor(C(before + gross_with_tax)) - floor(C(before))``: the fees of a
   contract's milestones therefore add up to the fee of one payment of the
   whole contract, however it is split.
3. ``fee_tax = floor(fee x consumption tax)``: the platform's own (and
   only) consumption tax, charged once per release.
4. ``withholding`` (源泉徴収, only when the caller says it applies):
   ``floor(10.21% x min(price, ¥1,000,000) + 20.42% x max(price - ¥1,000,000,
   0))`` of the price WITHOUT consumption tax, floored once. It goes back to
   the client, who pays it to the tax office.
5. ``worker_net`` is what remains, so the parts add up to ``gross_with_tax``
   exactly.

Published example: a ¥10,000 contract is ¥11,000 with tax; the fee is ¥2,200
plus ¥220 tax; the worker receives ¥8,580.
"""

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction


@dataclass(frozen=True)
class FeeBand:
    """A marginal band: ``rate`` applies to the cumulative amount below
    ``up_to_yen`` (tax included); ``None`` is the open top band."""

    up_to_yen: int | None
    rate: Fraction


@dataclass(frozen=True)
class FeeSchedule:
    """The rates in force from ``effective_from`` until the next schedule."""

    effective_from: date
    bands: tuple[FeeBand, ...]
    task_rate: Fraction
    consumption_tax_rate: Fraction
    withholding_rate: Fraction
    withholding_high_rate: Fraction
    withholding_threshold_yen: int


FEE_SCHEDULES: tuple[FeeSchedule, ...] = (
    FeeSchedule(
        effective_from=date(2024, 1, 1),
        bands=(
            FeeBand(up_to_yen=100_000, rate=Fraction(20, 100)),
            FeeBand(up_to_yen=200_000, rate=Fraction(10, 100)),
            FeeBand(up_to_yen=None, rate=Fraction(5, 100)),
        ),
        task_rate=Fraction(20, 100),
        consumption_tax_rate=Fraction(10, 100),
        # 所得税 10% plus 復興特別所得税 (2.1% of it) until the end of 2037.
        withholding_rate=Fraction(1021, 10_000),
        withholding_high_rate=Fraction(2042, 10_000),
        withholding_threshold_yen=1_000_000,
    ),
)


@dataclass(frozen=True)
class ReleaseBreakdown:
    """Where the money of one release goes; the parts sum to ``gross_with_tax``."""

    gross_with_tax: int
    fee: int
    fee_tax: int
    withholding: int
    worker_net: int


def schedule_on(on: date, schedules: tuple[FeeSchedule, ...] = FEE_SCHEDULES) -> FeeSchedule:
    """The schedule in force on ``on``; ``ValueError`` before the first one."""
    chosen: FeeSchedule | None = None
    for schedule in schedules:
        if schedule.effective_from <= on and (
            chosen is None or schedule.effective_from > chosen.effective_from
        ):
            chosen = schedule
    if chosen is None:
        raise ValueError(f"no fee schedule in force on {on.isoformat()}")
    return chosen


def price_with_tax(*, price_yen: int, on: date) -> int:
    """What the client funds for ``price_yen``: the price plus floored consumption tax."""
    _check_yen(price_yen, "price_yen", minimum=1)
    schedule = schedule_on(on)
    return price_yen + math.floor(price_yen * schedule.consumption_tax_rate)


def release_breakdown(
    *,
    price_yen: int,
    cumulative_before_yen: int,
    is_task: bool,
    withholding: bool,
    on: date,
    schedules: tuple[FeeSchedule, ...] = FEE_SCHEDULES,
) -> ReleaseBreakdown:
    """Split the payment for ``price_yen`` (without tax) by the rules above.

    ``cumulative_before_yen`` is the tax-included amount already released on
    the same contract (the sum of the earlier breakdowns' ``gross_with_tax``);
    it is ignored for task work. ``on`` picks the fee schedule. Raises
    ``ValueError`` for a non-positive price or a negative cumulative amount.
    """
    _check_yen(price_yen, "price_yen", minimum=1)
    _check_yen(cumulative_before_yen, "cumulative_before_yen", minimum=0)
    schedule = schedule_on(on, schedules)

    gross = price_yen + math.floor(price_yen * schedule.consumption_tax_rate)

    if is_task:
        fee = math.floor(gross * schedule.task_rate)
    else:
        before = cumulative_before_yen
        fee = math.floor(_band_fee(schedule.bands, before + gross)) - math.floor(
            _band_fee(schedule.bands, before)
        )

    fee_tax = math.floor(fee * schedule.consumption_tax_rate)

    withheld = 0
    if withholding:
        threshold = schedule.withholding_threshold_yen
        withheld = math.floor(
            min(price_yen, threshold) * schedule.withholding_rate
            + max(price_yen - threshold, 0) * schedule.withholding_high_rate
        )

    net = gross - fee - fee_tax - withheld
    if net < 0:  # cannot happen with the published rates; a new schedule might
        raise ValueError("the fee, its tax and the withholding exceed the payment")
    return ReleaseBreakdown(
        gross_with_tax=gross, fee=fee, fee_tax=fee_tax, withholding=withheld, worker_net=net
    )


def _band_fee(bands: tuple[FeeBand, ...], amount: int) -> Fraction:
    """The exact (unrounded) band fee on the first ``amount`` yen of a contract."""
    total = Fraction(0)
    lower = 0
    for band in bands:
        upper = amount if band.up_to_yen is None else min(amount, band.up_to_yen)
        if upper > lower:
            total += (upper - lower) * band.rate
        if band.up_to_yen is None or amount <= band.up_to_yen:
            break
        lower = band.up_to_yen
    return total


def _check_yen(value: int, name: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be whole yen (int), not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
