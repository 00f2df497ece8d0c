"""Statements from the ledger: a worker's month, a client's year, receipts, CSV."""

import csv
import io
from datetime import datetime

import pytest
from django.utils import timezone

from tests.factories import (
    ContractFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
    category,
)
from tsunagu.payments import services as ledger
from tsunagu.work import escrow
from tsunagu.work.statements import (
    TOKYO,
    client_receipts,
    operator_report,
    payment_report,
    rows_to_csv,
    worker_statement,
)

pytestmark = pytest.mark.django_db


def this_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


def approved(contract, amount: int, position: int = 1):
    milestone = MilestoneFactory(contract=contract, position=position, amount_yen=amount)
    escrow.milestone_fund(milestone=milestone, by=contract.client, method="card", card_token="t")
    escrow.milestone_approve(milestone=milestone, by=contract.client)
    return milestone


def test_a_workers_month_lists_each_release_and_the_fee_invoiced():
    # given: two milestones of one contract released this month
    contract = ContractFactory(price_yen=110_000, milestone=None)
    approved(contract, 10_000, position=1)
    approved(contract, 100_000, position=2)
    year, month = this_month()

    # when
    statement = worker_statement(worker=contract.worker, year=year, month=month)

    # then: the lines add up to the balance, and the first is the published example
    first, second = statement.releases
    assert (first.price_yen, first.consumption_tax_yen) == (10_000, 1_000)
    assert (first.fee_yen, first.fee_tax_yen, first.net_yen) == (2_200, 220, 8_580)
    assert second.price_yen == 100_000
    assert statement.opening_balance_yen == 0
    assert statement.closing_balance_yen == first.net_yen + second.net_yen
    assert statement.fee_total_yen == first.fee_yen + second.fee_yen
    assert first.contract_title == contract.title


def test_a_payout_appears_in_the_month_and_lowers_the_closing_balance():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    approved(contract, 10_000)
    ledger.balance_withdraw(
        worker_reference=f"user:{contract.worker_id}", amount_yen=5_000, dedupe_key="w1"
    )
    year, month = this_month()

    statement = worker_statement(worker=contract.worker, year=year, month=month)

    assert [payout.amount_yen for payout in statement.payouts] == [5_000]
    assert statement.closing_balance_yen == 8_580 - 5_000


def test_last_months_releases_are_the_opening_balance_of_a_later_month():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    approved(contract, 10_000)
    year, month = this_month()
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)

    statement = worker_statement(worker=contract.worker, year=next_year, month=next_month)

    assert statement.releases == []
    assert statement.opening_balance_yen == 8_580
    assert statement.closing_balance_yen == 8_580


def test_the_yearly_payment_report_sums_prices_and_withholding_per_worker():
    # given: an organization that withholds, two contracts with one writer
    client = UserFactory()
    organization = OrganizationFactory(owner=client, withholds_income_tax=True)
    terms = {
        "milestone": None,
        "job__client": client,
        "job__organization": organization,
        "job__category": category("writing"),
        "organization": organization,
    }
    first = ContractFactory(price_yen=10_000, **terms)
    writer = first.worker
    second = ContractFactory(price_yen=20_000, worker=writer, **terms)
    approved(first, 10_000)
    approved(second, 20_000)

    # when
    (line,) = payment_report(client=client, year=timezone.localdate().year)

    # then
    assert line.worker_id == writer.pk
    assert line.price_yen == 30_000
    assert line.consumption_tax_yen == 3_000
    assert line.withholding_yen == 1_021 + 2_042


def test_another_clients_payments_are_not_in_the_report():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    approved(contract, 10_000)

    assert payment_report(client=UserFactory(), year=timezone.localdate().year) == []


def test_receipts_show_the_consumption_tax_and_the_workers_invoice_number():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    profile = contract.worker.worker_profile
    profile.invoice_number = "T1234567890123"
    profile.save(update_fields=["invoice_number"])
    milestone = approved(contract, 10_000)
    year, month = this_month()

    (receipt,) = client_receipts(client=contract.client, year=year, month=month)

    assert receipt.reference == f"milestone:{milestone.pk}"
    assert (receipt.amount_yen, receipt.consumption_tax_yen) == (11_000, 1_000)
    assert receipt.worker_invoice_number == "T1234567890123"


def test_the_operators_report_adds_up_the_month():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    approved(contract, 10_000)
    year, month = this_month()

    report = operator_report(year=year, month=month)

    assert report.funded_yen == 11_000
    assert report.released_yen == 11_000
    assert (report.fee_yen, report.fee_tax_yen) == (2_200, 220)
    assert report.refunded_yen == 0


def test_a_statement_as_csv_opens_in_a_spreadsheet():
    contract = ContractFactory(price_yen=10_000, milestone=None)
    approved(contract, 10_000)
    year, month = this_month()
    statement = worker_statement(worker=contract.worker, year=year, month=month)

    text = rows_to_csv(statement.releases, ["released_at", "item_title", "price_yen", "net_yen"])

    assert text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == ["released_at", "item_title", "price_yen", "net_yen"]
    assert row[2:] == ["10000", "8580"]
    released = datetime.strptime(row[0], "%Y-%m-%d %H:%M").replace(tzinfo=TOKYO)
    assert abs((released - statement.releases[0].released_at).total_seconds()) < 60
