"""The back office for money: payments to confirm, holds, the journal.

Operators confirm bank-transfer deposits here (``payment_deposit_confirm``);
everything else is shown, never edited: the ledger changes only through its
services, and its rows are append-only.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import User
from tsunagu.backoffice import RecordAdmin
from tsunagu.errors import DomainError
from tsunagu.payments import funding
from tsunagu.payments.models import (
    Account,
    Hold,
    JournalEntry,
    Payment,
    PaymentMethod,
    PaymentStatus,
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
