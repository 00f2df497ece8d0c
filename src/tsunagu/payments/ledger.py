"""Posting to the ledger: the one function that moves money, and its locks.

``ledger_post`` is the only code that writes ``JournalEntry``, ``Posting`` or
an ``Account.balance``. The services in ``tsunagu.payments.services`` decide
what to post; this module makes each post balanced, locked and exactly-once.

Lock order. Every transaction that writes the ledger takes its row locks in
this order, so two of them never wait on each other in a cycle:

1. at most one ``Hold`` row (``SELECT ... FOR UPDATE`` by reference);
2. all the ``Account`` rows of the entry in one ``SELECT ... FOR UPDATE``
   ordered by primary key.

Accounts an entry needs are created beforehand (``account_for``), in
(kind, reference) order, before any account row is locked.

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
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments.models import NEGATIVE_KINDS, Account, JournalEntry, Posting

logger = logging.getLogger(__name__)

P = ParamSpec("P")
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


def accounts_for(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Account]:
    """``account_for`` for several (kind, reference) pairs, created in sorted order."""
    return {pair: account_for(kind=pair[0], reference=pair[1]) for pair in sorted(set(pairs))}


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
    lines: list[tuple[Account, int]],
    dedupe_key: str | None = None,
    reverses: JournalEntry | None = None,
    memo: str = "",
) -> JournalEntry:
    """Post one balanced entry: postings, then the cached balances, atomically.

    ``lines`` are (account, signed yen) pairs: whole non-zero ``int``, one per
    account, summing to zero; anything else is a programming error
    (``ValueError``). Locks the accounts of the lines (ordered by primary
    key) for the rest of the surrounding transaction and updates their
    balances with one ``UPDATE ... SET balance = balance + ...``; the
    ``Account`` objects passed in get their new balance.

    Returns the existing entry when ``dedupe_key`` was posted before (see the
    module docstring). Raises 422 ``insufficient_funds`` when a line would
    take an account that may not go negative below zero (the CHECK
    constraint is the backstop), and 409 ``already_reversed`` when
    ``reverses`` was reversed before.
    """
    _check_lines(lines)
    ids = sorted(account.pk for account, _amount in lines)

    with transaction.atomic():
        locked = {
            account.pk: account
            for account in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }

        replayed = entry_replayed(dedupe_key=dedupe_key, kind=kind, reference=reference)
        if replayed is not None:
            return replayed

        for account, amount in lines:
            current = locked[account.pk]
            if current.balance + amount < 0 and not current.may_go_negative:
                raise RuleViolation(
                    _("The balance is not enough for this payment."),
                    code="insufficient_funds",
                    extra={"account": str(current), "balance": current.balance},
                )

        entry, created = _entry_create(
            kind=kind, reference=reference, dedupe_key=dedupe_key, reverses=reverses, memo=memo
        )
        if not created:
            # A concurrent post with the same key won the race; its effect stands.
            return entry

        Posting.objects.bulk_create(
            [Posting(entry=entry, account=account, amount=amount) for account, amount in lines]
        )
        Account.objects.filter(pk__in=ids).update(
            balance=F("balance")
            + Case(
                *[When(pk=account.pk, then=Value(amount)) for account, amount in lines],
                output_field=BigIntegerField(),
            ),
            updated_at=timezone.now(),
        )
        for account, amount in lines:
            account.balance = locked[account.pk].balance + amount

    logger.info("payments: posted %s entry %s for %s", kind, entry.pk, reference)
    return entry


def _entry_create(
    *,
    kind: str,
    reference: str,
    dedupe_key: str | None,
    reverses: JournalEntry | None,
    memo: str,
) -> tuple[JournalEntry, bool]:
    """Insert the entry; on a lost race for ``dedupe_key`` return the winner's.

    The second value says whether the entry is new.
    """
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                kind=kind, reference=reference, dedupe_key=dedupe_key, reverses=reverses, memo=memo
            )
            return entry, True
    except IntegrityError:
        replayed = entry_replayed(dedupe_key=dedupe_key, kind=kind, reference=reference)
        if replayed is not None:
            return replayed, False
        if reverses is not None and JournalEntry.objects.filter(reverses=reverses).exists():
            raise Conflict(
                _("This payment operation was already reversed."), code="already_reversed"
            ) from None
        raise


def _check_lines(lines: list[tuple[Account, int]]) -> None:
    if len(lines) < 2:
        raise ValueError("an entry needs at least two lines")
    seen: set[int] = set()
    for account, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError(f"amounts are whole yen (int), not {type(amount).__name__}")
        if amount == 0:
            raise ValueError("a line of zero yen is not posted")
        if account.pk is None:
            raise ValueError("post to saved accounts only")
        if account.pk in seen:
            raise ValueError(f"account {account} appears twice in one entry")
        seen.add(account.pk)
    total = sum(amount for _account, amount in lines)
    if total != 0:
        raise ValueError(f"the lines of an entry must sum to zero, not {total}")
