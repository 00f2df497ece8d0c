"""Forms of the contract page: messages and reviews."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.work.models import ReviewDirection

SCORE_CHOICES = [(score, str(score)) for score in (5, 4, 3, 2, 1)]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _score(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=SCORE_CHOICES, coerce=int, initial=5)


class ReviewForm(forms.Form):
    """Scores 1-5. What the dimensions mean depends on who is reviewed."""

    overall = _score(_("Overall"))
    quality = _score(_("Quality of the work"))
    communication = _score(_("Communication"))
    timeliness = _score(_("Keeping deadlines"))
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if direction == ReviewDirection.OF_CLIENT:
            self.fields["quality"].label = _("Clarity of the request")
            self.fields["timeliness"].label = _("Prompt decisions")
