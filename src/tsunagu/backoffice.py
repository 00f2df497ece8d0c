"""What every app's back office (Django admin) shares.

Records that only services may write (jobs, contracts, reviews, ...) are
shown to operators but never edited in the admin: an edit there would skip
the rules and the audit that a service applies.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class RecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # admin is generic only in stubs
    """An admin page that shows records and never writes them."""

    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over a large table on every page is slow

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
