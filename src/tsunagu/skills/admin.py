"""The back office for the taxonomy: operators add aliases as people search."""

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from tsunagu.backoffice import RecordAdmin
from tsunagu.skills.models import Category, Skill, SkillAlias, WorkerSkill
from tsunagu.skills.normalize import normalize_skill_name


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["slug", "name_ja", "name_en", "position"]
    ordering = ["position"]


class AliasInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SkillAlias
    extra = 1
    fields = ["alias", "normalized"]
    readonly_fields = ["normalized"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["slug", "name_ja", "name_en", "category", "popularity"]
    list_filter = ["category"]
    search_fields = ["slug", "name_ja", "name_en", "aliases__alias"]
    list_select_related = ["category"]
    inlines = [AliasInline]

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formset: BaseInlineFormSet[Any, Any, Any],
        change: bool,
    ) -> None:
        """Aliases are looked up by their normalized form, so compute it on save."""
        aliases = formset.save(commit=False)
        for alias in aliases:
            alias.normalized = normalize_skill_name(alias.alias)
            alias.save()
        for removed in formset.deleted_objects:
            removed.delete()


@admin.register(WorkerSkill)
class WorkerSkillAdmin(RecordAdmin):
    list_display = ["worker", "skill", "level", "evidence", "proven_contracts"]
    list_filter = ["evidence", "level", "skill__category"]
    search_fields = ["worker__display_name", "skill__name_ja", "skill__slug"]
    list_select_related = ["worker", "skill"]
    raw_id_fields = ["worker", "skill"]
