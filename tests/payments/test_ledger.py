"""The posting function, the append-only guards, the retry and check-ledger."""

import threading

import psycopg.errors
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, OperationalError, connection, transaction

from tests.payments.conftest import POSTGRES_ONLY, simple_breakdown
from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments import services
from tsunagu.payments.ledger import MAX_ATTEMPTS, account_for, ledger_post, ledger_transaction
from tsunagu.payments.models import Account, AccountKind, EntryKind, Hold, JournalEntry, Posting


@pytest.fixture
def two_accounts(db):
    return (
        account_for(kind=AccountKind.EXTERNAL, reference="provider:test"),
        account_for(kind=AccountKind.HOLD, reference="milestone:1"),
    )


# --- ledger_post --------------------------------------------------------------


def test_a_post_updates_the_cached_balances(two_accounts):
    # given
    external, hold = two_accounts

    # when
    entry = ledger_post(
        kind=EntryKind.FUND, reference="milestone:1", lines=[(external, -500), (hold, 500)]
    )

    # then
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-500, 500]
    assert (external.balance, hold.balance) == (-500, 500)
    assert Account.objects.get(pk=hold.pk).balance == 500


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ((-500, 499), "sum to zero"),
        ((0, 0), "zero yen"),
        ((-1.5, 1.5), "whole yen"),
        ((-500,), "two lines"),
    ],
)
def test_a_malformed_post_is_a_programming_error(two_accounts, amounts, message):
    lines = list(zip(two_accounts, amounts, strict=False))

    with pytest.raises(ValueError, match=message):
        ledger_post(kind=EntryKind.FUND, reference="milestone:1", lines=lines)

    assert JournalEntry.objects.count() == 0


def test_an_account_appears_once_in_an_entry(two_accounts):
    external, _hold = two_accounts

    with pytest.raises(ValueError, match="twice"):
        ledger_post(kind=EntryKind.FUND, reference="x", lines=[(external, -1), (external, 1)])


def test_a_post_cannot_take_a_non_negative_account_below_zero(two_accounts):
    # given
    external, hold = two_accounts

    # when / then: the hold would go to -1
    with pytest.raises(RuleViolation) as refused:
        ledger_post(
            kind=EntryKind.REFUND, reference="milestone:1", lines=[(hold, -1), (external, 1)]
        )
    assert refused.value.code == "insufficient_funds"
    assert Posting.objects.count() == 0


def test_the_database_refuses_a_forbidden_negative_balance(two_accounts):
    _external, hold = two_accounts

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=hold.pk).update(balance=-1)


def test_only_external_and_losses_accounts_may_go_negative(db):
    assert account_for(kind=AccountKind.EXTERNAL, reference="p").may_go_negative
    assert account_for(kind=AccountKind.LOSSES, reference="m").may_go_negative
    assert not account_for(kind=AccountKind.WORKER_BALANCE, reference="u").may_go_negative

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=AccountKind.HOLD, reference="h", may_go_negative=True)


def test_a_dedupe_key_posts_once(two_accounts):
    external, hold = two_accounts
    lines = [(external, -500), (hold, 500)]

    first = ledger_post(kind=EntryKind.FUND, reference="milestone:1", lines=lines, dedupe_key="k")
    again = ledger_post(kind=EntryKind.FUND, reference="milestone:1", lines=lines, dedupe_key="k")

    assert again.pk == first.pk
    assert Account.objects.get(pk=hold.pk).balance == 500


# --- append-only --------------------------------------------------------------


@pytest.fixture
def entry(two_accounts):
    external, hold = two_accounts
    return ledger_post(
        kind=EntryKind.FUND, reference="milestone:1", lines=[(external, -500), (hold, 500)]
    )


def test_entries_and_postings_are_never_saved_twice_or_deleted(entry):
    posting = entry.postings.first()

    for row in (entry, posting):
        with pytest.raises(TypeError, match="append-only"):
            row.save()
        with pytest.raises(TypeError, match="append-only"):
            row.delete()
    with pytest.raises(TypeError, match="append-only"):
        JournalEntry.objects.filter(pk=entry.pk).update(memo="changed")
    with pytest.raises(TypeError, match="append-only"):
        Posting.objects.all().delete()
    with pytest.raises(TypeError, match="append-only"):
        Posting.objects.bulk_update([posting], ["amount"])


@pytest.mark.parametrize("table", ["payments_journalentry", "payments_posting"])
def test_the_database_refuses_to_update_ledger_rows(entry, table):
    column = "memo = 'changed'" if table == "payments_journalentry" else "amount = 1"

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column}")  # noqa: S608 - fixed test SQL


@POSTGRES_ONLY
@pytest.mark.parametrize("table", ["payments_journalentry", "payments_posting"])
def test_postgresql_refuses_to_delete_ledger_rows(entry, table):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed test SQL


# --- retrying on deadlocks ------------------------------------------------------


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_a_bounded_number_of_times():
    # given: a transaction that deadlocks twice, then commits
    calls = []

    @ledger_transaction
    def flaky() -> str:
        calls.append(connection.in_atomic_block)
        if len(calls) < 3:
            raise deadlock()
        return "done"

    @ledger_transaction
    def hopeless() -> None:
        raise deadlock()

    # when / then
    assert flaky() == "done"
    assert calls == [True, True, True]
    with pytest.raises(Conflict) as refused:
        hopeless()
    assert refused.value.code == "ledger_busy"


@pytest.mark.django_db
def test_nothing_is_retried_inside_a_callers_transaction():
    # given: the caller's transaction (the test's) is already open
    calls = []

    @ledger_transaction
    def flaky() -> None:
        calls.append(1)
        raise deadlock()

    # when / then: only the owner of the transaction may start it over
    with pytest.raises(OperationalError):
        flaky()
    assert calls == [1]


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_reaches_no_caller():
    # given: two accounts, and two transactions that lock them in opposite orders
    first = account_for(kind=AccountKind.EXTERNAL, reference="provider:a")
    second = account_for(kind=AccountKind.EXTERNAL, reference="provider:b")
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts: dict[str, int] = {"ab": 0, "ba": 0}
    errors: list[BaseException] = []

    @ledger_transaction
    def lock_in_order(name: str, ids: tuple[int, int]) -> None:
        attempts[name] += 1
        Account.objects.select_for_update().get(pk=ids[0])
        if attempts[name] == 1:
            both_hold_one.wait()
        Account.objects.select_for_update().get(pk=ids[1])

    def run(name: str, ids: tuple[int, int]) -> None:
        try:
            lock_in_order(name, ids)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [
        threading.Thread(target=run, args=("ab", (first.pk, second.pk))),
        threading.Thread(target=run, args=("ba", (second.pk, first.pk))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then: PostgreSQL killed one of them, which ran again and succeeded. (On
    # a loaded machine the victim's second attempt can grab the first row
    # again before the survivor wakes, and deadlock once more: still no
    # caller sees it.)
    assert errors == []
    assert min(attempts.values()) == 1
    assert 2 <= max(attempts.values()) <= MAX_ATTEMPTS


# --- check-ledger ------------------------------------------------------------


@pytest.fixture
def released(fund):
    fund(price=10_000)
    services.hold_release(
        reference="milestone:1",
        worker_reference="user:1",
        breakdown=simple_breakdown(10_000),
        dedupe_key="r1",
    )


def test_check_ledger_prints_one_ok_line(released, capsys):
    call_command("check_ledger")

    out = capsys.readouterr().out
    assert out == "ledger OK: 2 entries, 6 postings, 5 accounts, 1 holds, balanced to 0 yen\n"


def test_check_ledger_finds_a_drifted_cached_balance(released, capsys):
    # given: a balance changed behind the ledger's back
    Account.objects.filter(kind=AccountKind.WORKER_BALANCE).update(balance=9_000)

    # when / then
    with pytest.raises(CommandError, match="ledger check failed: 2 problem"):
        call_command("check_ledger")
    out = capsys.readouterr().out
    assert "all account balances sum to 420, not 0" in out
    assert "(worker_balance:user:1): cached balance 9000, postings sum to 8580" in out


def test_check_ledger_finds_an_unbalanced_entry(released, capsys):
    # given: a posting slipped into the release
    release = JournalEntry.objects.get(kind=EntryKind.RELEASE)
    Posting.objects.create(
        entry=release, account=account_for(kind="losses", reference="x"), amount=7
    )

    # when / then
    with pytest.raises(CommandError):
        call_command("check_ledger")
    out = capsys.readouterr().out
    assert f"entry {release.pk} (release milestone:1): 5 postings summing to 7" in out
    assert "all postings sum to 7, not 0" in out


def test_check_ledger_finds_a_hold_whose_state_disagrees_with_its_account(released, capsys):
    # given: the hold row put back to funded, though its money is gone
    Hold.objects.update(state="funded", settled_entry=None, settled_at=None)

    # when / then
    with pytest.raises(CommandError):
        call_command("check_ledger")
    out = capsys.readouterr().out
    assert "hold milestone:1 (funded, 11000 yen): hold account 0" in out
    assert "(release milestone:1) settles no hold" in out
