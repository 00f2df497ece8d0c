"""The month or year a money page shows, read from ``?month=2026-03`` / ``?year=2026``.

Without the parameter a page shows the current month or year in Tokyo.
"""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FIRST_YEAR = 2020  # before Tsunagu; nothing to show earlier


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def current(cls) -> "Month":
        today = timezone.localdate()
        return cls(today.year, today.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def param(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def previous(self) -> "Month | None":
        index = self.year * 12 + self.month - 2
        return None if index // 12 < FIRST_YEAR else Month(index // 12, index % 12 + 1)

    @property
    def next(self) -> "Month | None":
        """The following month, unless it is still to come."""
        index = self.year * 12 + self.month
        following = Month(index // 12, index % 12 + 1)
        return None if following.first_day > timezone.localdate() else following


class MonthForm(forms.Form):
    month = forms.DateField(label=_("Month"), required=False, input_formats=["%Y-%m"])

    def clean_month(self) -> date | None:
        value: date | None = self.cleaned_data["month"]
        if value is not None and not FIRST_YEAR <= value.year <= timezone.localdate().year:
            raise forms.ValidationError(
                _("Choose a month from %(year)d on.") % {"year": FIRST_YEAR}
            )
        return value

    def chosen(self) -> Month:
        """The valid month asked for, or the current one."""
        value = self.cleaned_data.get("month")
        return Month(value.year, value.month) if value else Month.current()


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=FIRST_YEAR)

    def clean_year(self) -> int | None:
        value: int | None = self.cleaned_data["year"]
        if value is not None and value > timezone.localdate().year:
            raise forms.ValidationError(_("This year has not begun."))
        return value

    def chosen(self) -> int:
        value: int | None = self.cleaned_data.get("year")
        return value or timezone.localdate().year
