"""``tsunagu rotate-field-keys``: encrypt every bank detail again under the first key."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.payments.bank_accounts import bank_accounts_reencrypt
from tsunagu.payments.field_crypto import FieldDecryptError


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored bank account details under the first key of "
        "TSUNAGU_FIELD_KEY. Rotate a key by putting the new key first (keeping "
        "the old one after it), running this command, then removing the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = bank_accounts_reencrypt()
        except FieldDecryptError as error:
            raise CommandError(
                "a stored detail opens with none of the keys in TSUNAGU_FIELD_KEY; "
                "keep the old key in the list until this command has run"
            ) from error
        self.stdout.write(f"{count} bank accounts re-encrypted under the first key")
