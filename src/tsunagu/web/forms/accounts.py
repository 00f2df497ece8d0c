"""Forms of the account pages: sign-up, sign-in, passwords, closure."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common word."),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        help_text=_("Shown to clients and workers. A nickname is fine."),
    )
    as_worker = forms.BooleanField(label=_("I want to work"), required=False, initial=True)
    as_client = forms.BooleanField(label=_("I want to order work"), required=False)
    organization_name = forms.CharField(
        label=_("Company name (optional)"),
        max_length=120,
        required=False,
        help_text=_("If you order for a company, we create its account with you as owner."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class PasswordResetConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("New password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class AccountCloseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my profile, skills and portfolio will be deleted."),
        required=True,
    )
