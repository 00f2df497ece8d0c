"""The back office for deliveries and task answers: operators look, the services decide."""

from django.contrib import admin

from tsunagu.backoffice import RecordAdmin
from tsunagu.process.models import Delivery, DeliveryFile, TaskAnswer, TaskUnit


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
