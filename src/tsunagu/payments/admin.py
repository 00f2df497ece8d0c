"""The back office for money: payments to confirm, holds, the journal, payouts.

Operators confirm bank-transfer deposits here (``payment_deposit_confirm``)
and take payouts through their steps (``tsunagu.payments.payouts``: review,
transfer file, sent, paid or failed) and review bank accounts; everything
else is shown, never edited: the ledger changes only through its services,
and its rows are append-only. A bank account shows only the last four digits
of its number; the details in clear leave only in the transfer file of
approved payouts.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import User
from tsunagu.backoffice import RecordAdmin
from tsunagu.errors import DomainError
from tsunagu.payments import bank_accounts, funding, payouts, recoveries
from tsunagu.payments.models import (
    Account,
    BankAccount,
    Clawback,
    Hold,
    JournalEntry,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    Posting,
)


@admin.register(Payment)
class PaymentAdmin(RecordAdmin):
    list_display = [
        "id",
        "reference",
        "payer",
        "method",
        "amount_yen",
        "status",
        "provider_reference",
        "due_on",
        "created_at",
    ]
    list_filter = ["status", "method"]
    search_fields = ["=provider_reference", "reference", "payer__display_name"]
    list_select_related = ["payer"]
    date_hierarchy = "created_at"
    actions = ["confirm_deposit"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in Payment._meta.fields]

    @admin.action(description=_("Confirm that the bank transfer arrived"))
    def confirm_deposit(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        assert isinstance(request.user, User)
        pending = queryset.filter(method=PaymentMethod.BANK_TRANSFER, status=PaymentStatus.PENDING)
        confirmed = 0
        for payment in pending:
            try:
                funding.payment_deposit_confirm(payment=payment, by=request.user)
            except DomainError as error:
                self.message_user(request, f"{payment.pk}: {error.message}", messages.ERROR)
                continue
            confirmed += 1
        self.message_user(request, _("%(count)d deposits confirmed.") % {"count": confirmed})


@admin.register(Hold)
class HoldAdmin(RecordAdmin):
    list_display = ["reference", "amount_yen", "state", "charged_back_yen", "created_at"]
    list_filter = ["state"]
    search_fields = ["reference"]


class PostingInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(RecordAdmin):
    list_display = ["id", "kind", "reference", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reference", "=dedupe_key"]
    date_hierarchy = "created_at"
    inlines = [PostingInline]


@admin.register(Account)
class AccountAdmin(RecordAdmin):
    list_display = ["kind", "reference", "balance", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["reference"]


@admin.register(Clawback)
class ClawbackAdmin(RecordAdmin):
    """Chargebacks claimed back from workers; an open one holds part of the balance."""

    list_display = [
        "id",
        "worker_reference",
        "reference",
        "amount_yen",
        "recovered_yen",
        "released_at",
        "created_at",
    ]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["=worker_reference", "reference"]
    actions = ["repay_from_balance"]

    @admin.action(description=_("Take what is owed from the worker's balance"))
    def repay_from_balance(self, request: HttpRequest, queryset: QuerySet[Clawback]) -> None:
        workers = sorted(
            set(
                queryset.filter(released_at__isnull=True).values_list("worker_reference", flat=True)
            )
        )
        now = timezone.now().strftime("%Y%m%d%H%M%S")
        repaid = 0
        for worker_reference in workers:
            entry = recoveries.clawback_repay(
                worker_reference=worker_reference,
                dedupe_key=f"clawback-repay:{worker_reference}:{now}",
            )
            repaid += entry is not None
        self.message_user(request, _("%(count)d done.") % {"count": repaid})


# --- bank accounts and payouts ----------------------------------------------


def _each(
    admin_page: admin.ModelAdmin,  # type: ignore[type-arg]
    request: HttpRequest,
    rows: QuerySet[Any],
    step: Callable[[Any, User], object],
) -> None:
    """Apply ``step`` to each row, stopping at the first refusal, and say how it went."""
    assert isinstance(request.user, User)
    done = 0
    for row in rows:
        try:
            step(row, request.user)
        except DomainError as error:
            admin_page.message_user(
                request, f"{row}: {error.message} ({error.code})", messages.ERROR
            )
            break
        done += 1
    admin_page.message_user(request, _("%(count)d done.") % {"count": done})


@admin.register(BankAccount)
class BankAccountAdmin(RecordAdmin):
    list_display = [
        "id",
        "owner",
        "bank_code",
        "branch_code",
        "account_type",
        "masked_number",
        "review_state",
        "is_active",
        "created_at",
    ]
    list_filter = ["review_state", "is_active", "account_type"]
    search_fields = ["=owner__email", "=bank_code"]
    list_select_related = ["owner"]
    # The encrypted columns are never shown, not even as ciphertext.
    fields = [
        "owner",
        "bank_code",
        "branch_code",
        "account_type",
        "masked_number",
        "review_state",
        "reviewed_at",
        "is_active",
        "created_at",
    ]
    readonly_fields = ["masked_number"]
    actions = ["verify", "flag"]

    @admin.display(description=_("account number"))
    def masked_number(self, obj: BankAccount) -> str:
        return f"***{obj.account_number_last4}"

    @admin.action(description=_("Mark as verified"))
    def verify(self, request: HttpRequest, queryset: QuerySet[BankAccount]) -> None:
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda account, by: bank_accounts.bank_account_review(
                bank_account=account, by=by, verified=True
            ),
        )

    @admin.action(description=_("Flag (hold its payouts for review)"))
    def flag(self, request: HttpRequest, queryset: QuerySet[BankAccount]) -> None:
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda account, by: bank_accounts.bank_account_review(
                bank_account=account, by=by, verified=False
            ),
        )


@admin.register(Payout)
class PayoutAdmin(RecordAdmin):
    list_display = [
        "id",
        "worker",
        "bank_account",
        "amount_yen",
        "fee_yen",
        "net_yen",
        "status",
        "hold_reasons",
        "created_at",
        "sent_at",
        "settled_at",
    ]
    list_filter = ["status"]
    search_fields = ["=worker__email", "=id"]
    list_select_related = ["worker", "bank_account"]
    date_hierarchy = "created_at"
    actions = [
        "approve",
        "reject",
        "download_transfer_file",
        "mark_sent",
        "mark_paid",
        "mark_failed",
    ]

    @admin.action(description=_("Approve the held payouts"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda payout, by: payouts.payout_review(payout=payout, by=by, approve=True),
        )

    @admin.action(description=_("Reject the held payouts (the money returns to the balance)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Payout]) -> HttpResponse | None:
        reason = self._reason(request)
        if reason is None:
            return self._ask_reason(request, queryset, action="reject")
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda payout, by: payouts.payout_review(
                payout=payout, by=by, approve=False, reason=reason
            ),
        )
        return None

    @admin.action(description=_("Download the transfer file of the approved payouts (CSV)"))
    def download_transfer_file(
        self, request: HttpRequest, queryset: QuerySet[Payout]
    ) -> HttpResponse:
        assert isinstance(request.user, User)
        content = payouts.payouts_transfer_csv(payouts=queryset, by=request.user)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payouts-{stamp}.csv"'
        return response

    @admin.action(description=_("Mark as sent to the bank"))
    def mark_sent(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda payout, by: payouts.payout_mark_sent(payout=payout, by=by),
        )

    @admin.action(description=_("Mark as paid by the bank"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda payout, by: payouts.payout_mark_paid(payout=payout, by=by),
        )

    @admin.action(description=_("Mark as failed (the money returns to the balance)"))
    def mark_failed(self, request: HttpRequest, queryset: QuerySet[Payout]) -> HttpResponse | None:
        reason = self._reason(request)
        if reason is None:
            return self._ask_reason(request, queryset, action="mark_failed")
        _each(
            self,
            request,
            queryset.order_by("pk"),
            lambda payout, by: payouts.payout_mark_failed(payout=payout, by=by, reason=reason),
        )
        return None

    def _reason(self, request: HttpRequest) -> str | None:
        """The reason typed on the intermediate page; None until it was posted."""
        if "apply" not in request.POST:
            return None
        return request.POST.get("reason", "").strip() or None

    def _ask_reason(
        self, request: HttpRequest, queryset: QuerySet[Payout], *, action: str
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/payments/payout/reason.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Why?"),
                "payouts": queryset.order_by("pk"),
                "action": action,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
