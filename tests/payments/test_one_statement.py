"""Funding and releasing in one statement on PostgreSQL, and the striped fee accounts.

The services take a one-statement path for a new hold and for the release of
a funded one (``ledger.ledger_fund``, ``ledger.ledger_settle``). Outside a
caller's transaction that statement is the whole transaction; these tests
run outside one (``transaction=True``) where the path differs from the rest
of the suite, which runs inside a test transaction (a savepoint then).
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.db_state import table_counts
from tests.payments.conftest import BANK, ON, POSTGRES_ONLY, balances, simple_breakdown
from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments import services
from tsunagu.payments.fees import price_with_tax
from tsunagu.payments.ledger import PLATFORM_STRIPES, ledger_post, platform_stripe
from tsunagu.payments.models import (
    PLATFORM,
    Account,
    AccountKind,
    EntryKind,
    Hold,
    HoldState,
    JournalEntry,
)
from tsunagu.payments.selectors import ledger_check, platform_balance


def fund_hold(reference: str, *, key: str | None = None) -> JournalEntry:
    return services.hold_fund(
        reference=reference,
        amount_yen=price_with_tax(price_yen=10_000, on=ON),
        source=BANK,
        dedupe_key=key or f"fund:{reference}",
    )


def release_hold(reference: str, *, key: str, worker: str = "user:1") -> JournalEntry:
    return services.hold_release(
        reference=reference,
        worker_reference=worker,
        breakdown=simple_breakdown(10_000),
        dedupe_key=key,
    )


# --- one statement, outside a caller's transaction --------------------------------


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_funding_and_releasing_a_hold_are_one_statement_each():
    # when
    with CaptureQueriesContext(connection) as funding:
        funded = fund_hold("milestone:1")
    with CaptureQueriesContext(connection) as releasing:
        released = release_hold("milestone:1", key="r1")

    # then: no BEGIN, no COMMIT, no lock of its own: one statement each
    assert len(funding.captured_queries) == 1
    assert len(releasing.captured_queries) == 1
    hold = Hold.objects.get(reference="milestone:1")
    assert hold.fund_entry_id == funded.pk
    assert hold.state == HoldState.RELEASED
    assert hold.settled_entry_id == released.pk
    assert hold.settled_at is not None
    assert JournalEntry.objects.get(pk=released.pk).kind == EntryKind.RELEASE
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
    assert ledger_check().problems == []


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_replay_returns_the_first_entry():
    # given
    funded = fund_hold("milestone:1")
    released = release_hold("milestone:1", key="r1")

    # when
    funded_again = fund_hold("milestone:1")
    released_again = release_hold("milestone:1", key="r1")

    # then
    assert (funded_again.pk, released_again.pk) == (funded.pk, released.pk)
    assert JournalEntry.objects.count() == 2
    assert balances("milestone:1")["worker"] == 8_580


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_refusal_writes_nothing():
    # given: two funded holds, one of them released
    fund_hold("milestone:1")
    fund_hold("milestone:2")
    release_hold("milestone:1", key="r1")
    before = table_counts()

    # when / then: a key of another operation, a funded reference, a settled hold
    with pytest.raises(Conflict) as reused:
        release_hold("milestone:2", key="fund:milestone:1")
    with pytest.raises(Conflict) as funded:
        fund_hold("milestone:2", key="another key")
    with pytest.raises(Conflict) as settled:
        release_hold("milestone:1", key="r2")

    assert (reused.value.code, funded.value.code, settled.value.code) == (
        "dedupe_key_reused",
        "hold_exists",
        "hold_settled",
    )
    assert table_counts() == before
    assert Hold.objects.get(reference="milestone:2").state == HoldState.FUNDED
    assert ledger_check().problems == []


# --- inside a caller's transaction, and on both databases -------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refused_release_leaves_the_callers_transaction_usable():
    # given
    fund_hold("milestone:1")
    fund_hold("milestone:2")

    # when: inside one transaction, a refused release and then a good one
    with transaction.atomic():
        with pytest.raises(Conflict) as refused:
            release_hold("milestone:2", key="fund:milestone:1")
        entry = release_hold("milestone:2", key="r2")

    # then
    assert refused.value.code == "dedupe_key_reused"
    assert Hold.objects.get(reference="milestone:2").settled_entry_id == entry.pk
    assert ledger_check().problems == []


@pytest.mark.django_db
def test_a_release_the_holds_account_cannot_cover_is_refused(fund):
    # given: a funded hold whose account has somehow lost ¥1 (only a bug could)
    fund(reference="milestone:1")
    ledger_post(
        kind=EntryKind.REVERSAL,
        reference="milestone:1",
        lines=[((AccountKind.HOLD, "milestone:1"), -1), ((AccountKind.EXTERNAL, BANK), 1)],
    )
    before = table_counts()

    # when / then
    with pytest.raises(RuleViolation) as refused:
        release_hold("milestone:1", key="r1")
    assert refused.value.code == "insufficient_funds"
    assert table_counts() == before
    assert Hold.objects.get(reference="milestone:1").state == HoldState.FUNDED


# --- the platform's striped fee accounts ------------------------------------------


@pytest.mark.django_db
def test_fees_are_spread_over_the_stripes_and_summed_by_platform_balance(fund):
    # given: holds whose references fall on different stripes
    references = [f"milestone:{number}" for number in range(1, 9)]
    stripes = {platform_stripe(reference) for reference in references}
    assert len(stripes) > 1

    # when
    for reference in references:
        fund(reference=reference)
        release_hold(reference, key=f"release:{reference}")

    # then: each fee on its item's stripe; the platform's total is their sum
    fee_accounts = Account.objects.filter(kind=AccountKind.FEE_REVENUE)
    assert {account.reference for account in fee_accounts} == stripes
    assert all(
        0 <= int(account.reference.removeprefix(f"{PLATFORM}:")) < PLATFORM_STRIPES
        for account in fee_accounts
    )
    assert platform_balance(kind=AccountKind.FEE_REVENUE) == 8 * 2_200
    assert platform_balance(kind=AccountKind.FEE_TAX) == 8 * 220
    assert ledger_check().problems == []


@pytest.mark.django_db
def test_platform_balance_counts_the_plain_platform_account_too(fund):
    # given: a fee on a stripe, and ¥100 posted to the plain platform account
    fund(reference="milestone:1")
    release_hold("milestone:1", key="r1")
    ledger_post(
        kind=EntryKind.PAYOUT_PAID,
        reference="user:1",
        lines=[
            ((AccountKind.WORKER_BALANCE, "user:1"), -100),
            ((AccountKind.FEE_REVENUE, PLATFORM), 100),
        ],
    )

    # when / then
    assert platform_balance(kind=AccountKind.FEE_REVENUE) == 2_200 + 100
    assert platform_balance(kind=AccountKind.FEE_TAX) == 220
