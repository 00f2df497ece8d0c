"""The operators' back office for people and organizations.

Operators look people up, switch staff and active flags, and decide on
identity submissions through ``identity_review``. Passwords and ratings are
never edited here.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts import services
from tsunagu.accounts.models import (
    IdentityStatus,
    Membership,
    Organization,
    PortfolioItem,
    User,
    WorkerProfile,
)
from tsunagu.backoffice import RecordAdmin
from tsunagu.errors import DomainError


@admin.register(User)
class UserAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "display_name", "email", "identity_status", "is_staff", "date_joined"]
    list_filter = ["identity_status", "is_staff", "is_active"]
    search_fields = ["email", "display_name"]
    fields = [
        "email",
        "display_name",
        "is_active",
        "is_staff",
        "identity_status",
        "email_verified_at",
        "date_joined",
        "closed_at",
    ]
    readonly_fields = [
        "email",
        "identity_status",
        "email_verified_at",
        "date_joined",
        "closed_at",
    ]
    actions = ["approve_identity", "reject_identity"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people sign up themselves; operators use `tsunagu createsuperuser`

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # closing an account (退会) keeps what the law requires; see account_close

    @admin.action(description=_("Approve the identity submission"))
    def approve_identity(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._review(request, queryset, approve=True)

    @admin.action(description=_("Reject the identity submission"))
    def reject_identity(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._review(request, queryset, approve=False)

    def _review(self, request: HttpRequest, queryset: QuerySet[User], *, approve: bool) -> None:
        assert isinstance(request.user, User)
        decided = 0
        for user in queryset.filter(identity_status=IdentityStatus.SUBMITTED):
            try:
                services.identity_review(user=user, by=request.user, approve=approve)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
            decided += 1
        self.message_user(request, _("%(count)d submissions decided.") % {"count": decided})


class PortfolioInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PortfolioItem
    extra = 0
    can_delete = False
    readonly_fields = ["title", "description", "url", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkerProfile)
class WorkerProfileAdmin(RecordAdmin):
    list_display = ["user", "headline", "prefecture", "completed_contracts", "rating_count"]
    list_filter = ["prefecture", "is_public"]
    search_fields = ["user__display_name", "headline"]
    list_select_related = ["user"]
    inlines = [PortfolioInline]


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    can_delete = False
    readonly_fields = ["user", "role", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(RecordAdmin):
    list_display = ["name", "slug", "invoice_number", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
