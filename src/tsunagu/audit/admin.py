"""The audit trail in the back office: searchable, never editable."""

from django.contrib import admin

from tsunagu.audit.models import AuditEvent
from tsunagu.backoffice import RecordAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    list_display = ["created_at", "machine", "object_id", "from_state", "to_state", "actor"]
    list_filter = ["machine", "to_state"]
    search_fields = ["=object_id", "reason"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
