"""Bank accounts and payouts over the API: the owner registers and deactivates
accounts, asks for payouts with an ``Idempotency-Key`` and lists them; no
response carries a full account number or the holder's name."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.http import BASE, assert_problem, get, post
from tests.db_state import table_counts
from tests.factories import BankAccountFactory, UserFactory, WorkerFactory
from tests.payments.conftest import ON, simple_breakdown
from tsunagu.accounts.models import IdentityStatus
from tsunagu.payments import services
from tsunagu.payments.fees import price_with_tax
from tsunagu.payments.models import BankAccount, Payout, PayoutStatus
from tsunagu.payments.payouts import payout_mark_failed, payout_problems
from tsunagu.payments.selectors import ledger_check

pytestmark = pytest.mark.django_db

EARNED = simple_breakdown(10_000).worker_net  # 8,580 yen
NUMBER, HOLDER = "7654321", "スズキ　ハナコ"
DETAILS = {
    "bank_code": "0005",
    "branch_code": "123",
    "account_type": "ordinary",
    "account_number": NUMBER,
    "holder_name": "ｽｽﾞｷ ﾊﾅｺ",
}


@pytest.fixture(autouse=True)
def _payout_rules(settings):
    settings.TSUNAGU_PAYOUT_MINIMUM_YEN = 1_000
    settings.TSUNAGU_PAYOUT_TRANSFER_FEE_YEN = 100
    settings.TSUNAGU_PAYOUT_REVIEW_DAYS = 7


def earn(worker, reference: str = "milestone:1") -> None:
    services.hold_fund(
        reference=reference,
        amount_yen=price_with_tax(price_yen=10_000, on=ON),
        dedupe_key=f"fund:{reference}",
    )
    services.hold_release(
        reference=reference,
        worker_reference=f"user:{worker.pk}",
        breakdown=simple_breakdown(10_000),
        dedupe_key=f"release:{reference}",
    )


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def pay_out(browser: Client, account_id: int, amount: int, key: str | None = "key-1"):
    return browser.post(
        BASE + "/me/payouts",
        json.dumps({"bank_account_id": account_id, "amount_yen": amount}),
        content_type="application/json",
        headers={} if key is None else {"Idempotency-Key": key},
    )


def rows_but_keys() -> dict[str, int]:
    """Row counts of every table but the idempotency keys (a refusal is kept there)."""
    counts = table_counts()
    counts.pop("api_idempotencykey")
    return counts


def assert_private_details_absent(response) -> None:
    body = response.content.decode()
    assert NUMBER not in body and "1234567" not in body
    assert "スズキ" not in body and "ヤマダ" not in body
    assert "encrypted" not in body


@pytest.fixture
def worker(db):
    user = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    earn(user)
    return user


@pytest.fixture
def browser(worker):
    return signed_in(worker)


@pytest.fixture
def known_account(worker) -> BankAccount:
    """Registered a month ago: payouts to it need no review."""
    return BankAccountFactory(owner=worker, created_at=timezone.now() - timedelta(days=30))


# --- bank accounts ---------------------------------------------------------------------


def test_registering_an_account_answers_with_the_masked_number_only(browser, worker):
    # when
    response = post(browser, "/me/bank-accounts", DETAILS)

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0,
        "bank_code": "0005",
        "branch_code": "123",
        "account_type": "ordinary",
        "account_number_masked": "***4321",
        "verified": False,
        "is_active": True,
        "created_at": "",
    }
    assert_private_details_absent(response)
    assert BankAccount.objects.get().owner == worker


def test_a_refused_account_names_its_field_and_writes_nothing(browser):
    # given
    before = table_counts()

    # when: a name in kanji
    response = post(browser, "/me/bank-accounts", DETAILS | {"holder_name": "鈴木花子"})

    # then
    body = assert_problem(response, 422, "invalid_holder_name")
    assert body["field"] == "holder_name"
    assert table_counts() == before


def test_an_unknown_field_or_type_is_refused(browser):
    assert_problem(
        post(browser, "/me/bank-accounts", DETAILS | {"pin": "1"}), 422, "validation_error"
    )
    assert_problem(
        post(browser, "/me/bank-accounts", DETAILS | {"account_type": "savings"}),
        422,
        "invalid_account_type",
    )


def test_i_list_my_accounts_only_newest_first(browser, worker, known_account):
    # given: a newer account of mine, and someone else's
    newer = BankAccountFactory(owner=worker, number="1111111")
    BankAccountFactory(owner=WorkerFactory())

    # when
    response = get(browser, "/me/bank-accounts")

    # then
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [newer.pk, known_account.pk]
    assert [item["account_number_masked"] for item in items] == ["***1111", "***4567"]
    assert response.json()["next_cursor"] is None
    assert_private_details_absent(response)


def test_i_deactivate_my_account_and_it_takes_no_new_payout(browser, known_account):
    # when
    response = post(browser, f"/me/bank-accounts/{known_account.pk}/deactivate")

    # then
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_problem(pay_out(browser, known_account.pk, 5_000), 404, "bank_account_not_found")
    assert not Payout.objects.exists()


def test_anothers_account_cannot_be_deactivated(browser):
    theirs = BankAccountFactory(owner=WorkerFactory())

    response = post(browser, f"/me/bank-accounts/{theirs.pk}/deactivate")

    assert_problem(response, 404, "bank_account_not_found")
    theirs.refresh_from_db()
    assert theirs.is_active


def test_bank_accounts_need_a_session(db):
    assert_problem(get(Client(), "/me/bank-accounts"), 401, "not_authenticated")
    assert_problem(post(Client(), "/me/bank-accounts", DETAILS), 401, "not_authenticated")


# --- payouts ---------------------------------------------------------------------------


def test_a_payout_claims_the_money_and_is_approved_for_a_known_account(browser, known_account):
    # when
    response = pay_out(browser, known_account.pk, 5_000)

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == PayoutStatus.APPROVED
    assert (body["amount_yen"], body["fee_yen"], body["net_yen"]) == (5_000, 100, 4_900)
    assert body["bank_account"] == {
        "id": known_account.pk,
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": "ordinary",
        "account_number_masked": "***4567",
    }
    assert body["balance"] == {"available_yen": EARNED - 5_000, "in_flight_yen": 5_000}
    assert body["failure_reason"] == "" and body["sent_at"] is None
    assert_private_details_absent(response)
    assert ledger_check().problems == [] and payout_problems() == []


def test_a_payout_to_a_new_account_waits_for_review(browser):
    # given: an account registered just now through the API
    account_id = post(browser, "/me/bank-accounts", DETAILS).json()["id"]

    # when
    response = pay_out(browser, account_id, 5_000)

    # then
    assert response.status_code == 201
    assert response.json()["status"] == PayoutStatus.HELD_FOR_REVIEW


def test_a_retried_payout_is_replayed_and_pays_out_once(browser, known_account):
    # given
    first = pay_out(browser, known_account.pk, 5_000)

    # when
    again = pay_out(browser, known_account.pk, 5_000)

    # then
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Payout.objects.count() == 1
    assert get(browser, "/me/balance").json()["available_yen"] == EARNED - 5_000


def test_a_payout_needs_an_idempotency_key(browser, known_account):
    assert_problem(
        pay_out(browser, known_account.pk, 5_000, key=None), 400, "idempotency_key_missing"
    )
    assert not Payout.objects.exists()


def test_a_payout_below_the_minimum_is_refused(browser, known_account):
    # given
    before = rows_but_keys()

    # when
    response = pay_out(browser, known_account.pk, 999)

    # then
    body = assert_problem(response, 422, "payout_below_minimum")
    assert (body["minimum_yen"], body["fee_yen"], body["field"]) == (1_000, 100, "amount_yen")
    assert rows_but_keys() == before


def test_a_payout_beyond_the_balance_is_refused(browser, known_account):
    # given
    before = rows_but_keys()

    # when
    response = pay_out(browser, known_account.pk, EARNED + 1)

    # then
    assert_problem(response, 422, "insufficient_funds")
    assert rows_but_keys() == before
    assert get(browser, "/me/balance").json() == {"available_yen": EARNED, "in_flight_yen": 0}


def test_a_payout_to_anothers_account_is_not_found(browser):
    # given: another earner's account, and an id that does not exist
    other = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    theirs = BankAccountFactory(owner=other, created_at=timezone.now() - timedelta(days=30))

    # then: both look the same, and nothing moves
    assert_problem(pay_out(browser, theirs.pk, 5_000), 404, "bank_account_not_found")
    assert_problem(
        pay_out(browser, theirs.pk + 1000, 5_000, key="key-2"), 404, "bank_account_not_found"
    )
    assert not Payout.objects.exists()


def test_i_list_my_payouts_newest_first_a_page_at_a_time(browser, worker, known_account):
    # given: two payouts of mine and one of someone else's
    pay_out(browser, known_account.pk, 1_000, key="a")
    pay_out(browser, known_account.pk, 2_000, key="b")
    other = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    earn(other, reference="milestone:2")
    theirs = BankAccountFactory(owner=other)
    assert pay_out(signed_in(other), theirs.pk, 3_000).status_code == 201

    # when
    first = get(browser, "/me/payouts", limit=1)
    second = get(browser, "/me/payouts", limit=1, cursor=first.json()["next_cursor"])

    # then
    assert [p["amount_yen"] for p in first.json()["items"]] == [2_000]
    assert [p["amount_yen"] for p in second.json()["items"]] == [1_000]
    assert second.json()["next_cursor"] is None
    assert "balance" not in first.json()["items"][0]
    assert_private_details_absent(first)


def test_a_failed_payout_shows_its_reason(browser, known_account):
    # given: a payout the bank returned
    payout_id = pay_out(browser, known_account.pk, 5_000).json()["id"]
    operator = UserFactory(is_staff=True)
    payout_mark_failed(payout=Payout.objects.get(pk=payout_id), by=operator, reason="口座なし")

    # when
    (item,) = get(browser, "/me/payouts").json()["items"]

    # then
    assert (item["status"], item["failure_reason"]) == ("failed", "口座なし")
    assert item["settled_at"] is not None
    assert get(browser, "/me/balance").json() == {"available_yen": EARNED, "in_flight_yen": 0}


def test_payouts_need_a_session(db):
    assert_problem(get(Client(), "/me/payouts"), 401, "not_authenticated")
