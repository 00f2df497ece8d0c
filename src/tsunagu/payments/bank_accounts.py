"""Workers' bank accounts: registering them, reviewing them, reading them back.

A bank account's number and holder name are personal data that the platform
needs in clear only when it writes a transfer file. They are encrypted with
``tsunagu.payments.field_crypto`` before the row is written, and decrypted
only by ``bank_account_details``, which only the back office calls. Nothing
here logs them or puts them in an error; the display hint is the last four
digits of the number.

What a worker types is normalized first: full-width digits become ASCII,
half-width katakana (as bank books print names, ``ﾔﾏﾀﾞ ﾀﾛｳ``) becomes
full-width (``ヤマダ　タロウ``), and runs of spaces become one full-width
space.
"""

import logging
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.errors import NotFound, PermissionDenied, RuleViolation
from tsunagu.payments.field_crypto import field_decrypt, field_encrypt, field_reencrypt
from tsunagu.payments.models import BankAccount, BankAccountReview, BankAccountType

logger = logging.getLogger(__name__)

# The 全銀 (Zengin) transfer record leaves 30 characters for the holder's name.
MAX_HOLDER_NAME_LENGTH = 30
IDEOGRAPHIC_SPACE = "\u3000"
PROLONGED_SOUND_MARK = "\u30fc"  # ー
REENCRYPT_BATCH_SIZE = 500


@dataclass(frozen=True)
class BankDetails:
    """A bank account in clear, normalized. ``repr`` hides the personal parts."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str = field(repr=False)
    holder_name: str = field(repr=False)


# --- checking what a worker typed -------------------------------------------


def bank_details_normalize(
    *,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_name: str,
) -> BankDetails:
    """The normalized details, or a ``RuleViolation`` (422) naming the first bad field.

    Codes: ``invalid_bank_code`` (4 digits), ``invalid_branch_code`` (3
    digits), ``invalid_account_type`` (ordinary or checking),
    ``invalid_account_number`` (7 digits), ``invalid_holder_name`` (katakana
    and spaces, at most 30 characters). Pure: reads and writes nothing.
    """
    bank = _digits(bank_code, length=4)
    if bank is None:
        raise RuleViolation(
            _("The bank code is 4 digits."), code="invalid_bank_code", field="bank_code"
        )
    branch = _digits(branch_code, length=3)
    if branch is None:
        raise RuleViolation(
            _("The branch code is 3 digits."), code="invalid_branch_code", field="branch_code"
        )
    if account_type not in BankAccountType.values:
        raise RuleViolation(
            _("Choose an ordinary or a checking account."),
            code="invalid_account_type",
            field="account_type",
        )
    number = _digits(account_number, length=7)
    if number is None:
        raise RuleViolation(
            _("The account number is 7 digits."),
            code="invalid_account_number",
            field="account_number",
        )
    name = holder_name_normalize(holder_name)
    if name is None:
        raise RuleViolation(
            _(
                "Write the account holder's name in katakana as the bank has it, "
                "at most 30 characters."
            ),
            code="invalid_holder_name",
            field="holder_name",
        )
    return BankDetails(
        bank_code=bank,
        branch_code=branch,
        account_type=account_type,
        account_number=number,
        holder_name=name,
    )


def holder_name_normalize(value: str) -> str | None:
    """``value`` as full-width katakana words joined by one full-width space; None if not kana.

    NFKC turns half-width katakana into full-width (joining a voiced mark
    to its letter) and every kind of space into an ASCII one, which is then
    split on.
    """
    if not isinstance(value, str):
        return None
    words = unicodedata.normalize("NFKC", value).split()
    name = IDEOGRAPHIC_SPACE.join(words)
    if not words or len(name) > MAX_HOLDER_NAME_LENGTH:
        return None
    if not all(_is_katakana(char) for word in words for char in word):
        return None
    return name


def _is_katakana(char: str) -> bool:
    # ァ (U+30A1) to ヶ (U+30F6): the letters, small ones and ヴ included; ー
    # for long vowels. Not the middle dot ・, which a transfer cannot carry.
    return "\u30a1" <= char <= "\u30f6" or char == PROLONGED_SOUND_MARK


def _digits(value: str, *, length: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) != length or not all("0" <= char <= "9" for char in text):
        return None
    return text


# --- services ----------------------------------------------------------------


@transaction.atomic
def bank_account_register(
    *,
    owner: User,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_name: str,
) -> BankAccount:
    """Register a bank account that ``owner``'s payouts can be sent to.

    Normalizes and checks the details (``bank_details_normalize``'s codes,
    422, nothing written on a refusal), then stores the number and name
    encrypted. A new account starts unverified; payouts to it are held for
    review for ``TSUNAGU_PAYOUT_REVIEW_DAYS`` days unless an operator
    verifies it. Raises 403 for an inactive user.
    """
    if not owner.is_active:
        raise PermissionDenied(_("This account is closed."))
    details = bank_details_normalize(
        bank_code=bank_code,
        branch_code=branch_code,
        account_type=account_type,
        account_number=account_number,
        holder_name=holder_name,
    )

    # TODO(#3): the bank and branch codes are checked for shape only; checking
    # them against the Zengin bank directory (and showing the bank's name)
    # needs that data set. A keyed hash of the details would also let the
    # platform see one account registered by several workers.
    bank_account = BankAccount.objects.create(
        owner=owner,
        bank_code=details.bank_code,
        branch_code=details.branch_code,
        account_type=details.account_type,
        account_number_encrypted=field_encrypt(details.account_number),
        holder_name_encrypted=field_encrypt(details.holder_name),
        account_number_last4=details.account_number[-4:],
    )
    logger.info("payments: bank account %s registered by user %s", bank_account.pk, owner.pk)
    return bank_account


@transaction.atomic
def bank_account_review(*, bank_account: BankAccount, by: User, verified: bool) -> BankAccount:
    """An operator marks the account verified, or flags it (its payouts then wait for review).

    Locks the account's row. Raises 403 for anyone but staff.
    """
    _check_operator(by)
    locked = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
    locked.review_state = BankAccountReview.VERIFIED if verified else BankAccountReview.FLAGGED
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["review_state", "reviewed_at", "updated_at"])
    logger.info(
        "payments: bank account %s %s by operator %s", locked.pk, locked.review_state, by.pk
    )
    return locked


@transaction.atomic
def bank_account_deactivate(*, bank_account: BankAccount, by: User) -> BankAccount:
    """The owner stops using the account; no new payout can go to it.

    The row stays, encrypted, for the payouts already sent to it (and one
    already approved is still sent). Raises 404 to anyone but the owner.
    """
    locked = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
    if locked.owner_id != by.pk:
        raise NotFound(_("There is no such bank account."), code="bank_account_not_found")
    if locked.is_active:
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        logger.info("payments: bank account %s deactivated", locked.pk)
    return locked


# --- the owner's reads ---------------------------------------------------------


def bank_accounts_of(owner: User, *, active_only: bool = False) -> QuerySet[BankAccount]:
    """``owner``'s bank accounts, newest first; ``active_only`` leaves out deactivated ones.

    For pages and the API, which show the masked number only
    (``BankAccount.number_masked``), never the encrypted fields.
    """
    accounts = BankAccount.objects.filter(owner=owner)
    return accounts.filter(is_active=True) if active_only else accounts


def bank_account_of(*, owner: User, bank_account_id: int) -> BankAccount:
    """``owner``'s bank account ``bank_account_id``, in use or not.

    Raises 404 ``bank_account_not_found`` for an account that does not exist
    or is someone else's: the two look the same.
    """
    account = BankAccount.objects.filter(pk=bank_account_id, owner=owner).first()
    if account is None:
        raise NotFound(_("There is no such bank account."), code="bank_account_not_found")
    return account


def bank_account_details(*, bank_account: BankAccount) -> BankDetails:
    """The account's details in clear, for a transfer file; never for a page or the API.

    Raises ``field_crypto.FieldDecryptError`` if no configured key opens them.
    """
    return BankDetails(
        bank_code=bank_account.bank_code,
        branch_code=bank_account.branch_code,
        account_type=bank_account.account_type,
        account_number=field_decrypt(bank_account.account_number_encrypted),
        holder_name=field_decrypt(bank_account.holder_name_encrypted),
    )


def bank_accounts_reencrypt(*, batch_size: int = REENCRYPT_BATCH_SIZE) -> int:
    """Encrypt every stored bank detail again under the first field key; the count of rows.

    For key rotation: run it after putting a new key first in
    ``TSUNAGU_FIELD_KEY``, then drop the old key. Each batch is its own
    transaction with its rows locked, so a long run holds no lock for long
    and an interrupted run can simply be started again (a token already
    under the first key is re-encrypted harmlessly). Raises
    ``FieldDecryptError`` (and leaves that batch as it was) if a token
    opens with none of the keys.
    """
    done = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                BankAccount.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .only("pk", "account_number_encrypted", "holder_name_encrypted")[:batch_size]
            )
            if not batch:
                break
            for row in batch:
                row.account_number_encrypted = field_reencrypt(row.account_number_encrypted)
                row.holder_name_encrypted = field_reencrypt(row.holder_name_encrypted)
            BankAccount.objects.bulk_update(
                batch, ["account_number_encrypted", "holder_name_encrypted"]
            )
        done += len(batch)
        last_pk = batch[-1].pk
    logger.info("payments: %d bank accounts re-encrypted under the first field key", done)
    return done


def _check_operator(by: User) -> None:
    if not by.is_staff:
        raise PermissionDenied(_("Only operators review bank accounts."))
