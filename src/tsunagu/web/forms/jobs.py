"""Forms of the job pages: the list's filters, posting, and taking part.

Amounts are whole yen. The bounds here only keep input within what the
columns hold; whether an amount is acceptable (a positive budget, a cap
within the units) is the posting service's rule, shown on the form when it
refuses.
"""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import Organization, User
from tsunagu.errors import DomainError
from tsunagu.skills.models import Category, Skill
from tsunagu.skills.services import resolve_skill
from tsunagu.web.forms.workers import LEVEL_CHOICES, SkillNameField
from tsunagu.work.models import CompetitionEntry, InvitationKind, JobFormat, Visibility
from tsunagu.work.selectors import JobFilters
from tsunagu.work.services import (
    CompetitionTerms,
    MilestonePlan,
    SkillRequirement,
    TaskTerms,
)

MAX_YEN = 1_000_000_000
MAX_UNITS = 1_000_000
_NAME_SEPARATORS = re.compile(r"[,、，\n]+")


def yen_field(label: Any, *, required: bool = False, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        max_value=MAX_YEN,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        **kwargs,
    )


class JobFilterForm(forms.Form):
    """The open jobs list's filters; an invalid filter is simply not applied."""

    q = forms.CharField(
        label=_("Keyword"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. Excel macro")}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.all(),
        to_field_name="slug",
        empty_label=_("All categories"),
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("All formats")), *JobFormat.choices]
    )
    budget_min = yen_field(_("Budget from (yen)"), min_value=0)
    budget_max = yen_field(_("Budget up to (yen)"), min_value=0)

    def filters(self) -> JobFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return JobFilters(
            category=data["category"].slug if data.get("category") else None,
            format=data.get("format") or None,
            budget_min=data.get("budget_min"),
            budget_max=data.get("budget_max"),
            text=(data.get("q") or "").strip() or None,
        )


class SkillNamesField(forms.CharField):
    """Skills by any of their names, separated by commas or new lines."""

    def clean(self, value: Any) -> list[Skill]:
        text = super().clean(value) or ""
        skills: list[Skill] = []
        unknown: list[str] = []
        for name in _NAME_SEPARATORS.split(text):
            name = name.strip()
            if not name:
                continue
            try:
                skill = resolve_skill(name)
            except DomainError:
                unknown.append(name)
                continue
            if skill not in skills:
                skills.append(skill)
        if unknown:
            raise forms.ValidationError(
                _("Unknown skill: %(names)s"), params={"names": ", ".join(unknown)}
            )
        return skills


class JobPostForm(forms.Form):
    """One form for the three formats; only the chosen format's terms count."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=JobFormat.choices,
        initial=JobFormat.PROJECT,
        widget=forms.RadioSelect,
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), to_field_name="slug"
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What to make, what you provide, how you will check the result."),
    )
    deadline = forms.DateTimeField(
        label=_("Applications close"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Japan time."),
    )
    delivery_due = forms.DateField(
        label=_("Delivery wanted by (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    skills_required = SkillNamesField(
        label=_("Required skills"),
        required=False,
        max_length=500,
        help_text=_("Separate with commas, e.g. 'Excel VBA, Access'."),
    )
    skills_nice = SkillNamesField(label=_("Nice-to-have skills"), required=False, max_length=500)
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    organization = forms.ModelChoiceField(
        label=_("Post for"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("Myself"),
    )

    # project
    budget_yen = yen_field(_("Budget (yen, without tax)"))
    hires_wanted = forms.IntegerField(
        label=_("Workers to hire"), required=False, initial=1, max_value=100
    )
    # task batch
    unit_count = forms.IntegerField(label=_("Units"), required=False, max_value=MAX_UNITS)
    unit_price_yen = yen_field(_("Unit price (yen)"))
    per_worker_cap = forms.IntegerField(
        label=_("Units per worker at most"), required=False, max_value=MAX_UNITS
    )
    qualification_skill = SkillNameField(
        label=_("Qualification skill (optional)"), required=False, max_length=120
    )
    qualification_min_level = forms.TypedChoiceField(
        label=_("Qualification level"), choices=LEVEL_CHOICES, coerce=int, initial=1
    )
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    # competition
    prize_yen = yen_field(_("Prize per winner (yen)"))
    winner_count = forms.IntegerField(label=_("Winners"), required=False, initial=1, max_value=100)

    # The service's field names that differ from this form's.
    refusal_fields = {"skills": "skills_required"}

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = self.fields["organization"]
        assert isinstance(organization, forms.ModelChoiceField)
        organization.queryset = Organization.objects.filter(
            pk__in=[item.pk for item in organizations]
        )
        if not organizations:
            del self.fields["organization"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        required = data.get("skills_required") or []
        nice = data.get("skills_nice") or []
        if set(required) & set(nice):
            self.add_error("skills_nice", _("A skill is listed as both required and nice-to-have."))
        return data

    def job_post_arguments(self) -> dict[str, Any]:
        """``work.services.job_post``'s keyword arguments, the client aside."""
        data = self.cleaned_data
        job_format = data["format"]
        skills = [SkillRequirement(skill=s) for s in data["skills_required"]] + [
            SkillRequirement(skill=s, required=False) for s in data["skills_nice"]
        ]
        arguments: dict[str, Any] = {
            "format": job_format,
            "category": data["category"],
            "title": data["title"],
            "description": data["description"],
            "deadline": data["deadline"],
            "delivery_due": data.get("delivery_due"),
            "visibility": data["visibility"],
            "organization": data.get("organization"),
            "skills": skills,
        }
        if job_format == JobFormat.PROJECT:
            arguments["budget_yen"] = data.get("budget_yen")
            arguments["hires_wanted"] = data.get("hires_wanted") or 1
        elif job_format == JobFormat.TASK:
            arguments["task"] = TaskTerms(
                unit_count=data.get("unit_count") or 0,
                unit_price_yen=data.get("unit_price_yen") or 0,
                per_worker_cap=data.get("per_worker_cap") or 0,
                qualification_skill=data.get("qualification_skill"),
                qualification_min_level=data.get("qualification_min_level") or 1,
                instructions=data.get("instructions") or "",
            )
        elif job_format == JobFormat.COMPETITION:
            arguments["competition"] = CompetitionTerms(
                prize_yen=data.get("prize_yen") or 0,
                winner_count=data.get("winner_count") or 0,
            )
        return arguments


class ProposalForm(forms.Form):
    price_yen = yen_field(_("Your price (yen, without tax)"), required=True)
    message = forms.CharField(
        label=_("Message to the client"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Your experience with similar work and how you would go about it."),
    )

    # The milestone plan is shown above the form, as its own rows.
    refusal_fields = {"milestones": ""}


class MilestoneRowForm(forms.Form):
    """One row of the plan; a row left blank is no milestone."""

    title = forms.CharField(label=_("Milestone"), max_length=120, required=False)
    amount_yen = yen_field(_("Amount (yen)"))
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = data.get("title") or data.get("amount_yen") is not None or data.get("due_date")
        if filled and not data.get("title"):
            self.add_error("title", _("Name the milestone."))
        if filled and data.get("amount_yen") is None:
            self.add_error("amount_yen", _("Give the milestone's amount."))
        return data

    def plan(self) -> MilestonePlan | None:
        data = getattr(self, "cleaned_data", {})
        if not data.get("title"):
            return None
        return MilestonePlan(
            title=data["title"], amount_yen=data["amount_yen"], due_date=data.get("due_date")
        )


MilestoneFormSet = forms.formset_factory(MilestoneRowForm, extra=3, max_num=3, absolute_max=3)


def milestone_plan(formset: forms.BaseFormSet[MilestoneRowForm]) -> list[MilestonePlan]:
    """The filled rows of a valid milestone formset, in order."""
    rows = (row.plan() for row in formset.forms)
    return [plan for plan in rows if plan is not None]


class ProposalAcceptForm(forms.Form):
    payment_due_days = forms.IntegerField(
        label=_("Pay within (days after approval)"),
        initial=30,
        min_value=0,
        max_value=365,
        help_text=_("At most 60 days, as the freelance act requires."),
    )


class CompetitionEntryForm(forms.Form):
    title = forms.CharField(label=_("Entry title"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class EntryChoiceField(forms.ModelMultipleChoiceField[CompetitionEntry]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.worker})"


class CompetitionAwardForm(forms.Form):
    winners = EntryChoiceField(
        label=_("Winners"),
        queryset=CompetitionEntry.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, entries: list[CompetitionEntry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        winners = self.fields["winners"]
        assert isinstance(winners, forms.ModelMultipleChoiceField)
        winners.queryset = CompetitionEntry.objects.filter(
            pk__in=[entry.pk for entry in entries]
        ).select_related("worker")


class InvitationForm(forms.Form):
    """Sent from the job page (job fixed) or a worker's page (worker fixed)."""

    job = forms.IntegerField(label=_("Job"), min_value=1)
    # TODO(#2): on the job page, find the worker by name (an htmx search)
    # instead of asking for the number in their profile's address.
    worker = forms.IntegerField(
        label=_("Worker number"),
        min_value=1,
        help_text=_("The number in the worker's profile address: /workers/<number>/."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=InvitationKind.choices,
        initial=InvitationKind.SCOUT,
        widget=forms.RadioSelect,
    )
    offer_price_yen = yen_field(
        _("Offer price (yen, without tax)"), help_text=_("For a direct offer only.")
    )
    message = forms.CharField(
        label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_worker(self) -> User:
        worker = User.objects.filter(pk=self.cleaned_data["worker"], is_active=True).first()
        if worker is None:
            raise forms.ValidationError(_("No such worker."))
        return worker
