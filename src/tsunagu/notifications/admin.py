"""The operators' view of notifications: who was told what, read, and mailed when."""

from django.contrib import admin

from tsunagu.backoffice import RecordAdmin
from tsunagu.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    list_display = ["id", "created_at", "recipient", "kind", "link", "read_at", "emailed_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
