"""Paying for a milestone, approving it and reading statements over the API."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.http import BASE, assert_problem, get
from tests.factories import ContractFactory, MilestoneFactory, UserFactory
from tsunagu.payments.models import AccountKind, Payment
from tsunagu.payments.selectors import account_balance

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def post_keyed(browser: Client, path: str, body: dict | None = None, key: str | None = "k-1"):
    headers = {} if key is None else {"Idempotency-Key": key}
    return browser.post(BASE + path, body or {}, content_type="application/json", headers=headers)


@pytest.fixture
def milestone():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    return MilestoneFactory(contract=contract, amount_yen=10_000)


def test_a_client_pays_by_card_and_a_retry_pays_once(milestone):
    browser = signed_in(milestone.contract.client)
    body = {"method": "card", "card_token": "tok_visa"}

    first = post_keyed(browser, f"/milestones/{milestone.pk}/payments", body)
    again = post_keyed(browser, f"/milestones/{milestone.pk}/payments", body)

    assert first.status_code == 201
    assert first.json()["amount_yen"] == 11_000
    assert first.json()["status"] == "succeeded"
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_paying_without_an_idempotency_key_does_nothing(milestone):
    browser = signed_in(milestone.contract.client)

    response = post_keyed(
        browser, f"/milestones/{milestone.pk}/payments", {"method": "card"}, key=None
    )

    assert_problem(response, 400, "idempotency_key_missing")
    assert not Payment.objects.exists()


def test_a_bank_transfer_answers_with_the_code_and_the_deadline(milestone):
    browser = signed_in(milestone.contract.client)

    response = post_keyed(
        browser, f"/milestones/{milestone.pk}/payments", {"method": "bank_transfer"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["provider_reference"].startswith("TSG")
    assert body["due_on"]


def test_the_worker_cannot_pay_and_a_stranger_cannot_see_the_milestone(milestone):
    worker = signed_in(milestone.contract.worker)
    stranger = signed_in(UserFactory())
    body = {"method": "card", "card_token": "tok_visa"}

    assert_problem(
        post_keyed(worker, f"/milestones/{milestone.pk}/payments", body), 404, "not_found"
    )
    assert_problem(
        post_keyed(stranger, f"/milestones/{milestone.pk}/payments", body), 404, "not_found"
    )
    assert not Payment.objects.exists()


def test_approving_releases_the_money_and_the_statement_shows_it(milestone):
    client = signed_in(milestone.contract.client)
    post_keyed(
        client,
        f"/milestones/{milestone.pk}/payments",
        {"method": "card", "card_token": "tok_visa"},
    )

    approved = post_keyed(client, f"/milestones/{milestone.pk}/approve", key="k-2")

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    worker = milestone.contract.worker
    assert account_balance(kind=AccountKind.WORKER_BALANCE, reference=f"user:{worker.pk}") == 8_580

    today = timezone.localdate()
    statement = get(signed_in(worker), f"/me/statements/{today.year}/{today.month}").json()
    assert statement["closing_balance_yen"] == 8_580
    (line,) = statement["releases"]
    assert (line["price_yen"], line["fee_yen"], line["net_yen"]) == (10_000, 2_200, 8_580)

    receipts = get(client, f"/me/receipts/{today.year}/{today.month}").json()
    assert [(r["amount_yen"], r["consumption_tax_yen"]) for r in receipts] == [(11_000, 1_000)]
    report = get(client, f"/me/payment-reports/{today.year}").json()
    assert [(r["worker_id"], r["price_yen"]) for r in report] == [(worker.pk, 10_000)]


def test_an_unpaid_milestone_cannot_be_approved(milestone):
    client = signed_in(milestone.contract.client)

    response = post_keyed(client, f"/milestones/{milestone.pk}/approve")

    assert_problem(response, 409, "milestone_not_funded")


def test_a_month_that_does_not_exist_is_refused(milestone):
    response = get(signed_in(milestone.contract.worker), "/me/statements/2026/13")

    assert_problem(response, 400, "invalid_period")
