"""Forms of the contract page: messages, reviews and paying for a milestone."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.payments.models import PaymentMethod
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


class FundForm(forms.Form):
    """How the client pays for a milestone (仮払い).

    Invoices are offered only on an organization's contract; the card field
    says so when this installation charges the test gateway.
    """

    method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    card_token = forms.CharField(label=_("Card token"), required=False, max_length=100)

    def __init__(self, *args: Any, invoice: bool, test_card: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every method passes the form, so that the service's own refusal
        # (422 for an invoice without an organization) is what answers; the
        # radio buttons offer only what this contract may use.
        methods = [PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER]
        if invoice:
            methods.append(PaymentMethod.INVOICE)
        method_field = self.fields["method"]
        assert isinstance(method_field, forms.ChoiceField)
        method_field.choices = PaymentMethod.choices
        method_field.widget.choices = [(method.value, method.label) for method in methods]
        method_field.initial = PaymentMethod.CARD
        if test_card:
            self.fields["card_token"].label = _("Card token (test card)")
            self.fields["card_token"].help_text = _(
                "This installation uses a test card gateway: any token pays, "
                "tok_declined is declined. No real card is charged."
            )
            self.fields["card_token"].initial = "tok_visa"

    def clean_card_token(self) -> str | None:
        return self.cleaned_data["card_token"].strip() or None
