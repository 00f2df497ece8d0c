"""The back office for deliveries, task answers, contract changes and disputes.

Operators look; the services decide. Disputes are resolved here: the
"resolve" action asks for the worker's share of the price and a note to
both sides, then calls ``disputes.dispute_resolve`` for each dispute.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import User
from tsunagu.backoffice import RecordAdmin
from tsunagu.errors import DomainError
from tsunagu.process import disputes
from tsunagu.process.models import (
    ContractChange,
    Delivery,
    DeliveryFile,
    Dispute,
    DisputeStatus,
    TaskAnswer,
    TaskUnit,
)


class DeliveryFileInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryFile
    extra = 0
    can_delete = False
    fields = ["original_name", "content_type", "size_bytes", "sha256", "created_at"]
    readonly_fields = ["original_name", "content_type", "size_bytes", "sha256", "created_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(RecordAdmin):
    list_display = ["id", "milestone", "submitted_by", "status", "submitted_at", "review_due_at"]
    list_filter = ["status"]
    list_select_related = ["milestone", "submitted_by"]
    date_hierarchy = "submitted_at"
    inlines = [DeliveryFileInline]


@admin.register(TaskUnit)
class TaskUnitAdmin(RecordAdmin):
    list_display = ["id", "batch", "position", "redundancy", "claims", "consensus_answer"]
    list_select_related = ["batch"]


@admin.register(TaskAnswer)
class TaskAnswerAdmin(RecordAdmin):
    list_display = ["id", "unit", "worker", "answer", "status", "submitted_at", "review_due_at"]
    list_filter = ["status"]
    list_select_related = ["unit", "worker"]
    date_hierarchy = "claimed_at"


@admin.register(ContractChange)
class ContractChangeAdmin(RecordAdmin):
    list_display = ["id", "contract", "kind", "proposed_by", "status", "created_at", "decided_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["contract", "proposed_by"]
    date_hierarchy = "created_at"


@admin.register(Dispute)
class DisputeAdmin(RecordAdmin):
    list_display = [
        "id",
        "contract",
        "milestone",
        "opened_by",
        "status",
        "worker_share_yen",
        "created_at",
        "resolved_at",
    ]
    list_filter = ["status"]
    list_select_related = ["contract", "milestone", "opened_by"]
    date_hierarchy = "created_at"
    actions = ["resolve"]

    @admin.action(description=_("Resolve with a split of the milestone's price"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> TemplateResponse | None:
        assert isinstance(request.user, User)
        open_disputes = queryset.filter(status=DisputeStatus.OPEN).select_related("milestone")
        share, resolution = self._decision(request)
        if share is None or not resolution:
            return TemplateResponse(
                request,
                "admin/process/dispute/resolve.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Resolve disputes"),
                    "disputes": open_disputes.order_by("pk"),
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "asked": "apply" in request.POST,
                },
            )
        done = 0
        for dispute in open_disputes.order_by("pk"):
            try:
                disputes.dispute_resolve(
                    dispute=dispute, by=request.user, worker_share_yen=share, resolution=resolution
                )
            except DomainError as error:
                self.message_user(
                    request, f"{dispute}: {error.message} ({error.code})", messages.ERROR
                )
                break
            done += 1
        self.message_user(request, _("%(count)d disputes resolved.") % {"count": done})
        return None

    def _decision(self, request: HttpRequest) -> tuple[int | None, str]:
        """The worker's share and the note typed on the form; (None, "") until posted."""
        if "apply" not in request.POST:
            return None, ""
        raw = request.POST.get("worker_share_yen", "").strip()
        share = int(raw) if raw.isdigit() else None
        return share, request.POST.get("resolution", "").strip()
