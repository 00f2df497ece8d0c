"""The operators' back office for work: jobs, proposals, contracts, reviews.

Everything here is read-only: a job, a contract or a review changes only
through ``tsunagu.work.services``, which checks the rules and keeps the
freelance act's terms as agreed. Operators search and look.
"""

from django.contrib import admin

from tsunagu.backoffice import RecordAdmin
from tsunagu.work.models import (
    Competition,
    CompetitionEntry,
    Contract,
    Invitation,
    Job,
    JobSkill,
    Milestone,
    Proposal,
    ProposedMilestone,
    Review,
    TaskBatch,
)


class JobSkillInline(admin.TabularInline):  # type: ignore[type-arg]
    model = JobSkill
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in JobSkill._meta.fields]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(RecordAdmin):
    list_display = ["id", "title", "format", "category", "budget_yen", "status", "created_at"]
    list_filter = ["format", "status", "visibility", "category"]
    search_fields = ["title", "client__display_name"]
    list_select_related = ["category"]
    date_hierarchy = "created_at"
    inlines = [JobSkillInline]


@admin.register(TaskBatch)
class TaskBatchAdmin(RecordAdmin):
    list_display = ["job", "unit_count", "unit_price_yen", "per_worker_cap"]
    list_select_related = ["job"]


@admin.register(Competition)
class CompetitionAdmin(RecordAdmin):
    list_display = ["job", "prize_yen", "winner_count", "awarded_at"]
    list_select_related = ["job"]


@admin.register(CompetitionEntry)
class CompetitionEntryAdmin(RecordAdmin):
    list_display = ["title", "competition", "worker", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["competition__job", "worker"]


class ProposedMilestoneInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProposedMilestone
    extra = 0
    can_delete = False
    readonly_fields = ["position", "title", "amount_yen", "due_date"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(RecordAdmin):
    list_display = ["id", "job", "worker", "price_yen", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["job__title", "worker__display_name"]
    list_select_related = ["job", "worker"]
    inlines = [ProposedMilestoneInline]


@admin.register(Invitation)
class InvitationAdmin(RecordAdmin):
    list_display = ["id", "job", "worker", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["job", "worker"]


class MilestoneInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Milestone
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in Milestone._meta.fields]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(RecordAdmin):
    list_display = ["id", "title", "client", "worker", "price_yen", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "client__display_name", "worker__display_name"]
    list_select_related = ["client", "worker"]
    date_hierarchy = "created_at"
    inlines = [MilestoneInline]


@admin.register(Review)
class ReviewAdmin(RecordAdmin):
    list_display = ["contract", "author", "subject", "direction", "overall", "created_at"]
    list_filter = ["direction", "overall"]
    list_select_related = ["contract", "author", "subject"]
