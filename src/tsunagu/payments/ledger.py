"""Posting to the ledger: the one function that moves money, and its locks.

``ledger_post`` is the only code that writes ``JournalEntry``, ``Posting`` or
an ``Account.balance``. The services in ``tsunagu.payments.services`` decide
what to post; this module makes each post balanced, locked and exactly-once.

Lock order. Every transaction that writes the ledger takes its row locks in
this order, so two of them never wait on each other in a cycle:

1. at most one ``Hold`` row (``SELECT ... FOR UPDATE`` by reference);
2. all the ``Account`` rows of the entry in one ``SELECT ... FOR UPDATE``
   ordered by primary key (``accounts_locked``).

An account an entry needs for the first time is created and then locked
after the others (see ``accounts_locked``); the rare deadlock that can
cause is retried like any other.

Round trips. A release is BEGIN, the hold's lock, the accounts' lock, one
statement that writes the entry, its postings and the balances (PostgreSQL),
the hold's update and COMMIT: the accounts stay locked for as few round
trips as possible, because the platform's fee accounts are in every release.

Exactly once. A ``dedupe_key`` is unique across the ledger; callers make it
say what it is for (``release:milestone:123:<request id>``). Posting a key
that exists returns the existing entry without writing, provided it is of
the same kind and reference (else 409 ``dedupe_key_reused``). The check runs
after the locks are held, so a retry racing its original waits for it and
then sees its entry; the UNIQUE index is the backstop.

On SQLite ``select_for_update`` does nothing; the settings open every
transaction with BEGIN IMMEDIATE, which serializes writers instead.
"""

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments.models import NEGATIVE_KINDS, Account, JournalEntry, Posting

logger = logging.getLogger(__name__)

P = ParamSpec("P")
AccountKey = tuple[str, str]  # (kind, reference)
R = TypeVar("R")

# PostgreSQL's deadlock_detected and serialization_failure: the transaction
# was rolled back as a whole and may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
MAX_ATTEMPTS = 4


def ledger_transaction(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in one transaction; retry it when PostgreSQL gives up on it.

    A deadlock or serialization failure (SQLSTATE 40P01 / 40001) rolls the
    whole transaction back, so running it again is safe. The retry is
    bounded (``MAX_ATTEMPTS``) and has no sleep; when attempts run out the
    caller gets 409 ``ledger_busy``, never a 500. Inside a caller's own
    transaction nothing is retried (only the outermost block can start
    over): the error goes up to the caller, who owns the transaction.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        connection = transaction.get_connection()
        retryable = connection.vendor == "postgresql" and not connection.in_atomic_block
        attempt = 1
        while True:
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as error:
                sqlstate = _sqlstate(error)
                if not retryable or sqlstate not in RETRYABLE_SQLSTATES:
                    raise
                if attempt >= MAX_ATTEMPTS:
                    logger.warning(
                        "payments: %s gave up after %d attempts (%s)",
                        func.__name__,
                        attempt,
                        sqlstate,
                    )
                    raise Conflict(
                        _("The ledger is busy. Please try again."), code="ledger_busy"
                    ) from error
                logger.info(
                    "payments: retrying %s after %s (attempt %d)", func.__name__, sqlstate, attempt
                )
                attempt += 1

    return wrapper


def _sqlstate(error: BaseException) -> str | None:
    cause = error.__cause__
    # psycopg 3 says ``sqlstate``, psycopg2 ``pgcode``.
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code if isinstance(code, str) else None


def account_for(*, kind: str, reference: str) -> Account:
    """The account (kind, reference), created empty if it does not exist.

    Takes no lock; safe against a concurrent creation (UNIQUE plus
    get_or_create's retry). Only external and losses accounts may go
    negative.
    """
    account, _created = Account.objects.get_or_create(
        kind=kind, reference=reference, defaults={"may_go_negative": kind in NEGATIVE_KINDS}
    )
    return account


def accounts_for(pairs: Iterable[AccountKey]) -> dict[AccountKey, Account]:
    """``account_for`` for several (kind, reference) pairs, created in sorted order."""
    return {pair: account_for(kind=pair[0], reference=pair[1]) for pair in sorted(set(pairs))}


def accounts_locked(pairs: Iterable[AccountKey]) -> dict[AccountKey, Account]:
    """Lock the accounts of ``pairs`` for the rest of the transaction, by primary key.

    One ``SELECT ... FOR UPDATE`` ordered by primary key locks every account
    that exists. An account that does not exist yet is created (in (kind,
    reference) order) and locked by a second such SELECT; creating it while
    holding the others' locks can deadlock with a transaction creating the
    same account, which PostgreSQL detects and ``ledger_transaction`` runs
    again. Must run inside a transaction.
    """
    wanted = sorted(set(pairs))
    matches = Q()
    for kind, reference in wanted:
        matches |= Q(kind=kind, reference=reference)
    locked = {
        (account.kind, account.reference): account
        for account in Account.objects.select_for_update().filter(matches).order_by("pk")
    }
    missing = [pair for pair in wanted if pair not in locked]
    if missing:
        created = [account_for(kind=kind, reference=reference) for kind, reference in missing]
        for account in (
            Account.objects.select_for_update()
            .filter(pk__in=[account.pk for account in created])
            .order_by("pk")
        ):
            locked[account.kind, account.reference] = account
    return locked


def entry_replayed(*, dedupe_key: str | None, kind: str, reference: str) -> JournalEntry | None:
    """The entry already posted with ``dedupe_key``, if any.

    Raises 409 ``dedupe_key_reused`` when that entry is of another kind or
    reference: the key was meant for something else.
    """
    if dedupe_key is None:
        return None
    existing = JournalEntry.objects.filter(dedupe_key=dedupe_key).first()
    if existing is None:
        return None
    if existing.kind != kind or existing.reference != reference:
        raise Conflict(
            _("This idempotency key was already used for another payment operation."),
            code="dedupe_key_reused",
            extra={"entry": existing.pk},
        )
    return existing


def ledger_post(
    *,
    kind: str,
    reference: str,
    lines: Sequence[tuple[Account | AccountKey, int]],
    dedupe_key: str | None = None,
    reverses: JournalEntry | None = None,
    memo: str = "",
    replay_checked: bool = False,
) -> JournalEntry:
    """Post one balanced entry: postings, then the cached balances, atomically.

    ``lines`` are (account, signed yen) pairs, the account given as an
    ``Account`` or as its (kind, reference) key (created if missing): whole
    non-zero ``int``, one per account, summing to zero; anything else is a
    programming error (``ValueError``). Locks the accounts of the lines with
    ``accounts_locked`` (one ``SELECT ... FOR UPDATE`` ordered by primary
    key) for the rest of the surrounding transaction, and writes the entry,
    its postings and the new balances; ``Account`` objects passed in get
    their new balance. On PostgreSQL the write is one statement, so a
    release costs a handful of round trips (see ``tsunagu bench ledger``).

    Returns the existing entry when ``dedupe_key`` was posted before (see the
    module docstring); a caller that has already checked for a replay under
    a lock of its own (a hold's row) passes ``replay_checked`` to skip the
    second look. Raises 422 ``insufficient_funds`` when a line would take an
    account that may not go negative below zero (the CHECK constraint is the
    backstop), 409 ``already_reversed`` when ``reverses`` was reversed
    before, 409 ``dedupe_key_reused`` when the key was used for another
    entry. Every refusal comes before the first posting, so a caller's
    transaction is left usable (at most an empty account was created).
    """
    keys = _check_lines(lines)
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return ledger_post(
                kind=kind,
                reference=reference,
                lines=lines,
                dedupe_key=dedupe_key,
                reverses=reverses,
                memo=memo,
                replay_checked=replay_checked,
            )

    locked = accounts_locked(keys)
    if not replay_checked:
        replayed = entry_replayed(dedupe_key=dedupe_key, kind=kind, reference=reference)
        if replayed is not None:
            return replayed

    amounts: dict[int, int] = {}
    for key, (_account, amount) in zip(keys, lines, strict=True):
        current = locked[key]
        if current.balance + amount < 0 and not current.may_go_negative:
            raise RuleViolation(
                _("The balance is not enough for this payment."),
                code="insufficient_funds",
                extra={"account": str(current), "balance": current.balance},
            )
        amounts[current.pk] = amount
    if reverses is not None and JournalEntry.objects.filter(reverses=reverses).exists():
        raise _already_reversed()

    entry = _entry_write(
        kind=kind,
        reference=reference,
        dedupe_key=dedupe_key,
        reverses=reverses,
        memo=memo,
        amounts=amounts,
    )
    if entry is None:
        # A concurrent post with the same key won the race; its effect stands.
        replayed = entry_replayed(dedupe_key=dedupe_key, kind=kind, reference=reference)
        assert replayed is not None  # the key conflicted, so its entry exists
        return replayed

    for key, (account, amount) in zip(keys, lines, strict=True):
        locked[key].balance += amount
        if isinstance(account, Account):
            account.balance = locked[key].balance
    logger.info("payments: posted %s entry %s for %s", kind, entry.pk, reference)
    return entry


# TODO(#3): ``tsunagu bench ledger`` stays under the target (a quarter
# of pgbench's TPS at 4 clients): a release is still six round trips, and the
# platform's fee and fee-tax rows stay locked from ``accounts_locked`` to
# COMMIT, so every release in the system queues on them. Next steps: lock
# credit-only platform accounts only in the write statement (they cannot be
# overdrawn), and fold the hold's update into that statement.
# One statement for the whole write on PostgreSQL: the entry (nothing if its
# dedupe key exists), its postings and the balances, the last two only if the
# entry was inserted. Every round trip is time the accounts stay locked.
_POSTGRES_WRITE = """
WITH entry AS (
    INSERT INTO payments_journalentry
        (kind, reference, dedupe_key, reverses_id, memo, created_at)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
), lines AS (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS line (account_id, amount)
), postings AS (
    INSERT INTO payments_posting (entry_id, account_id, amount)
    SELECT entry.id, lines.account_id, lines.amount FROM entry, lines
), balances AS (
    UPDATE payments_account
    SET balance = payments_account.balance + lines.amount, updated_at = %s
    FROM entry, lines
    WHERE payments_account.id = lines.account_id
)
SELECT id FROM entry
"""


def _entry_write(
    *,
    kind: str,
    reference: str,
    dedupe_key: str | None,
    reverses: JournalEntry | None,
    memo: str,
    amounts: dict[int, int],
) -> JournalEntry | None:
    """Insert the entry, its postings and the new balances; ``None`` if the key exists.

    The accounts are locked by the caller. A second reversal of one entry
    fails on the UNIQUE index of ``reverses`` (409 ``already_reversed``).
    """
    now = timezone.now()
    connection = transaction.get_connection()
    entry = JournalEntry(
        kind=kind,
        reference=reference,
        dedupe_key=dedupe_key,
        reverses=reverses,
        memo=memo,
        created_at=now,
    )
    try:
        with transaction.atomic(savepoint=connection.vendor != "postgresql"):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        _POSTGRES_WRITE,
                        [
                            kind,
                            reference,
                            dedupe_key,
                            reverses.pk if reverses is not None else None,
                            memo,
                            now,
                            list(amounts),
                            list(amounts.values()),
                            now,
                        ],
                    )
                    row = cursor.fetchone()
                if row is None:
                    return None
                entry.pk = row[0]
                entry._state.adding = False
                entry._state.db = connection.alias
                return entry

            # SQLite: writers are serialized (BEGIN IMMEDIATE) and a round
            # trip is a function call, so plain ORM statements do.
            taken = JournalEntry.objects.filter(dedupe_key=dedupe_key)
            if dedupe_key is not None and taken.exists():
                return None
            entry.save(force_insert=True)
            Posting.objects.bulk_create(
                [
                    Posting(entry=entry, account_id=account_id, amount=amount)
                    for account_id, amount in amounts.items()
                ]
            )
            Account.objects.filter(pk__in=list(amounts)).update(
                balance=F("balance")
                + Case(
                    *[When(pk=pk, then=Value(amount)) for pk, amount in amounts.items()],
                    output_field=BigIntegerField(),
                ),
                updated_at=now,
            )
            return entry
    except IntegrityError as error:
        # Checked under the accounts' locks already; the UNIQUE index is the
        # backstop. (PostgreSQL has aborted the transaction: no query now.)
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if reverses is not None and "reverses" in str(constraint or error):
            raise _already_reversed() from None
        raise


def _already_reversed() -> Conflict:
    return Conflict(_("This payment operation was already reversed."), code="already_reversed")


def _check_lines(lines: Sequence[tuple[Account | AccountKey, int]]) -> list[AccountKey]:
    """The (kind, reference) key of each line's account, after checking the lines."""
    if len(lines) < 2:
        raise ValueError("an entry needs at least two lines")
    keys: list[AccountKey] = []
    for account, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError(f"amounts are whole yen (int), not {type(amount).__name__}")
        if amount == 0:
            raise ValueError("a line of zero yen is not posted")
        if isinstance(account, Account):
            if account.pk is None:
                raise ValueError("post to saved accounts only")
            key = (account.kind, account.reference)
        else:
            key = (str(account[0]), str(account[1]))
        if key in keys:
            raise ValueError(f"account {key[0]}:{key[1]} appears twice in one entry")
        keys.append(key)
    total = sum(amount for _account, amount in lines)
    if total != 0:
        raise ValueError(f"the lines of an entry must sum to zero, not {total}")
    return keys
