"""The operators' report of fees and taxes: a month's figures, 12 months as a chart, CSV.

Staff only: ``staff_member_required`` sends anyone else to the back office's
sign-in. The page lives here, not in ``payments.admin``, because its figures
come from ``work.statements.operator_report`` and ``payments`` may not import
``work``; the back office's index links to it (``web/admin.py``). The month
comes from the query string (``?month=2026-03``), as on the money pages.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tsunagu.web.forms.periods import Month, MonthForm
from tsunagu.work import statements

REPORT_COLUMNS = (
    "year",
    "month",
    "funded_yen",
    "released_yen",
    "refunded_yen",
    "fee_yen",
    "fee_tax_yen",
    "withholding_yen",
    "withholding_returned_yen",
    "paid_out_yen",
    "chargeback_loss_yen",
    "chargeback_recovered_yen",
)


def _month(request: HttpRequest) -> Month:
    form = MonthForm(request.GET)
    if not form.is_valid():
        raise Http404
    return form.chosen()


@staff_member_required
def operator_report(request: HttpRequest) -> HttpResponse:
    """The month's money movements, fees and taxes, and 12 months of fee revenue."""
    month = _month(request)
    reports = statements.operator_reports(year=month.year, month=month.month)
    return render(
        request,
        "web/operators/report.html",
        {
            "period": month,
            "report": reports[-1],
            "months": reports,
            "largest_fee_yen": max(report.fee_yen for report in reports),
        },
    )


@staff_member_required
def operator_report_csv(request: HttpRequest) -> HttpResponse:
    """The 12 months up to the chosen one, a row each, oldest first."""
    month = _month(request)
    reports = statements.operator_reports(year=month.year, month=month.month)
    response = HttpResponse(
        statements.rows_to_csv(reports, REPORT_COLUMNS), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="tsunagu-operator-report-{month.param}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
