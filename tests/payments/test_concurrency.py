"""Many callers at once on PostgreSQL: one settlement per hold, no overdraft.

Each caller is a thread with its own database connection (Django keeps one
per thread), opened before a barrier so that all of them reach the service
together. Every thread closes its connection when it is done. Each race is
run ``ROUNDS`` times, on a fresh hold or a fresh balance each time.

On SQLite the settings open every transaction with BEGIN IMMEDIATE, so
writers queue one behind another and there is no race to test.
"""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.payments.conftest import BANK, ON, POSTGRES_ONLY, balances, simple_breakdown
from tsunagu.errors import Conflict, DomainError, RuleViolation
from tsunagu.payments import services
from tsunagu.payments.fees import price_with_tax
from tsunagu.payments.models import EntryKind, Hold, HoldState, JournalEntry
from tsunagu.payments.selectors import ledger_check

THREADS = 50
ROUNDS = 20

pytestmark = [POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def race(action: Callable[[int], Any], *, threads: int = THREADS) -> list[Any]:
    """Run ``action(i)`` in ``threads`` threads at once; each one's result or error.

    A ``DomainError`` is the caller's clear answer and is returned like a
    result; anything else (a 500 in the making) is returned too, so the test
    shows it instead of losing it in a thread.
    """
    start = threading.Barrier(threads, timeout=60)
    outcomes: list[Any] = [None] * threads

    def run(index: int) -> None:
        try:
            connection.ensure_connection()
            start.wait()
            outcomes[index] = action(index)
        except BaseException as error:  # reported to the test below
            outcomes[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a caller never returned"
    return outcomes


def kinds_of(outcomes: list[Any]) -> Counter[str]:
    """``entry`` for a success, the code for a refusal, the type for anything else."""
    return Counter(
        "entry"
        if isinstance(outcome, JournalEntry)
        else outcome.code
        if isinstance(outcome, DomainError)
        else type(outcome).__name__
        for outcome in outcomes
    )


def test_of_many_releases_of_one_hold_exactly_one_succeeds():
    breakdown = simple_breakdown(10_000)

    for round_ in range(ROUNDS):
        # given: a funded hold
        reference = f"milestone:{round_}"
        services.hold_fund(
            reference=reference,
            amount_yen=price_with_tax(price_yen=10_000, on=ON),
            source=BANK,
            dedupe_key=f"fund:{reference}",
        )

        # when: 50 callers release it at once, each with its own request key
        outcomes = race(
            lambda index, reference=reference, round_=round_: services.hold_release(
                reference=reference,
                worker_reference=f"user:{round_}.{index}",
                breakdown=breakdown,
                dedupe_key=f"release:{reference}:{index}",
            )
        )

        # then: one release, 49 clear conflicts, and one worker paid
        assert kinds_of(outcomes) == {"entry": 1, "hold_settled": THREADS - 1}, round_
        assert all(
            isinstance(outcome, Conflict) and outcome.status == 409
            for outcome in outcomes
            if not isinstance(outcome, JournalEntry)
        )
        winner = next(i for i, outcome in enumerate(outcomes) if isinstance(outcome, JournalEntry))
        hold = Hold.objects.get(reference=reference)
        assert hold.state == HoldState.RELEASED
        assert hold.settled_entry_id == outcomes[winner].pk
        assert JournalEntry.objects.filter(reference=reference, kind=EntryKind.RELEASE).count() == 1
        assert (
            balances(reference, worker=f"user:{round_}.{winner}")["worker"] == breakdown.worker_net
        )

    assert ledger_check().problems == []


def test_withdrawals_beyond_the_balance_never_overdraw_it():
    breakdown = simple_breakdown(10_000)
    amount = 1_000  # 50 x 1,000 yen asked for, against 8,580 yen each round

    for round_ in range(ROUNDS):
        # given: a worker with a released balance
        worker = f"user:{round_}"
        reference = f"milestone:{round_}"
        services.hold_fund(
            reference=reference,
            amount_yen=breakdown.gross_with_tax,
            source=BANK,
            dedupe_key=f"fund:{reference}",
        )
        services.hold_release(
            reference=reference,
            worker_reference=worker,
            breakdown=breakdown,
            dedupe_key=f"release:{reference}",
        )
        available = balances(reference, worker=worker)["worker"]

        # when: 50 callers withdraw at once, far more than there is in total
        outcomes = race(
            lambda index, worker=worker: services.balance_withdraw(
                worker_reference=worker, amount_yen=amount, dedupe_key=f"withdraw:{worker}:{index}"
            )
        )

        # then: as many as the balance covers, the rest refused, nothing below zero
        paid = available // amount
        assert kinds_of(outcomes) == {"entry": paid, "insufficient_funds": THREADS - paid}, round_
        assert all(
            isinstance(outcome, RuleViolation) and outcome.status == 422
            for outcome in outcomes
            if not isinstance(outcome, JournalEntry)
        )
        after = balances(reference, worker=worker)
        assert after["worker"] == available - paid * amount >= 0
        assert after["in_flight"] == paid * amount

    assert ledger_check().problems == []
