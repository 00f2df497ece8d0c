"""The escrow services: what each posts, what each refuses, and exactly-once."""

import pytest
from django.core.management import call_command

from tests.db_state import table_counts
from tests.payments.conftest import BANK, ON, balances, simple_breakdown
from tsunagu.errors import Conflict, DomainError, NotFound, RuleViolation
from tsunagu.payments import services
from tsunagu.payments.models import EntryKind, Hold, HoldState, JournalEntry
from tsunagu.payments.selectors import ledger_check

pytestmark = pytest.mark.django_db


def assert_ledger_ok() -> None:
    result = ledger_check()
    assert result.problems == []


# --- fund -------------------------------------------------------------------


def test_funding_moves_the_price_with_tax_from_the_provider_into_a_hold(fund):
    # when
    hold = fund(price=10_000)

    # then
    assert hold.state == HoldState.FUNDED
    assert hold.amount_yen == 11_000
    assert hold.source == BANK
    assert balances("milestone:1")["hold"] == 11_000
    assert balances("milestone:1")["external"] == -11_000
    assert hold.fund_entry.kind == EntryKind.FUND
    assert_ledger_ok()


def test_funding_twice_with_the_same_key_funds_once():
    # when
    first = services.hold_fund(reference="milestone:1", amount_yen=11_000, dedupe_key="f1")
    again = services.hold_fund(reference="milestone:1", amount_yen=11_000, dedupe_key="f1")

    # then
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert balances("milestone:1")["hold"] == 11_000


def test_a_reference_is_funded_once(fund):
    # given
    fund(reference="milestone:1")
    before = table_counts()

    # when / then
    with pytest.raises(Conflict) as refused:
        services.hold_fund(reference="milestone:1", amount_yen=11_000, dedupe_key="other")
    assert refused.value.code == "hold_exists"
    assert refused.value.status == 409
    assert table_counts() == before


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_funding_needs_a_positive_whole_amount(amount):
    before = table_counts()

    with pytest.raises(RuleViolation) as refused:
        services.hold_fund(reference="milestone:1", amount_yen=amount, dedupe_key="f1")

    assert refused.value.code == "invalid_amount"
    assert table_counts() == before


def test_a_service_needs_a_dedupe_key():
    with pytest.raises(DomainError) as refused:
        services.hold_fund(reference="milestone:1", amount_yen=100, dedupe_key="")
    assert refused.value.code == "invalid_dedupe_key"


def test_a_dedupe_key_cannot_be_reused_for_another_operation(fund):
    # given
    fund(reference="milestone:1")

    # when / then: the funding key of milestone 1 sent with milestone 2
    with pytest.raises(Conflict) as refused:
        services.hold_fund(reference="milestone:2", amount_yen=100, dedupe_key="fund:milestone:1")
    assert refused.value.code == "dedupe_key_reused"


# --- release ----------------------------------------------------------------


def test_release_pays_the_worker_net_and_the_platform_its_fee_and_tax(fund):
    # given: the published ¥10,000 example
    fund(price=10_000)

    # when
    entry = services.hold_release(
        reference="milestone:1",
        worker_reference="user:1",
        breakdown=simple_breakdown(10_000),
        dedupe_key="r1",
    )

    # then
    assert entry.kind == EntryKind.RELEASE
    assert balances("milestone:1") == {
        "external": -11_000,
        "hold": 0,
        "worker": 8_580,
        "in_flight": 0,
        "fee": 2_200,
        "fee_tax": 220,
        "withholding": 0,
        "losses": 0,
    }
    hold = Hold.objects.get(reference="milestone:1")
    assert hold.state == HoldState.RELEASED
    assert hold.settled_entry == entry
    assert hold.settled_at is not None
    assert_ledger_ok()


def test_release_with_withholding_keeps_the_withheld_tax_for_the_client(fund):
    # given
    fund(price=10_000)

    # when
    services.hold_release(
        reference="milestone:1",
        worker_reference="user:1",
        breakdown=simple_breakdown(10_000, withholding=True),
        dedupe_key="r1",
    )

    # then: 10.21% of ¥10,000 = ¥1,021 is owed back to the client
    assert balances("milestone:1")["withholding"] == 1_021
    assert balances("milestone:1")["worker"] == 8_580 - 1_021
    assert_ledger_ok()


def test_release_twice_with_the_same_key_releases_once(fund):
    # given
    fund()
    breakdown = simple_breakdown(10_000)

    # when
    first = services.hold_release(
        reference="milestone:1", worker_reference="user:1", breakdown=breakdown, dedupe_key="r1"
    )
    again = services.hold_release(
        reference="milestone:1", worker_reference="user:1", breakdown=breakdown, dedupe_key="r1"
    )

    # then
    assert again.pk == first.pk
    assert balances("milestone:1")["worker"] == 8_580


def test_a_settled_hold_cannot_be_released_again(fund):
    # given
    fund()
    breakdown = simple_breakdown(10_000)
    services.hold_release(
        reference="milestone:1", worker_reference="user:1", breakdown=breakdown, dedupe_key="r1"
    )
    before = table_counts()

    # when / then
    with pytest.raises(Conflict) as refused:
        services.hold_release(
            reference="milestone:1", worker_reference="user:1", breakdown=breakdown, dedupe_key="r2"
        )
    assert refused.value.code == "hold_settled"
    assert refused.value.status == 409
    assert table_counts() == before


def test_release_must_cover_the_hold_exactly(fund):
    # given: a hold of ¥11,000 and a breakdown of ¥22,000
    fund(price=10_000)

    # when / then
    with pytest.raises(RuleViolation) as refused:
        services.hold_release(
            reference="milestone:1",
            worker_reference="user:1",
            breakdown=simple_breakdown(20_000),
            dedupe_key="r1",
        )
    assert refused.value.code == "breakdown_mismatch"
    assert Hold.objects.get().state == HoldState.FUNDED


def test_release_of_an_unknown_hold_is_not_found():
    with pytest.raises(NotFound) as refused:
        services.hold_release(
            reference="milestone:404",
            worker_reference="user:1",
            breakdown=simple_breakdown(10_000),
            dedupe_key="r1",
        )
    assert refused.value.code == "hold_not_found"


# --- refund and split -------------------------------------------------------


def test_refund_returns_the_hold_the_way_it_came(fund):
    # given
    fund(price=10_000, source="provider:card")

    # when
    services.hold_refund(reference="milestone:1", dedupe_key="x1")

    # then
    assert balances("milestone:1", source="provider:card")["external"] == 0
    assert balances("milestone:1")["hold"] == 0
    assert Hold.objects.get().state == HoldState.REFUNDED
    assert_ledger_ok()


def test_a_released_hold_cannot_be_refunded(fund):
    # given
    fund()
    services.hold_release(
        reference="milestone:1",
        worker_reference="user:1",
        breakdown=simple_breakdown(10_000),
        dedupe_key="r1",
    )

    # when / then
    with pytest.raises(Conflict) as refused:
        services.hold_refund(reference="milestone:1", dedupe_key="x1")
    assert refused.value.code == "hold_settled"


def test_split_pays_the_worker_share_by_the_fee_rules_and_refunds_the_rest(fund):
    # given: a hold of ¥11,000 (¥10,000 + tax)
    fund(price=10_000)

    # when: the worker keeps ¥6,000 of the price
    entry = services.hold_split(
        reference="milestone:1",
        worker_reference="user:1",
        worker_share_yen=6_000,
        dedupe_key="s1",
        on=ON,
    )

    # then: 6,000 + 600 tax = 6,600; fee 20% = 1,320, tax 132, net 5,148;
    # the client gets 11,000 - 6,600 = 4,400 back
    assert entry.kind == EntryKind.SPLIT
    assert balances("milestone:1") == {
        "external": -11_000 + 4_400,
        "hold": 0,
        "worker": 5_148,
        "in_flight": 0,
        "fee": 1_320,
        "fee_tax": 132,
        "withholding": 0,
        "losses": 0,
    }
    assert Hold.objects.get().state == HoldState.SPLIT
    assert_ledger_ok()


@pytest.mark.parametrize("share", [0, -1, 10_000, 20_000])
def test_a_split_leaves_something_on_each_side(fund, share):
    fund(price=10_000)

    with pytest.raises(RuleViolation) as refused:
        services.hold_split(
            reference="milestone:1",
            worker_reference="user:1",
            worker_share_yen=share,
            dedupe_key="s",
        )

    assert refused.value.code == "invalid_split"


# --- withdraw and failed payouts ---------------------------------------------


@pytest.fixture
def released(fund):
    """A worker balance of ¥8,580 from the published example."""
    fund(price=10_000)
    services.hold_release(
        reference="milestone:1",
        worker_reference="user:1",
        breakdown=simple_breakdown(10_000),
        dedupe_key="r1",
    )


def test_withdrawal_moves_the_balance_to_a_payout_in_flight(released):
    # when
    payout = services.balance_withdraw(worker_reference="user:1", amount_yen=5_000, dedupe_key="w1")

    # then
    assert payout.kind == EntryKind.WITHDRAW
    assert balances("milestone:1")["worker"] == 3_580
    assert balances("milestone:1")["in_flight"] == 5_000
    assert_ledger_ok()


def test_withdrawal_beyond_the_balance_is_refused_and_writes_nothing(released):
    # given
    services.balance_withdraw(worker_reference="user:1", amount_yen=5_000, dedupe_key="w1")
    before = table_counts()

    # when / then: 3,580 left
    with pytest.raises(RuleViolation) as refused:
        services.balance_withdraw(worker_reference="user:1", amount_yen=3_581, dedupe_key="w2")
    assert refused.value.code == "insufficient_funds"
    assert table_counts() == before
    assert balances("milestone:1")["worker"] == 3_580


def test_withdrawal_with_the_same_key_withdraws_once(released):
    first = services.balance_withdraw(worker_reference="user:1", amount_yen=5_000, dedupe_key="w1")
    again = services.balance_withdraw(worker_reference="user:1", amount_yen=5_000, dedupe_key="w1")

    assert again.pk == first.pk
    assert balances("milestone:1")["worker"] == 3_580


def test_a_failed_payout_returns_the_money_to_the_balance(released):
    # given
    payout = services.balance_withdraw(worker_reference="user:1", amount_yen=5_000, dedupe_key="w1")

    # when
    entry = services.payout_fail(payout_entry=payout, dedupe_key="pf1")
    again = services.payout_fail(payout_entry=payout, dedupe_key="pf1")

    # then
    assert again.pk == entry.pk
    assert entry.reverses == payout
    assert balances("milestone:1")["worker"] == 8_580
    assert balances("milestone:1")["in_flight"] == 0
    assert_ledger_ok()


def test_a_payout_fails_once(released):
    # given
    payout = services.balance_withdraw(worker_reference="user:1", amount_yen=5_000, dedupe_key="w1")
    services.payout_fail(payout_entry=payout, dedupe_key="pf1")

    # when / then
    with pytest.raises(Conflict) as refused:
        services.payout_fail(payout_entry=payout, dedupe_key="pf2")
    assert refused.value.code == "already_reversed"
    assert balances("milestone:1")["worker"] == 8_580


def test_only_a_withdrawal_can_fail_as_a_payout(released):
    release = JournalEntry.objects.get(kind=EntryKind.RELEASE)

    with pytest.raises(RuleViolation) as refused:
        services.payout_fail(payout_entry=release, dedupe_key="pf1")

    assert refused.value.code == "not_a_payout"


# --- chargebacks ------------------------------------------------------------


def test_a_chargeback_after_release_is_absorbed_as_a_loss(released):
    # when
    services.chargeback_record(reference="milestone:1", amount_yen=11_000, dedupe_key="c1")
    services.chargeback_record(reference="milestone:1", amount_yen=11_000, dedupe_key="c1")

    # then: the money went back to the provider; nothing was deleted
    assert balances("milestone:1")["external"] == 0
    assert balances("milestone:1")["losses"] == -11_000
    assert balances("milestone:1")["worker"] == 8_580
    assert Hold.objects.get().charged_back_yen == 11_000
    assert JournalEntry.objects.count() == 3
    assert_ledger_ok()


def test_chargebacks_cannot_exceed_the_funding(released):
    services.chargeback_record(reference="milestone:1", amount_yen=10_000, dedupe_key="c1")

    with pytest.raises(RuleViolation) as refused:
        services.chargeback_record(reference="milestone:1", amount_yen=1_001, dedupe_key="c2")

    assert refused.value.code == "chargeback_exceeds_funding"


def test_a_charged_back_hold_is_not_refunded_again(fund):
    # given
    fund()
    services.chargeback_record(reference="milestone:1", amount_yen=500, dedupe_key="c1")

    # when / then
    with pytest.raises(RuleViolation) as refused:
        services.hold_refund(reference="milestone:1", dedupe_key="x1")
    assert refused.value.code == "hold_charged_back"
    assert_ledger_ok()


def test_check_ledger_reports_ok_after_a_day_of_business(released, capsys):
    services.balance_withdraw(worker_reference="user:1", amount_yen=1_000, dedupe_key="w1")

    call_command("check_ledger")

    assert capsys.readouterr().out.startswith("ledger OK: 3 entries")
