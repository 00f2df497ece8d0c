"""マイページ's money out: the worker's bank accounts (振込先口座) and payouts (出金).

Both pages show a bank account by its codes and masked number only. Requests
go through ``payments.bank_accounts`` and ``payments.payouts``; a refusal is
shown on the form with the service's status.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from tsunagu.errors import DomainError, NotFound
from tsunagu.payments.bank_accounts import (
    bank_account_deactivate,
    bank_account_of,
    bank_account_register,
    bank_accounts_of,
)
from tsunagu.payments.models import Payout, PayoutStatus
from tsunagu.payments.payouts import payout_request, payout_terms, payouts_of, worker_reference
from tsunagu.payments.selectors import worker_balance
from tsunagu.web.forms.payouts import BankAccountForm, PayoutForm
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.request_info import AuthenticatedRequest

PAYOUTS_PER_PAGE = 20

# A payout's status as the worker reads it, with the badge it wears. An
# approved payout is still "requested" to them (it waits to be sent); a
# rejected one failed, its reason shown and its money back in the balance.
STATUS_SHOWN: dict[str, tuple[Promise, str]] = {
    PayoutStatus.REQUESTED: (pgettext_lazy("payout status", "Requested"), "submitted"),
    PayoutStatus.APPROVED: (pgettext_lazy("payout status", "Requested"), "submitted"),
    PayoutStatus.HELD_FOR_REVIEW: (pgettext_lazy("payout status", "Under review"), "revision"),
    PayoutStatus.SENT: (pgettext_lazy("payout status", "Sent"), "sent"),
    PayoutStatus.PAID: (pgettext_lazy("payout status", "Paid"), "completed"),
    PayoutStatus.FAILED: (pgettext_lazy("payout status", "Failed"), "declined"),
    PayoutStatus.REJECTED: (pgettext_lazy("payout status", "Failed"), "declined"),
}


@dataclass(frozen=True)
class PayoutRow:
    payout: Payout
    label: Promise
    badge: str
    returned: bool


@login_required
def bank_accounts(request: AuthenticatedRequest) -> HttpResponse:
    """List the worker's bank accounts and register another."""
    form = BankAccountForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            bank_account_register(owner=request.user, **form.cleaned_data)
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("The bank account is registered."))
            return redirect("web:bank_accounts")
    return render(
        request,
        "web/mypage/bank_accounts.html",
        {"form": form, "accounts": bank_accounts_of(request.user), "terms": payout_terms()},
        status=page_status(form, refusal=refusal),
    )


@require_POST
@login_required
def bank_account_remove(request: AuthenticatedRequest, bank_account_id: int) -> HttpResponse:
    try:
        account = bank_account_of(owner=request.user, bank_account_id=bank_account_id)
    except NotFound as error:
        raise Http404(error.message) from None
    bank_account_deactivate(bank_account=account, by=request.user)
    messages.success(request, _("The bank account is no longer used for payouts."))
    return redirect("web:bank_accounts")


@login_required
def payouts(request: AuthenticatedRequest) -> HttpResponse:
    """The balance, the terms, a payout request form and the payouts so far."""
    form = PayoutForm(request.POST or None, owner=request.user)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payout_request(
                worker=request.user,
                bank_account=data["bank_account"],
                amount_yen=data["amount_yen"],
                dedupe_key=f"web:payout:user:{request.user.pk}:{data['token']}",
            )
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("Your payout is requested."))
            return redirect("web:payouts")

    page = Paginator(payouts_of(request.user), PAYOUTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        PayoutRow(
            payout=payout,
            label=STATUS_SHOWN[payout.status][0],
            badge=STATUS_SHOWN[payout.status][1],
            returned=payout.status in (PayoutStatus.FAILED, PayoutStatus.REJECTED),
        )
        for payout in page
    ]
    return render(
        request,
        "web/mypage/payouts.html",
        {
            "form": form,
            "has_account": form.accounts.exists(),
            "balance": worker_balance(worker_reference=worker_reference(request.user)),
            "terms": payout_terms(),
            "page": page,
            "rows": rows,
        },
        status=page_status(form, refusal=refusal),
    )
