"""The fee, consumption tax and withholding rules, by worked examples.

Every expected value is worked out by hand in the comment beside it.
"""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsunagu.payments.fees import (
    FEE_SCHEDULES,
    FeeBand,
    FeeSchedule,
    ReleaseBreakdown,
    price_with_tax,
    release_breakdown,
    schedule_on,
)

ON = date(2026, 4, 1)


@dataclass(frozen=True)
class Case:
    name: str
    price: int
    cumulative_before: int
    is_task: bool
    withholding: bool
    expected: ReleaseBreakdown


def breakdown(gross: int, fee: int, fee_tax: int, withholding: int, net: int) -> ReleaseBreakdown:
    return ReleaseBreakdown(
        gross_with_tax=gross, fee=fee, fee_tax=fee_tax, withholding=withholding, worker_net=net
    )


CASES = [
    # ¥10,000 (the published example): gross 10,000 + 1,000 = 11,000;
    # fee 20% x 11,000 = 2,200; fee tax 10% x 2,200 = 220;
    # net 11,000 - 2,200 - 220 = 8,580.
    Case("10k", 10_000, 0, False, False, breakdown(11_000, 2_200, 220, 0, 8_580)),
    # ... with withholding: 10.21% x 10,000 = 1,021; net 8,580 - 1,021 = 7,559.
    Case("10k withheld", 10_000, 0, False, True, breakdown(11_000, 2_200, 220, 1_021, 7_559)),
    # ¥150,000: gross 165,000; fee 20% x 100,000 + 10% x 65,000 = 20,000 + 6,500
    # = 26,500; fee tax 2,650; net 165,000 - 26,500 - 2,650 = 135,850.
    Case("150k", 150_000, 0, False, False, breakdown(165_000, 26_500, 2_650, 0, 135_850)),
    # ... withholding 10.21% x 150,000 = 15,315; net 135,850 - 15,315 = 120,535.
    Case(
        "150k withheld", 150_000, 0, False, True, breakdown(165_000, 26_500, 2_650, 15_315, 120_535)
    ),
    # ¥300,000: gross 330,000; fee 20,000 + 10% x 100,000 + 5% x 130,000
    # = 20,000 + 10,000 + 6,500 = 36,500; fee tax 3,650;
    # net 330,000 - 36,500 - 3,650 = 289,850.
    Case("300k", 300_000, 0, False, False, breakdown(330_000, 36_500, 3_650, 0, 289_850)),
    # ... withholding 10.21% x 300,000 = 30,630; net 289,850 - 30,630 = 259,220.
    Case(
        "300k withheld", 300_000, 0, False, True, breakdown(330_000, 36_500, 3_650, 30_630, 259_220)
    ),
    # ¥1,500,000: gross 1,650,000; fee 20,000 + 10,000 + 5% x 1,450,000 (72,500)
    # = 102,500; fee tax 10,250; net 1,650,000 - 102,500 - 10,250 = 1,537,250.
    Case("1.5M", 1_500_000, 0, False, False, breakdown(1_650_000, 102_500, 10_250, 0, 1_537_250)),
    # ... withholding 10.21% x 1,000,000 = 102,100 plus 20.42% x 500,000 = 102,100,
    # 204,200 in all; net 1,537,250 - 204,200 = 1,333,050.
    Case(
        "1.5M withheld",
        1_500_000,
        0,
        False,
        True,
        breakdown(1_650_000, 102_500, 10_250, 204_200, 1_333_050),
    ),
    # One ¥250,000 contract over three milestones; the bands run across them.
    # M1 ¥50,000: gross 55,000, all in the 20% band: fee 11,000, tax 1,100,
    # net 55,000 - 12,100 = 42,900.
    Case("contract M1", 50_000, 0, False, False, breakdown(55_000, 11_000, 1_100, 0, 42_900)),
    # M2 ¥80,000: gross 88,000 over [55,000, 143,000): 45,000 x 20% = 9,000 plus
    # 43,000 x 10% = 4,300, fee 13,300; tax 1,330; net 88,000 - 14,630 = 73,370.
    Case("contract M2", 80_000, 55_000, False, False, breakdown(88_000, 13_300, 1_330, 0, 73_370)),
    # M3 ¥120,000: gross 132,000 over [143,000, 275,000): 57,000 x 10% = 5,700
    # plus 75,000 x 5% = 3,750, fee 9,450; tax 945; net 132,000 - 10,395 = 121,605.
    # The fees add up to 33,750 = the fee of one 275,000 payment
    # (20,000 + 10,000 + 5% x 75,000).
    Case("contract M3", 120_000, 143_000, False, False, breakdown(132_000, 9_450, 945, 0, 121_605)),
    # ... M3 with withholding: 10.21% x 120,000 = 12,252; net 121,605 - 12,252 = 109,353.
    Case(
        "contract M3 withheld",
        120_000,
        143_000,
        False,
        True,
        breakdown(132_000, 9_450, 945, 12_252, 109_353),
    ),
    # A task batch of 300 units at ¥40 = ¥12,000: gross 13,200; flat 20% = 2,640;
    # tax 264; net 13,200 - 2,904 = 10,296.
    Case("task batch", 12_000, 0, True, False, breakdown(13_200, 2_640, 264, 0, 10_296)),
    # ... withholding 10.21% x 12,000 = 1,225.2, floored 1,225; net 10,296 - 1,225 = 9,071.
    Case("task batch withheld", 12_000, 0, True, True, breakdown(13_200, 2_640, 264, 1_225, 9_071)),
    # Task work ignores the contract bands: ¥500,000 after ¥1,000,000 of earlier
    # work: gross 550,000; 20% = 110,000; tax 11,000; net 429,000.
    Case(
        "task after a lot",
        500_000,
        1_000_000,
        True,
        False,
        breakdown(550_000, 110_000, 11_000, 0, 429_000),
    ),
    # Flooring at every step, ¥999: tax 99.9 -> 99, gross 1,098; fee 219.6 -> 219;
    # fee tax 21.9 -> 21; withholding 101.9979 -> 101; net 1,098 - 341 = 757.
    Case("rounding", 999, 0, False, True, breakdown(1_098, 219, 21, 101, 757)),
    # The 5% band on ¥11 after ¥200,000: gross 12 (11 + 1.1 -> 1);
    # C(200,012) = 30,000.6 -> 30,000, C(200,000) = 30,000: fee 0, net 12.
    Case("tiny in the top band", 11, 200_000, False, False, breakdown(12, 0, 0, 0, 12)),
    # ¥1,000,000 exactly: withholding 10.21% = 102,100 (no high rate).
    # gross 1,100,000; fee 20,000 + 10,000 + 5% x 900,000 (45,000) = 75,000;
    # tax 7,500; net 1,100,000 - 75,000 - 7,500 - 102,100 = 915,400.
    Case(
        "1M withheld",
        1_000_000,
        0,
        False,
        True,
        breakdown(1_100_000, 75_000, 7_500, 102_100, 915_400),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_release_breakdown_matches_the_worked_example(case):
    # when
    result = release_breakdown(
        price_yen=case.price,
        cumulative_before_yen=case.cumulative_before,
        is_task=case.is_task,
        withholding=case.withholding,
        on=ON,
    )

    # then
    assert result == case.expected
    assert result.gross_with_tax == (
        result.fee + result.fee_tax + result.withholding + result.worker_net
    )


def test_the_milestones_of_a_contract_pay_the_fee_of_one_payment():
    # given: the three milestones of the worked contract above
    prices = [50_000, 80_000, 120_000]

    # when
    fees, before = [], 0
    for price in prices:
        part = release_breakdown(
            price_yen=price, cumulative_before_yen=before, is_task=False, withholding=False, on=ON
        )
        fees.append(part.fee)
        before += part.gross_with_tax
    whole = release_breakdown(
        price_yen=sum(prices), cumulative_before_yen=0, is_task=False, withholding=False, on=ON
    )

    # then
    assert fees == [11_000, 13_300, 9_450]
    assert sum(fees) == whole.fee == 33_750


@given(
    prices=st.lists(st.integers(min_value=1, max_value=3_000_000), min_size=1, max_size=6),
    withholding=st.booleans(),
)
def test_any_split_into_milestones_costs_the_same_fee(prices, withholding):
    # given: a contract paid over several milestones
    before, fees = 0, 0
    for price in prices:
        # when
        part = release_breakdown(
            price_yen=price,
            cumulative_before_yen=before,
            is_task=False,
            withholding=withholding,
            on=ON,
        )

        # then: every part adds up and nothing is negative
        assert part.gross_with_tax == part.fee + part.fee_tax + part.withholding + part.worker_net
        assert min(part.fee, part.fee_tax, part.withholding, part.worker_net) >= 0
        fees += part.fee
        before += part.gross_with_tax

    # then: the band fee telescopes, so the fees equal those of one payment of the whole
    # tax-included amount (computed here from the bands directly, floored once)
    exact = (
        min(before, 100_000) * Fraction(20, 100)
        + max(min(before, 200_000) - 100_000, 0) * Fraction(10, 100)
        + max(before - 200_000, 0) * Fraction(5, 100)
    )
    assert fees == int(exact)


def test_the_client_funds_the_price_plus_floored_consumption_tax():
    assert price_with_tax(price_yen=10_000, on=ON) == 11_000
    assert price_with_tax(price_yen=999, on=ON) == 1_098  # 99.9 -> 99


def test_the_schedule_is_chosen_by_date():
    # given: a made-up later schedule with a lower task rate
    first = FEE_SCHEDULES[0]
    later = FeeSchedule(
        effective_from=date(2030, 1, 1),
        bands=(FeeBand(up_to_yen=None, rate=Fraction(15, 100)),),
        task_rate=Fraction(15, 100),
        consumption_tax_rate=Fraction(10, 100),
        withholding_rate=first.withholding_rate,
        withholding_high_rate=first.withholding_high_rate,
        withholding_threshold_yen=first.withholding_threshold_yen,
    )
    schedules = (first, later)

    # when / then
    assert schedule_on(date(2029, 12, 31), schedules) is first
    assert schedule_on(date(2030, 1, 1), schedules) is later
    new = release_breakdown(
        price_yen=10_000,
        cumulative_before_yen=0,
        is_task=True,
        withholding=False,
        on=date(2030, 6, 1),
        schedules=schedules,
    )
    assert new == breakdown(11_000, 1_650, 165, 0, 9_185)  # 15% x 11,000 = 1,650


def test_there_is_no_fee_before_the_first_schedule():
    with pytest.raises(ValueError, match="no fee schedule"):
        schedule_on(date(2000, 1, 1))


@pytest.mark.parametrize(
    ("price", "before"),
    [(0, 0), (-1, 0), (10, -1), (True, 0), (10.0, 0)],
)
def test_amounts_must_be_whole_positive_yen(price, before):
    with pytest.raises(ValueError, match="must be"):
        release_breakdown(
            price_yen=price, cumulative_before_yen=before, is_task=False, withholding=False, on=ON
        )
