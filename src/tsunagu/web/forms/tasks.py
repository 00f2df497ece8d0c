"""Forms of the task pages: adding units as lines of text, reviewing answers.

Units are added as a textarea, one unit per line, read as CSV: ``text`` or
``text,gold``, where ``gold`` is the answer the client knows (one of the
choices). A text holding a comma is quoted: ``"赤い, 丸い果物",りんご``. The
choices are given once for every line, separated by commas.
"""

import csv
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsunagu.process.task_units import MAX_ANSWER_LENGTH, MAX_REDUNDANCY, UnitSpec

MAX_LINES = 500
MAX_TEXT_LENGTH = 2000


def _split_choices(raw: str) -> list[str]:
    return [choice.strip() for choice in raw.replace("、", ",").split(",") if choice.strip()]


class UnitsAddForm(forms.Form):
    choices = forms.CharField(
        label=gettext_lazy("Choices"),
        max_length=2000,
        help_text=gettext_lazy("The answers workers choose from, separated by commas."),
    )
    lines = forms.CharField(
        label=gettext_lazy("Units"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One unit per line: the text, then optionally a comma and its gold answer "
            '(one of the choices). Quote a text that holds a comma: "a, b",gold.'
        ),
    )
    redundancy = forms.IntegerField(
        label=gettext_lazy("Workers per unit"), min_value=1, max_value=MAX_REDUNDANCY, initial=1
    )

    def clean_choices(self) -> list[str]:
        choices = _split_choices(self.cleaned_data["choices"])
        if len(choices) < 2 or len(set(choices)) != len(choices):
            raise forms.ValidationError(_("Give at least two different choices."))
        if any(len(choice) > MAX_ANSWER_LENGTH for choice in choices):
            raise forms.ValidationError(
                _("A choice is %(n)d characters at most.") % {"n": MAX_ANSWER_LENGTH}
            )
        return choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        choices = cleaned.get("choices")
        raw = cleaned.get("lines")
        if choices is None or raw is None:
            return cleaned
        rows = [row for row in csv.reader(raw.splitlines()) if any(cell.strip() for cell in row)]
        if len(rows) > MAX_LINES:
            self.add_error("lines", _("Add %(n)d units at most at a time.") % {"n": MAX_LINES})
            return cleaned
        specs = []
        for number, row in enumerate(rows, start=1):
            text = row[0].strip()
            gold = row[1].strip() if len(row) > 1 else ""
            if len(row) > 2 or not text or len(text) > MAX_TEXT_LENGTH:
                self.add_error(
                    "lines", _('Line %(n)d: write "text" or "text,gold".') % {"n": number}
                )
            elif gold and gold not in choices:
                self.add_error(
                    "lines",
                    _("Line %(n)d: the gold answer %(gold)s is not one of the choices.")
                    % {"n": number, "gold": gold},
                )
            else:
                specs.append(
                    UnitSpec(payload={"text": text}, choices=choices, gold_answer=gold or None)
                )
        cleaned["specs"] = specs
        return cleaned

    def unit_specs(self) -> list[UnitSpec]:
        specs: list[UnitSpec] = self.cleaned_data["specs"]
        return specs


class AnswerReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejecting"), required=False, max_length=2000
    )

    @property
    def approve(self) -> bool:
        return bool(self.cleaned_data["decision"] == "approve")


class AnswersApproveForm(forms.Form):
    answers = forms.TypedMultipleChoiceField(coerce=int, choices=[])

    def __init__(self, *args: Any, answer_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answers"].choices = [(pk, pk) for pk in answer_ids]  # type: ignore[attr-defined]  # a ChoiceField
