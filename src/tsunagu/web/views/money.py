"""マイページ's money pages: a worker's monthly statement (明細), a client's
receipts per month and yearly payment report (支払調書), each with a CSV.

Every page shows the signed-in member's own money only; the month or year
comes from the query string (``?month=2026-03``, ``?year=2026``).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tsunagu.web.forms.periods import FIRST_YEAR, Month, MonthForm, YearForm
from tsunagu.web.request_info import AuthenticatedRequest
from tsunagu.work import statements

STATEMENT_COLUMNS = (
    "released_at",
    "reference",
    "contract_title",
    "item_title",
    "client_name",
    "price_yen",
    "consumption_tax_yen",
    "fee_yen",
    "fee_tax_yen",
    "withholding_yen",
    "net_yen",
)
RECEIPT_COLUMNS = (
    "paid_at",
    "reference",
    "item_title",
    "method",
    "amount_yen",
    "consumption_tax_yen",
    "worker_invoice_number",
    "withholding_returned_yen",
)
PAYMENT_REPORT_COLUMNS = (
    "worker_id",
    "worker_name",
    "worker_invoice_number",
    "price_yen",
    "consumption_tax_yen",
    "withholding_yen",
)


def _month(request: HttpRequest) -> Month:
    form = MonthForm(request.GET)
    if not form.is_valid():
        raise Http404
    return form.chosen()


def _year(request: HttpRequest) -> int:
    form = YearForm(request.GET)
    if not form.is_valid():
        raise Http404
    return form.chosen()


def _csv(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def statement(request: AuthenticatedRequest) -> HttpResponse:
    """The worker's month: releases, payouts, balances; and 12 months of net earnings."""
    month = _month(request)
    return render(
        request,
        "web/mypage/statement.html",
        {
            "period": month,
            "statement": statements.worker_statement(
                worker=request.user, year=month.year, month=month.month
            ),
            "earnings": statements.worker_net_by_month(
                worker=request.user, year=month.year, month=month.month
            ),
        },
    )


@login_required
def statement_csv(request: AuthenticatedRequest) -> HttpResponse:
    month = _month(request)
    lines = statements.worker_statement(
        worker=request.user, year=month.year, month=month.month
    ).releases
    return _csv(
        statements.rows_to_csv(lines, STATEMENT_COLUMNS),
        f"tsunagu-statement-{month.param}.csv",
    )


@login_required
def receipts(request: AuthenticatedRequest) -> HttpResponse:
    """What the client paid in the month, with the consumption tax in each payment."""
    month = _month(request)
    lines = statements.client_receipts(client=request.user, year=month.year, month=month.month)
    return render(request, "web/mypage/receipts.html", {"period": month, "receipts": lines})


@login_required
def receipts_csv(request: AuthenticatedRequest) -> HttpResponse:
    month = _month(request)
    lines = statements.client_receipts(client=request.user, year=month.year, month=month.month)
    return _csv(
        statements.rows_to_csv(lines, RECEIPT_COLUMNS), f"tsunagu-receipts-{month.param}.csv"
    )


@login_required
def payment_report(request: AuthenticatedRequest) -> HttpResponse:
    """The client's year per worker (支払調書): prices, consumption tax, income tax withheld."""
    year = _year(request)
    lines = statements.payment_report(client=request.user, year=year)
    return render(
        request,
        "web/mypage/payment_report.html",
        {
            "year": year,
            "lines": lines,
            "previous_year": year - 1 if year > FIRST_YEAR else None,
            "next_year": year + 1 if year < timezone.localdate().year else None,
        },
    )


@login_required
def payment_report_csv(request: AuthenticatedRequest) -> HttpResponse:
    year = _year(request)
    lines = statements.payment_report(client=request.user, year=year)
    return _csv(
        statements.rows_to_csv(lines, PAYMENT_REPORT_COLUMNS),
        f"tsunagu-payment-report-{year}.csv",
    )
