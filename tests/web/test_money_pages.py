"""マイページ's money pages: the worker's monthly statement with its chart and CSV,
the client's receipts and yearly payment report (支払調書) with theirs."""

import csv
import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.factories import ContractFactory, MilestoneFactory, OrganizationFactory, category
from tests.web.conftest import signed_in, text_of
from tsunagu.payments import services as ledger
from tsunagu.work import escrow
from tsunagu.work.statements import TOKYO

pytestmark = pytest.mark.django_db


def approved(contract, amount: int, position: int = 1):
    milestone = MilestoneFactory(contract=contract, position=position, amount_yen=amount)
    escrow.milestone_fund(milestone=milestone, by=contract.client, method="card", card_token="t")
    escrow.milestone_approve(milestone=milestone, by=contract.client)
    return milestone


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def csv_rows(response) -> list[dict[str, str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.fixture
def released(worker):
    """A ¥10,000 milestone released to the worker this month (net ¥8,580)."""
    contract = ContractFactory(worker=worker, price_yen=10_000, milestone=None)
    approved(contract, 10_000)
    return contract


# --- the worker's statement ----------------------------------------------------------


def test_the_statement_shows_the_months_totals(released):
    # given ¥5,000 of the ¥8,580 paid out to the bank
    ledger.balance_withdraw(
        worker_reference=f"user:{released.worker_id}", amount_yen=5_000, dedupe_key="payout:1"
    )

    # when the worker opens the statement
    response = signed_in(released.worker).get("/mypage/statement/")

    # then the totals are those of the published example, with the balances around them
    assert response.status_code == 200
    text = text_of(response)
    assert "収入明細" in text
    for label, amount in [
        ("月初残高", "¥0"),
        ("報酬（税抜）", "¥10,000"),
        ("消費税", "¥1,000"),
        ("システム利用料", "−¥2,200"),
        ("システム利用料の消費税", "−¥220"),
        ("源泉徴収税額", "¥0"),
        ("手取り", "¥8,580"),
        ("口座への出金", "−¥5,000"),
        ("月末残高", "¥3,580"),
    ]:
        assert f"{label} {amount}" in text
    assert released.title in text


def test_the_statement_csv_has_one_line_per_release(released):
    response = signed_in(released.worker).get(f"/mypage/statement/csv/?month={this_month()}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="tsunagu-statement-{this_month()}.csv"'
    )
    (line,) = csv_rows(response)
    assert (line["price_yen"], line["fee_yen"], line["fee_tax_yen"], line["net_yen"]) == (
        "10000",
        "2200",
        "220",
        "8580",
    )


def test_the_statement_moves_between_months_and_charts_twelve_months(worker):
    # given a release three months ago and one now
    contract = ContractFactory(worker=worker, price_yen=20_000, milestone=None)
    earlier = timezone.now() - timedelta(days=92)
    with time_machine.travel(earlier, tick=False):
        approved(contract, 10_000, position=1)
    approved(contract, 10_000, position=2)
    browser = signed_in(worker)
    then = earlier.astimezone(TOKYO)

    # when the worker opens that month
    response = browser.get(f"/mypage/statement/?month={then:%Y-%m}")

    # then it lists that release only, links to the months around it, and charts 12 months
    text = text_of(response)
    assert f"{then.year}年{then.month}月の集計" in text
    assert "手取り ¥8,580" in text
    body = response.content.decode()
    assert body.count('class="chart-bar') == 12
    assert body.count("chart-bar-current") == 1
    assert 'rel="prev"' in body and 'rel="next"' in body


def test_the_current_month_has_no_next_link_and_a_bad_month_is_not_found(worker):
    browser = signed_in(worker)

    assert 'rel="next"' not in browser.get("/mypage/statement/").content.decode()
    assert browser.get("/mypage/statement/?month=2026-13").status_code == 404
    assert browser.get("/mypage/statement/?month=2999-01").status_code == 404
    assert browser.get("/mypage/statement/csv/?month=abc").status_code == 404


def test_a_statement_without_earnings_says_so(worker):
    text = text_of(signed_in(worker).get("/mypage/statement/"))

    assert "この月に支払われた報酬はありません。" in text
    assert "過去12か月の収入はまだありません。" in text


def test_the_statement_is_the_signed_in_workers_own(released, other_worker):
    text = text_of(signed_in(other_worker).get("/mypage/statement/"))

    assert "¥8,580" not in text
    assert released.title not in text


def test_money_pages_need_sign_in():
    for address in ("/mypage/statement/", "/mypage/receipts/csv/", "/mypage/payment-report/"):
        response = Client().get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- the client's receipts and payment report -----------------------------------------


def test_the_receipts_show_each_payment_with_its_tax(released):
    response = signed_in(released.client).get("/mypage/receipts/")

    text = text_of(response)
    assert "お支払い合計 ¥11,000" in text
    assert "うち消費税 ¥1,000" in text
    assert "クレジットカード" in text


def test_the_receipts_csv(released):
    response = signed_in(released.client).get(f"/mypage/receipts/csv/?month={this_month()}")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"tsunagu-receipts-{this_month()}.csv" in response["Content-Disposition"]
    (line,) = csv_rows(response)
    assert (line["method"], line["amount_yen"], line["consumption_tax_yen"]) == (
        "card",
        "11000",
        "1000",
    )


def test_the_payment_report_totals_the_year_per_worker(client_user, worker):
    # given an organization that withholds income tax, paying a designer twice
    organization = OrganizationFactory(owner=client_user, withholds_income_tax=True)
    contract = ContractFactory(
        job__client=client_user,
        job__organization=organization,
        job__category=category("design"),
        organization=organization,
        worker=worker,
        price_yen=30_000,
        milestone=None,
    )
    approved(contract, 10_000, position=1)
    approved(contract, 20_000, position=2)
    year = timezone.localdate().year

    # when the client opens the year's report and its CSV
    browser = signed_in(client_user)
    text = text_of(browser.get(f"/mypage/payment-report/?year={year}"))
    response = browser.get(f"/mypage/payment-report/csv/?year={year}")

    # then one line for the worker: prices, tax and 10.21% withheld
    assert f"{year}年のワーカー別支払額" in text
    assert worker.display_name in text
    assert "合計 ¥30,000 ¥3,000 ¥3,063" in text
    assert f'filename="tsunagu-payment-report-{year}.csv"' in response["Content-Disposition"]
    (line,) = csv_rows(response)
    assert (line["price_yen"], line["withholding_yen"]) == ("30000", "3063")


def test_the_payment_report_of_an_empty_year(client_user):
    text = text_of(signed_in(client_user).get("/mypage/payment-report/?year=2024"))

    assert "この年の支払いはありません。" in text
    assert signed_in(client_user).get("/mypage/payment-report/?year=1999").status_code == 404


def test_the_mypage_nav_links_the_money_pages(worker):
    body = signed_in(worker).get("/mypage/").content.decode()

    assert 'href="/mypage/statement/"' in body
    assert 'href="/mypage/receipts/"' in body
    assert 'href="/mypage/payment-report/"' in body


def test_the_money_pages_are_japanese_by_default_and_english_on_request(released):
    browser = signed_in(released.worker)

    assert "収入明細" in text_of(browser.get("/mypage/statement/"))
    assert "Earnings statement" in text_of(browser.get("/mypage/statement/?lang=en"))


def test_a_release_just_after_midnight_in_tokyo_counts_in_tokyos_month(worker):
    # given a release at 00:30 on the 1st in Tokyo (still the previous month in UTC)
    contract = ContractFactory(worker=worker, price_yen=10_000, milestone=None)
    first = timezone.localdate().replace(day=1)
    moment = datetime(first.year, first.month, 1, 0, 30, tzinfo=TOKYO)
    with time_machine.travel(moment, tick=False):
        approved(contract, 10_000)

    # then this month's statement has it
    text = text_of(signed_in(worker).get(f"/mypage/statement/?month={first:%Y-%m}"))
    assert "手取り ¥8,580" in text
