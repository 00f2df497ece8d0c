"""``Idempotency-Key`` on the calls that move money, through the payout API.

Each test gives a worker a balance through the escrow services (fund a hold,
release it to ``user:<id>``) and a bank account, then asks for payouts over
HTTP (``POST /me/payouts``).
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.api.http import BASE, assert_problem, get
from tests.factories import BankAccountFactory, WorkerFactory
from tests.payments.conftest import simple_breakdown
from tsunagu.api.idempotency import ABANDONED_AFTER, idempotency_keys_purge
from tsunagu.api.models import IdempotencyKey, IdempotencyState
from tsunagu.errors import Conflict
from tsunagu.payments import api as payments_api
from tsunagu.payments import services
from tsunagu.payments.models import EntryKind, JournalEntry, Payout
from tsunagu.payments.payouts import payout_problems

pytestmark = pytest.mark.django_db

NET = simple_breakdown(10_000).worker_net  # 8,580 yen per release


def signed_in(user) -> Client:
    """A browser for ``user``, who has a bank account (its id on ``bank_account_id``)."""
    browser = Client()
    browser.force_login(user)
    account = user.bank_accounts.first() or BankAccountFactory(owner=user)
    browser.bank_account_id = account.pk
    return browser


def give_balance(user, *, releases: int = 1) -> None:
    breakdown = simple_breakdown(10_000)
    for _ in range(releases):
        reference = f"milestone:{JournalEntry.objects.count()}"
        services.hold_fund(
            reference=reference,
            amount_yen=breakdown.gross_with_tax,
            dedupe_key=f"fund:{reference}",
        )
        services.hold_release(
            reference=reference,
            worker_reference=f"user:{user.pk}",
            breakdown=breakdown,
            dedupe_key=f"release:{reference}",
        )


def pay_out(browser: Client, body: object, key: str | None = "k-1", raw: str | None = None):
    """POST /me/payouts; ``amount_yen`` alone in ``body`` goes to the caller's bank account."""
    headers = {} if key is None else {"Idempotency-Key": key}
    if isinstance(body, dict) and "bank_account_id" not in body:
        body = {"bank_account_id": browser.bank_account_id, **body}
    return browser.post(
        BASE + "/me/payouts",
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def payouts_made() -> int:
    """Withdrawals made; each must have its payout."""
    made = JournalEntry.objects.filter(kind=EntryKind.WITHDRAW).count()
    assert Payout.objects.count() == made
    assert payout_problems() == []
    return made


@pytest.fixture
def worker():
    user = WorkerFactory()
    give_balance(user)
    return user


@pytest.fixture
def browser(worker):
    return signed_in(worker)


# --- the rules of the header ---------------------------------------------------------


def test_a_payout_with_a_key_moves_the_money_once(browser):
    # when
    response = pay_out(browser, {"amount_yen": 5_000})

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount_yen"] == 5_000
    assert body["balance"] == {"available_yen": NET - 5_000, "in_flight_yen": 5_000}
    assert "Idempotent-Replayed" not in response
    assert IdempotencyKey.objects.get().state == IdempotencyState.DONE


def test_without_a_key_nothing_happens(browser):
    response = pay_out(browser, {"amount_yen": 5_000}, key=None)

    assert_problem(response, 400, "idempotency_key_missing")
    assert payouts_made() == 0
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\there"])
def test_an_empty_or_overlong_key_is_refused(browser, key):
    response = pay_out(browser, {"amount_yen": 5_000}, key=key)

    assert_problem(response, 400, "idempotency_key_invalid")
    assert payouts_made() == 0


def test_the_same_key_and_body_replays_the_first_response(browser):
    # given
    first = pay_out(browser, {"amount_yen": 5_000})

    # when: the same body, spaced and ordered differently
    raw = f'{{ "amount_yen" : 5000, "bank_account_id" : {browser.bank_account_id} }}'
    again = pay_out(browser, None, raw=raw)

    # then: the same answer, one effect
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert payouts_made() == 1
    assert get(browser, "/me/balance").json()["available_yen"] == NET - 5_000


def test_the_same_key_with_another_body_is_refused(browser):
    pay_out(browser, {"amount_yen": 5_000})

    response = pay_out(browser, {"amount_yen": 1_000})

    assert_problem(response, 422, "idempotency_key_reused")
    assert payouts_made() == 1


def test_the_same_key_while_the_first_call_runs_is_a_conflict(browser, monkeypatch):
    # given: a payout request during which the client retries with the same key
    retried = []
    real = payments_api.payout_request

    def slow_request(**kwargs):
        retried.append(pay_out(browser, {"amount_yen": 5_000}))
        return real(**kwargs)

    monkeypatch.setattr(payments_api, "payout_request", slow_request)

    # when
    first = pay_out(browser, {"amount_yen": 5_000})

    # then: the retry was told to wait, the first call went through once
    assert_problem(retried[0], 409, "idempotency_request_in_progress")
    assert first.status_code == 201
    assert payouts_made() == 1


def test_an_abandoned_call_is_taken_over(browser, worker):
    # given: a call whose process died while it was running
    pay_out(browser, {"amount_yen": 5_000})
    key = IdempotencyKey.objects.get()
    key.state, key.response_status = IdempotencyState.IN_PROGRESS, None
    key.updated_at = timezone.now() - ABANDONED_AFTER - timedelta(seconds=1)
    key.save()

    # when
    response = pay_out(browser, {"amount_yen": 5_000})

    # then: run again, and the ledger's dedupe key kept it to one payout
    assert response.status_code == 201
    assert payouts_made() == 1
    assert IdempotencyKey.objects.get().state == IdempotencyState.DONE


def test_keys_are_scoped_to_the_caller(browser):
    # given: another worker using the very same key
    other = WorkerFactory()
    give_balance(other)

    # when
    mine = pay_out(browser, {"amount_yen": 5_000})
    theirs = pay_out(signed_in(other), {"amount_yen": 5_000})

    # then: two payouts, neither replayed
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert payouts_made() == 2


# --- which answers are kept ------------------------------------------------------------


def test_a_refusal_is_replayed_even_after_the_balance_grows(browser, worker):
    # given: a refused payout
    refused = pay_out(browser, {"amount_yen": NET + 1})
    assert_problem(refused, 422, "insufficient_funds")

    # when: money arrives, and the client retries with the same key
    give_balance(worker)
    again = pay_out(browser, {"amount_yen": NET + 1})

    # then: the same refusal; a new key pays out
    assert_problem(again, 422, "insufficient_funds")
    assert again["Idempotent-Replayed"] == "true"
    assert pay_out(browser, {"amount_yen": NET + 1}, key="k-2").status_code == 201


def test_a_busy_ledger_frees_the_key_for_a_retry(browser, monkeypatch):
    # given: the ledger gives up once (a deadlock retried too often)
    real = payments_api.payout_request
    calls = []

    def busy_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise Conflict("busy", code="ledger_busy")
        return real(**kwargs)

    monkeypatch.setattr(payments_api, "payout_request", busy_once)

    # when
    busy = pay_out(browser, {"amount_yen": 5_000})
    retry = pay_out(browser, {"amount_yen": 5_000})

    # then
    assert_problem(busy, 409, "ledger_busy")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert payouts_made() == 1


def test_a_server_error_frees_the_key(browser, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("provider down")

    monkeypatch.setattr(payments_api, "payout_request", broken)

    with pytest.raises(RuntimeError):
        pay_out(browser, {"amount_yen": 5_000})

    assert not IdempotencyKey.objects.exists()


def test_an_anonymous_call_is_unauthorized_and_keeps_no_key(db):
    response = pay_out(Client(), {"amount_yen": 5_000, "bank_account_id": 1})

    assert_problem(response, 401, "not_authenticated")
    assert not IdempotencyKey.objects.exists()


def test_a_malformed_body_is_a_validation_error(browser):
    response = pay_out(browser, {"amount_yen": 5_000, "to": "elsewhere"})

    assert_problem(response, 422, "validation_error")
    assert payouts_made() == 0


# --- retention ----------------------------------------------------------------------


def test_keys_are_kept_a_day_then_purged(browser):
    # given: one key from yesterday, one from now
    pay_out(browser, {"amount_yen": 1_000}, key="old")
    pay_out(browser, {"amount_yen": 1_000}, key="new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )
    IdempotencyKey.objects.filter(key="new").update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59)
    )

    # when
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)

    # then
    assert out.getvalue() == "purged 1 idempotency key(s)\n"
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_keys_are_never_purged_before_a_day(db):
    with pytest.raises(ValueError, match="24 hours"):
        idempotency_keys_purge(older_than=timedelta(hours=23))
    with pytest.raises(CommandError):
        call_command("purge_idempotency_keys", "--hours=1")


# --- the balance ----------------------------------------------------------------------


def test_my_balance_shows_what_i_can_withdraw(browser):
    response = get(browser, "/me/balance")

    assert response.status_code == 200
    assert response.json() == {"available_yen": NET, "in_flight_yen": 0}


def test_the_balance_needs_a_session(db):
    assert_problem(get(Client(), "/me/balance"), 401, "not_authenticated")
