"""The operators' report of fees and taxes: staff only, a month's figures, 12 months, CSV."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContractFactory, MilestoneFactory, UserFactory
from tests.web.conftest import signed_in, text_of
from tsunagu.payments import funding
from tsunagu.work import escrow

pytestmark = pytest.mark.django_db

REPORT = reverse("web:operator_report")
CSV = reverse("web:operator_report_csv")


def approved(contract, amount: int):
    milestone = MilestoneFactory(contract=contract, position=1, amount_yen=amount)
    payment = escrow.milestone_fund(
        milestone=milestone, by=contract.client, method="card", card_token="t"
    )
    escrow.milestone_approve(milestone=milestone, by=contract.client)
    return payment


def a_month_of_business():
    """¥10,000 released (fee ¥2,200 + ¥220), then charged back ¥11,000; ¥8,580 recovered."""
    contract = ContractFactory(price_yen=10_000, milestone=None)
    payment = approved(contract, 10_000)
    funding.payment_chargeback(
        provider_reference=payment.provider_reference, dispute_id="dp_1", amount_yen=11_000
    )


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_staff_see_the_report(who):
    browser = signed_in(UserFactory()) if who == "member" else Client()

    for url in (REPORT, CSV):
        response = browser.get(url)
        assert response.status_code in (302, 403)
        assert "/admin/login/" in response["Location"]


def test_the_month_adds_up_in_japanese_by_default():
    # given
    a_month_of_business()
    staff = signed_in(UserFactory(is_staff=True))

    # when
    response = staff.get(REPORT)

    # then: the hand-computed month
    assert response.status_code == 200
    text = text_of(response)
    assert "手数料" in text  # Japanese unless English is asked for
    assert "¥11,000" in text  # paid in, released, charged back
    assert "¥2,200" in text and "¥220" in text  # the fee and its tax
    assert "¥8,580" in text  # recovered from the worker
    assert "¥2,420" in text  # the platform's net chargeback loss
    assert 'style="' not in response.content.decode()  # strict CSP: classes only


def test_the_csv_has_twelve_months_ending_with_the_chosen_one():
    a_month_of_business()
    staff = signed_in(UserFactory(is_staff=True))
    today = timezone.localdate()

    response = staff.get(CSV, {"month": f"{today.year:04d}-{today.month:02d}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert len(rows) == 12
    last = rows[-1]
    assert (int(last["year"]), int(last["month"])) == (today.year, today.month)
    assert last["funded_yen"] == "11000"
    assert last["released_yen"] == "11000"
    assert (last["fee_yen"], last["fee_tax_yen"]) == ("2200", "220")
    assert (last["chargeback_loss_yen"], last["chargeback_recovered_yen"]) == ("11000", "8580")
    assert rows[0]["fee_yen"] == "0"


def test_the_back_office_index_links_to_the_report():
    staff = signed_in(UserFactory(is_staff=True, is_superuser=True))

    response = staff.get(reverse("admin:index"))

    assert REPORT in response.content.decode()
