"""Forms of a worker's money out: registering a bank account, asking for a payout.

The bank account form checks presence only; the shapes (4-digit bank code,
katakana name...) are ``payments.bank_accounts``' rules, and its refusal is
shown on the field it names.
"""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import User
from tsunagu.api.limits import MAX_YEN
from tsunagu.payments.bank_accounts import bank_accounts_of
from tsunagu.payments.models import BankAccount, BankAccountType


class BankAccountForm(forms.Form):
    bank_code = forms.CharField(
        label=_("Bank code"),
        max_length=16,
        help_text=_("4 digits, e.g. 0001."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    branch_code = forms.CharField(
        label=_("Branch code"),
        max_length=16,
        help_text=_("3 digits, e.g. 123."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_type = forms.ChoiceField(
        label=_("Account type"),
        choices=BankAccountType.choices,
        initial=BankAccountType.ORDINARY,
        widget=forms.RadioSelect,
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=16,
        help_text=_("7 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    holder_name = forms.CharField(
        label=_("Account holder (katakana)"),
        max_length=60,
        help_text=_("As your bank book shows it, e.g. ヤマダ タロウ."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class BankAccountChoiceField(forms.ModelChoiceField[BankAccount]):
    def label_from_instance(self, obj: BankAccount) -> str:
        kind = obj.get_account_type_display()
        return f"{obj.bank_code}-{obj.branch_code} {kind} {obj.number_masked}"


class PayoutForm(forms.Form):
    """A payout to one of the worker's active accounts.

    ``token`` is a fresh random id on each empty form, sent back hidden: a
    form submitted twice (a double click, a reload) asks once, because the
    service takes it as its dedupe key.
    """

    bank_account = BankAccountChoiceField(
        label=_("To the bank account"), queryset=BankAccount.objects.none(), empty_label=None
    )
    amount_yen = forms.IntegerField(label=_("Amount (yen)"), min_value=1, max_value=MAX_YEN)
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"token": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)
        self.accounts = bank_accounts_of(owner, active_only=True)
        field = self.fields["bank_account"]
        assert isinstance(field, BankAccountChoiceField)
        field.queryset = self.accounts
