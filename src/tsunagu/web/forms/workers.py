"""Forms of a worker's own pages: profile, skills, portfolio."""

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import WorkerProfile
from tsunagu.accounts.prefectures import Prefecture
from tsunagu.errors import DomainError
from tsunagu.skills.models import Skill
from tsunagu.skills.services import resolve_skill

# Languages a worker can work in, by ISO 639-1 code as profiles store them.
LANGUAGE_NAMES: dict[str, Promise] = {
    "ja": _("Japanese"),
    "en": _("English"),
    "zh": _("Chinese"),
    "ko": _("Korean"),
    "vi": _("Vietnamese"),
    "th": _("Thai"),
    "id": _("Indonesian"),
    "tl": _("Filipino"),
    "es": _("Spanish"),
    "pt": _("Portuguese"),
    "fr": _("French"),
    "de": _("German"),
    "it": _("Italian"),
    "ru": _("Russian"),
}

LEVEL_CHOICES = [
    (1, _("1: beginner")),
    (2, _("2: some experience")),
    (3, _("3: independent")),
    (4, _("4: advanced")),
    (5, _("5: expert")),
]


class SkillNameField(forms.CharField):
    """A skill given by any of its names (``マクロ`` finds Excel VBA)."""

    def clean(self, value: Any) -> Skill | None:
        name = super().clean(value)
        if not name:
            return None
        try:
            return resolve_skill(name)
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class WorkerProfileForm(forms.Form):
    headline = forms.CharField(
        label=_("Headline"),
        max_length=120,
        required=False,
        help_text=_("One line clients see first, e.g. 'Excel VBA automation for accounting'."),
    )
    bio = forms.CharField(
        label=_("About you"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    hourly_rate_yen = forms.IntegerField(
        label=_("Expected hourly rate (yen)"), min_value=0, max_value=1_000_000
    )
    hours_per_week = forms.IntegerField(label=_("Hours available per week"), min_value=0)
    prefecture = forms.ChoiceField(
        label=_("Prefecture"),
        required=False,
        choices=[("", _("Not shown")), *Prefecture.choices],
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you work in"),
        required=False,
        choices=list(LANGUAGE_NAMES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    is_public = forms.BooleanField(label=_("Show my profile to clients"), required=False)

    @classmethod
    def for_profile(cls, profile: WorkerProfile | None) -> "WorkerProfileForm":
        if profile is None:
            return cls(initial={"hourly_rate_yen": 0, "hours_per_week": 0, "is_public": True})
        return cls(
            initial={
                "headline": profile.headline,
                "bio": profile.bio,
                "hourly_rate_yen": profile.hourly_rate_yen,
                "hours_per_week": profile.hours_per_week,
                "prefecture": profile.prefecture,
                "languages": profile.languages,
                "is_public": profile.is_public,
            }
        )


class SkillAddForm(forms.Form):
    skill = SkillNameField(
        label=_("Skill"),
        max_length=120,
        help_text=_("Any name works: 'マクロ', 'VBA' and 'Excel VBA' are the same skill."),
    )
    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int, initial=3)


class PortfolioItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    url = forms.URLField(label=_("Link (optional)"), required=False, assume_scheme="https")
