"""Posting to the ledger: the functions that move money, and their locks.

``ledger_post`` and the one-statement posts ``ledger_fund`` and
``ledger_settle`` are the only code that writes ``JournalEntry``,
``Posting`` or an ``Account.balance``. The services in
``tsunagu.payments.services`` decide what to post; this module makes each
post balanced, locked and exactly-once.

Two paths. On PostgreSQL funding a new hold and settling a funded one are
one statement each (``ledger_fund``, ``ledger_settle``): outside a caller's
transaction that statement is the whole transaction, one round trip, and no
row stays locked while Python runs or a packet travels. Anything else (a
replay, a refusal, a lost race, SQLite, and every other service) takes the
locked path, ``ledger_post`` under ``ledger_transaction``; the one-statement
posts write nothing when they cannot succeed, and the locked path then says
why.

Lock order on the locked path. Every such transaction takes its row locks
in this order, so two of them never wait on each other in a cycle:

1. at most one ``Hold`` row (``SELECT ... FOR UPDATE`` by reference);
2. all the ``Account`` rows of the entry in one ``SELECT ... FOR UPDATE``
   ordered by primary key (``accounts_locked``).

An account an entry needs for the first time is created and then locked
after the others (see ``accounts_locked``). A one-statement post locks the
hold row first too, then its accounts by UPDATE in (kind, reference) order
rather than by key. The rare deadlocks either can cause are detected by
PostgreSQL and run again (``ledger_transaction``; a one-statement post
falls back to the locked path, which retries).

Hot rows. Every release credits the platform's fee and fee-tax accounts.
They are striped (``platform_stripe``: 16 accounts of each kind, chosen by
the item's reference), so concurrent releases rarely touch the same row,
and a one-statement settlement holds its stripe only from its UPDATE to
COMMIT. Invariants are unchanged: each stripe is an ordinary account whose
cached balance is the sum of its postings; the platform's total of a kind
is the sum of its stripes (``selectors.platform_balance``).

Exactly once. A ``dedupe_key`` is unique across the ledger; callers make it
say what it is for (``release:milestone:123:<request id>``). Posting a key
that exists returns the existing entry without writing, provided it is of
the same kind and reference (else 409 ``dedupe_key_reused``). On the locked
path the check runs after the locks are held, so a retry racing its
original waits for it and then sees its entry; a one-statement post whose
key exists fails on the UNIQUE index, writes nothing, and the locked path
finds the entry.

On SQLite ``select_for_update`` does nothing; the settings open every
transaction with BEGIN IMMEDIATE, which serializes writers instead.
"""

import functools
import logging
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any, ParamSpec, TypeVar

import psycopg
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.numeric import Int8

from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments.models import (
    NEGATIVE_KINDS,
    PLATFORM,
    Account,
    AccountKind,
    EntryKind,
    JournalEntry,
    Posting,
)

logger = logging.getLogger(__name__)

P = ParamSpec("P")
AccountKey = tuple[str, str]  # (kind, reference)
R = TypeVar("R")

# How many accounts of each kind the platform's fees are spread over.
PLATFORM_STRIPES = 16


def platform_stripe(reference: str) -> str:
    """The reference of the platform account that the entries of ``reference`` credit.

    Every release credits the platform's fee and fee-tax accounts; were
    there one row of each, every release in the system would queue on it
    from its UPDATE to its COMMIT. They are striped instead:
    ``fee_revenue:platform:0`` to ``fee_revenue:platform:15`` (and the same
    for ``fee_tax``), the stripe chosen by a hash of the item's reference.
    ``selectors.platform_balance`` sums a kind's stripes (and the plain
    ``platform`` account, which other entries may still credit).
    """
    return f"{PLATFORM}:{zlib.crc32(reference.encode()) % PLATFORM_STRIPES}"


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
    locked post costs a handful of round trips.

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


def ledger_settle(
    *,
    reference: str,
    state: str,
    kind: str,
    amount_yen: int,
    lines: Sequence[tuple[AccountKey, int]],
    dedupe_key: str,
) -> JournalEntry | None:
    """Settle the funded hold ``reference`` and post its entry, in one statement.

    PostgreSQL only; elsewhere it does nothing and returns ``None``. The
    statement moves the hold from ``funded`` to ``state`` if it is funded
    with exactly ``amount_yen``, and only then inserts the entry (``kind``,
    ``dedupe_key``), its postings and the new balances (creating missing
    accounts). Outside a transaction it is a transaction of its own: one
    round trip, no BEGIN or COMMIT; inside one it runs in a savepoint.

    Locks the hold row (the UPDATE waits for a concurrent settlement and
    then sees it settled), then the accounts of ``lines``, each only from
    its own UPDATE to COMMIT: no ``SELECT ... FOR UPDATE`` and no round trip
    while an account is locked. A debit that the snapshot shows would
    overdraw its account writes nothing; the only debit of a settlement is
    the hold's own account, which changes only under the hold's lock, so the
    snapshot is current there (and the CHECK constraint is the backstop).

    Returns the entry, or ``None`` when nothing was written: no such hold,
    not funded, another amount, a debit too large, the key taken (UNIQUE),
    another constraint, or outside a transaction a deadlock or
    serialization failure. The caller then runs its locked path, which says
    why or retries; a replay is always found there. ``lines`` are checked
    like ``ledger_post``'s (``ValueError``).
    """
    return _post_at_once(
        _POSTGRES_SETTLE,
        reference=reference,
        kind=kind,
        lines=lines,
        dedupe_key=dedupe_key,
        extra={"state": state, "amount": Int8(amount_yen)},
    )


def ledger_fund(
    *, reference: str, source: str, amount_yen: int, dedupe_key: str
) -> JournalEntry | None:
    """Post ``amount_yen`` from ``external:<source>`` into a new hold, in one statement.

    PostgreSQL only; elsewhere it does nothing and returns ``None``. Inserts
    the ``fund`` entry, the ``Hold`` row (funded, pointing at the entry), both
    postings and both balances (creating missing accounts), as one
    transaction outside a caller's and in a savepoint inside one. Takes no
    lock but the two accounts' rows, from their UPDATE to COMMIT; neither
    can be overdrawn (external may go negative).

    Returns the entry, or ``None`` when nothing was written: the key or the
    hold's reference taken (UNIQUE), another constraint, or outside a
    transaction a deadlock or serialization failure. The caller then runs
    its locked path, which finds the replay or says why.
    """
    lines = [
        ((AccountKind.EXTERNAL, source), -amount_yen),
        ((AccountKind.HOLD, reference), amount_yen),
    ]
    return _post_at_once(
        _POSTGRES_FUND,
        reference=reference,
        kind=EntryKind.FUND,
        lines=lines,
        dedupe_key=dedupe_key,
        extra={"source": source, "amount": Int8(amount_yen)},
    )


def _post_at_once(
    sql: str,
    *,
    reference: str,
    kind: str,
    lines: Sequence[tuple[AccountKey, int]],
    dedupe_key: str,
    extra: dict[str, Any],
) -> JournalEntry | None:
    """Run one of the one-statement posts; the entry, or ``None`` if it wrote nothing."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return None
    keys = _check_lines(lines)
    now = timezone.now()
    params: dict[str, Any] = {
        **extra,
        "reference": reference,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "now": now,
        "kinds": [key[0] for key in keys],
        "references": [key[1] for key in keys],
        "amounts": [Int8(amount) for _key, amount in lines],
        "negative": [key[0] in NEGATIVE_KINDS for key in keys],
    }
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            row = _prepared_fetchone(sql, params)
    except IntegrityError:
        return None
    except OperationalError as error:
        if in_transaction or _sqlstate(error) not in RETRYABLE_SQLSTATES:
            raise
        return None
    if row is None:
        return None

    entry = JournalEntry(
        pk=row[0], kind=kind, reference=reference, dedupe_key=dedupe_key, memo="", created_at=now
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    logger.info("payments: posted %s entry %s for %s", kind, entry.pk, reference)
    return entry


# The one-statement posts, in pieces. The entry's id is drawn first, so that
# a hold can point at it in the same statement. Lines that debit an account
# which may not go negative update existing rows; all other lines are
# upserted in (kind, reference) order, a new account starting at its one
# posting. (An upsert cannot debit: the CHECK applies to the row it proposes
# before it meets the existing one.) Everything after the gate reads the
# gate's RETURNING, so a gate that matches no row writes nothing.
_LINES = """
lines AS (
    SELECT *, amount < 0 AND NOT may_go_negative AS debit FROM unnest(
        %(kinds)s::text[], %(references)s::text[], %(amounts)s::bigint[], %(negative)s::boolean[]
    ) AS line (kind, reference, amount, may_go_negative)
), drawn AS (
    SELECT nextval(pg_get_serial_sequence('payments_journalentry', 'id')) AS entry_id
)"""
_ENTRY = """
entry AS (
    INSERT INTO payments_journalentry (id, kind, reference, dedupe_key, memo, created_at)
    SELECT {gate}.entry_id, %(kind)s, %(reference)s, %(dedupe_key)s, '', %(now)s FROM {gate}
    RETURNING id
)"""
_BALANCES_AND_POSTINGS = """
debited AS (
    UPDATE payments_account
    SET balance = payments_account.balance + lines.amount, updated_at = %(now)s
    FROM {gate}, lines
    WHERE lines.debit
        AND payments_account.kind = lines.kind
        AND payments_account.reference = lines.reference
    RETURNING payments_account.id, payments_account.kind, payments_account.reference
), credited AS (
    INSERT INTO payments_account AS account
        (kind, reference, balance, may_go_negative, created_at, updated_at)
    SELECT lines.kind, lines.reference, lines.amount, lines.may_go_negative, %(now)s, %(now)s
    FROM {gate}, lines
    WHERE NOT lines.debit
    ORDER BY lines.kind, lines.reference
    ON CONFLICT (kind, reference) DO UPDATE
    SET balance = account.balance + excluded.balance, updated_at = excluded.updated_at
    RETURNING account.id, account.kind, account.reference
), postings AS (
    INSERT INTO payments_posting (entry_id, account_id, amount)
    SELECT {entry_id}, accounts.id, lines.amount
    FROM {gate}, (SELECT * FROM debited UNION ALL SELECT * FROM credited) AS accounts
    JOIN lines USING (kind, reference)
)"""

# Settling: the hold's UPDATE is the gate. It waits for a concurrent
# settlement's row lock and then sees the hold settled; it also refuses a
# debit that the snapshot shows would overdraw its account.
_POSTGRES_SETTLE = f"""
WITH {_LINES}, hold AS (
    UPDATE payments_hold
    SET state = %(state)s, settled_entry_id = drawn.entry_id,
        settled_at = %(now)s, updated_at = %(now)s
    FROM drawn
    WHERE payments_hold.reference = %(reference)s
        AND payments_hold.state = 'funded'
        AND payments_hold.amount_yen = %(amount)s
        AND NOT EXISTS (
            SELECT FROM lines LEFT JOIN payments_account USING (kind, reference)
            WHERE lines.debit AND coalesce(payments_account.balance, 0) + lines.amount < 0
        )
    RETURNING drawn.entry_id
), {_ENTRY.format(gate="hold")}, {_BALANCES_AND_POSTINGS.format(gate="entry", entry_id="entry.id")}
SELECT id FROM entry
"""  # noqa: S608 (composed of constants only; every value is a bound parameter)

# Funding: the entry's INSERT is the gate (a taken key fails the statement),
# then the hold's INSERT (a funded reference fails it).
_POSTGRES_FUND = f"""
WITH {_LINES}, {_ENTRY.format(gate="drawn")}, hold AS (
    INSERT INTO payments_hold
        (reference, source, amount_yen, state, fund_entry_id, charged_back_yen, released_yen,
         created_at, updated_at)
    SELECT %(reference)s, %(source)s, %(amount)s, 'funded', entry.id, 0, 0, %(now)s, %(now)s
    FROM entry
    RETURNING fund_entry_id AS entry_id
), {_BALANCES_AND_POSTINGS.format(gate="hold", entry_id="hold.entry_id")}
SELECT entry_id FROM hold
"""  # noqa: S608 (composed of constants only; every value is a bound parameter)


def _prepared_fetchone(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run ``sql`` with server-side binding on the default connection; its first row.

    Django's own cursors bind on the client, which PostgreSQL cannot
    prepare; a server-binding cursor lets psycopg prepare a statement once
    it has run ``prepare_threshold`` times on the connection (set in the
    settings; ``None``, Django's default, never prepares). Goes through
    Django's cursor wrapper, so query logging, execute wrappers and the
    translation of database errors apply as to any query.
    """
    connection = transaction.get_connection()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw: psycopg.Cursor[tuple[Any, ...]] = psycopg.Cursor(connection.connection)
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with cursor:
        cursor.execute(sql, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


# TODO(#3): only funding and releasing have a one-statement path; a refund,
# a split, a withdrawal, a failed payout and a chargeback are still about six
# round trips with their accounts locked from ``accounts_locked`` to COMMIT
# (fine at their rates). Funding shares one ``external:<source>`` row per
# provider, the next hot row if card payments grow: stripe it like the fees.
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
