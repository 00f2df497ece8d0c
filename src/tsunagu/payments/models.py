"""The escrow ledger: accounts, append-only journal entries and their postings.

Double entry with signed integer yen. Every ``JournalEntry`` has postings
that sum to zero; an ``Account``'s ``balance`` is the cached sum of its
postings. A positive balance is money the platform holds for someone (a
hold, a worker's balance, fees, taxes payable). Two kinds sit on the other
side and may go negative: ``external`` (money that came in from a provider,
so its balance is minus the net received) and ``losses`` (what the platform
absorbed, e.g. a chargeback after the money was released).

The ledger knows nothing of jobs: an account or entry names its owner with a
reference string such as ``milestone:123`` or ``user:45``.

Entries and postings are never updated or deleted. Three guards, from cheap
to strong: ``save()``/``delete()`` on an instance raise; the managers'
``update()``/``delete()`` raise; database triggers (migration 0002) refuse
UPDATE on both databases and DELETE on PostgreSQL. SQLite keeps DELETE
possible because Django's ``flush`` (used between transactional tests)
deletes rows; TRUNCATE on PostgreSQL does not fire row triggers.

Rows change only through ``tsunagu.payments.ledger`` and the services
(``tsunagu.payments.services``, ``tsunagu.payments.recoveries``).
"""

from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PLATFORM = "platform"  # the reference of the platform's own accounts


class AccountKind(models.TextChoices):
    HOLD = "hold", _("Escrow hold")
    WORKER_BALANCE = "worker_balance", _("Worker balance")
    PAYOUT_IN_FLIGHT = "payout_in_flight", _("Payout in flight")
    FEE_REVENUE = "fee_revenue", _("Fee revenue")
    FEE_TAX = "fee_tax", _("Consumption tax on fees")
    WITHHOLDING_PAYABLE = "withholding_payable", _("Withholding tax payable")
    LOSSES = "losses", _("Losses")
    EXTERNAL = "external", _("External (provider)")


# The kinds on the far side of the ledger, whose balance may be negative.
NEGATIVE_KINDS = frozenset({AccountKind.EXTERNAL, AccountKind.LOSSES})


class EntryKind(models.TextChoices):
    FUND = "fund", _("Fund")
    RELEASE = "release", _("Release")
    REFUND = "refund", _("Refund")
    SPLIT = "split", _("Split")
    WITHDRAW = "withdraw", _("Withdrawal")
    PAYOUT_FAILED = "payout_failed", _("Failed payout")
    PAYOUT_PAID = "payout_paid", _("Payout paid")
    CHARGEBACK = "chargeback", _("Chargeback")
    REVERSAL = "reversal", _("Reversal")
    WITHHOLDING_RETURN = "withholding_return", _("Withholding returned")
    CHARGEBACK_RECOVERY = "chargeback_recovery", _("Chargeback recovered")
    RELEASE_PART = "release_part", _("Partial release")
    CLOSE = "close", _("Close")


# The entry kinds that settle a hold; each hold has at most one of them. A
# ``release_part`` pays out of a hold that stays funded; the part that
# empties the hold also settles it (``HoldState.CLOSED``), which is why it
# is not among these.
SETTLING_KINDS = frozenset({EntryKind.RELEASE, EntryKind.REFUND, EntryKind.SPLIT, EntryKind.CLOSE})


class Account(models.Model):
    """One (kind, reference) pair; ``balance`` caches the sum of its postings.

    ``balance`` changes only in ``tsunagu.payments.ledger``, under the row's
    lock. The platform's fee accounts are striped (``platform:0`` ...; see
    ``ledger.platform_stripe``). The CHECK constraints refuse a negative
    balance unless ``may_go_negative``, which only the external and losses
    kinds may set.
    """

    kind = models.CharField(_("kind"), max_length=24, choices=AccountKind.choices)
    reference = models.CharField(_("reference"), max_length=120)
    balance = models.BigIntegerField(_("balance (yen)"), default=0)
    may_go_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="account_kind_reference"),
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(may_go_negative=True),
                name="account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(may_go_negative=False) | Q(kind__in=sorted(NEGATIVE_KINDS)),
                name="account_negative_only_external_losses",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AccountKind.values), name="account_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.reference}"


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """A queryset that refuses bulk changes: ledger rows are written once."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{self.model.__name__} rows are append-only; post a new entry")

    def delete(self) -> NoReturn:
        raise TypeError(f"{self.model.__name__} rows are append-only; post a reversal")


class AppendOnlyModel(models.Model):
    """Refuses ``save()`` of an existing row and ``delete()``."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only; post a new entry")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} rows are append-only; post a reversal")


class JournalEntry(AppendOnlyModel):
    """One balanced movement of money; its postings sum to zero.

    ``dedupe_key`` makes a retried write take effect once: a second post with
    the same key returns this entry. ``reverses`` points at the entry this
    one undoes (a failed payout undoes its withdrawal); it is unique, so an
    entry is undone at most once.
    """

    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices)
    reference = models.CharField(_("reference"), max_length=120)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["reference", "kind"], name="entry_reference_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="entry_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.reference}"


class Posting(AppendOnlyModel):
    """A signed amount on one account; positive adds to its balance."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(_("amount (yen)"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero"),
            models.UniqueConstraint(fields=["entry", "account"], name="posting_entry_account"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} on account {self.account_id}"


class HoldState(models.TextChoices):
    FUNDED = "funded", _("Funded")
    RELEASED = "released", _("Released")
    REFUNDED = "refunded", _("Refunded")
    SPLIT = "split", _("Split")
    CLOSED = "closed", pgettext_lazy("hold state", "Closed")  # not the job's 募集終了


class Hold(models.Model):
    """The escrow of one reference: funded once, settled at most once.

    ``source`` is the external account the money came from (a refund goes
    back there). ``settled_entry`` is the release, refund, split or close; it
    is set exactly when the state leaves ``funded``, in the transaction that
    posts it, under this row's lock. ``charged_back_yen`` is what the
    provider has taken back so far.

    A hold may also be paid out in parts (a task batch, one part per approved
    answer): ``released_yen`` is the sum of its ``release_part`` entries, and
    the hold stays funded with ``amount_yen - released_yen`` in it. Such a
    hold ends ``closed``: by its close entry (the rest back to the source),
    or by the part that empties it. ``released_yen + charged_back_yen`` never
    exceeds ``amount_yen``.
    """

    reference = models.CharField(_("reference"), max_length=120, unique=True)
    source = models.CharField(_("source"), max_length=120)
    amount_yen = models.BigIntegerField(_("amount (yen, tax included)"))
    state = models.CharField(
        _("state"), max_length=10, choices=HoldState.choices, default=HoldState.FUNDED
    )
    fund_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="funded_hold"
    )
    settled_entry = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_hold",
    )
    charged_back_yen = models.BigIntegerField(default=0)
    released_yen = models.BigIntegerField(_("released in parts (yen)"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(state__in=HoldState.values), name="hold_state_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=HoldState.FUNDED, settled_entry__isnull=True, settled_at__isnull=True)
                    | (
                        ~Q(state=HoldState.FUNDED)
                        & Q(settled_entry__isnull=False, settled_at__isnull=False)
                    )
                ),
                name="hold_settled_iff_entry",
            ),
            models.CheckConstraint(
                condition=Q(charged_back_yen__gte=0, charged_back_yen__lte=models.F("amount_yen")),
                name="hold_charged_back_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(
                    released_yen__gte=0,
                    released_yen__lte=models.F("amount_yen") - models.F("charged_back_yen"),
                ),
                name="hold_parts_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.reference} ({self.state})"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    INVOICE = "invoice", _("Monthly invoice")
    CARD = "card", _("Card")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the deposit")
    SUCCEEDED = "succeeded", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# A payment in these states speaks for its reference; at most one per reference.
LIVE_PAYMENT_STATES = (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)


class Payment(models.Model):
    """A client's payment for one item before work starts (仮払い).

    ``reference`` names the item (``milestone:12``), as the hold it funds
    does. A bank transfer waits ``pending`` until an operator confirms the
    deposit; a card or a monthly invoice funds the hold at once. The money
    itself is only ever in the ledger: ``fund_entry`` is its funding entry.
    ``amount_yen`` includes consumption tax.
    """

    reference = models.CharField(_("reference"), max_length=120)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    amount_yen = models.BigIntegerField(_("amount (yen, tax included)"))
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    provider_reference = models.CharField(_("provider reference"), max_length=64, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    fund_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments_confirmed",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status__in=LIVE_PAYMENT_STATES),
                name="payment_one_live_per_reference",
            ),
            models.CheckConstraint(
                condition=Q(status=PaymentStatus.PENDING)
                | Q(status=PaymentStatus.CANCELLED)
                | Q(fund_entry__isnull=False),
                name="payment_paid_iff_funded",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} for {self.reference} ({self.status})"


class Clawback(models.Model):
    """A claim on a worker's balance for money a chargeback took back.

    A chargeback on an item already released is first the platform's loss
    (``losses:<reference>``); ``recoveries.chargeback_recover`` then claims
    ``amount_yen`` of it from ``worker_balance:<worker_reference>``, takes
    what the balance has at once (``recovered_yen``) and leaves the rest
    owed. While something is owed (``released_at`` is empty) that much of the
    balance is held: a payout may take only the balance less what is owed.
    ``recoveries.clawback_repay`` takes the owed part when the balance has
    it again. ``recovered_yen`` only grows, each step a
    ``chargeback_recovery`` entry crediting the losses account; nothing is
    deleted.
    """

    worker_reference = models.CharField(_("worker"), max_length=120)
    reference = models.CharField(_("reference"), max_length=120)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    amount_yen = models.BigIntegerField(_("claimed (yen)"))
    recovered_yen = models.BigIntegerField(_("recovered (yen)"), default=0)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(_("repaid at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["worker_reference", "released_at"], name="clawback_worker_open")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_yen__gt=0, recovered_yen__gte=0)
                & Q(recovered_yen__lte=models.F("amount_yen")),
                name="clawback_recovered_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, recovered_yen__lt=models.F("amount_yen"))
                | Q(released_at__isnull=False, recovered_yen=models.F("amount_yen")),
                name="clawback_released_iff_repaid",
            ),
        ]

    def __str__(self) -> str:
        return f"clawback {self.pk} of {self.amount_yen} yen from {self.worker_reference}"

    @property
    def owed_yen(self) -> int:
        return self.amount_yen - self.recovered_yen


# --- payouts to workers' bank accounts -------------------------------------


class BankAccountType(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")  # 普通
    CHECKING = "checking", _("Checking")  # 当座


class BankAccountReview(models.TextChoices):
    UNVERIFIED = "unverified", _("Not yet verified")
    VERIFIED = "verified", _("Verified")
    FLAGGED = "flagged", _("Flagged")


class BankAccount(models.Model):
    """A worker's Japanese bank account that payouts are sent to.

    The account number and the holder's name (katakana, as the bank knows
    it) are stored only as Fernet tokens (``tsunagu.payments.field_crypto``),
    under a key that lives outside the database; ``account_number_last4`` is
    the one clear hint for display. Rows are written only through
    ``tsunagu.payments.bank_accounts`` and never change their details: a
    worker with a new account registers another one, so a payout always
    points at the details it was sent to. ``review_state`` is an operator's
    judgement; a ``flagged`` account's payouts wait for review.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bank_accounts"
    )
    bank_code = models.CharField(_("bank code"), max_length=4)
    branch_code = models.CharField(_("branch code"), max_length=3)
    account_type = models.CharField(
        _("account type"), max_length=10, choices=BankAccountType.choices
    )
    account_number_encrypted = models.TextField(editable=False)
    holder_name_encrypted = models.TextField(editable=False)
    account_number_last4 = models.CharField(_("account number (last 4 digits)"), max_length=4)
    review_state = models.CharField(
        _("review"),
        max_length=10,
        choices=BankAccountReview.choices,
        default=BankAccountReview.UNVERIFIED,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bank_code__regex=r"^[0-9]{4}$"), name="bank_account_bank_code_digits"
            ),
            models.CheckConstraint(
                condition=Q(branch_code__regex=r"^[0-9]{3}$"),
                name="bank_account_branch_code_digits",
            ),
            models.CheckConstraint(
                condition=Q(account_number_last4__regex=r"^[0-9]{4}$"),
                name="bank_account_last4_digits",
            ),
            models.CheckConstraint(
                condition=Q(account_type__in=BankAccountType.values),
                name="bank_account_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(review_state__in=BankAccountReview.values),
                name="bank_account_review_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}-{self.branch_code} {self.number_masked}"

    @property
    def number_masked(self) -> str:
        """The account number as pages and the API show it: ``***4567``."""
        return f"***{self.account_number_last4}"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    HELD_FOR_REVIEW = "held_for_review", _("Held for review")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")


# A payout in one of these states has its settling entry: paid, or returned.
PAYOUT_FINAL_STATES = (PayoutStatus.PAID, PayoutStatus.FAILED, PayoutStatus.REJECTED)


class Payout(models.Model):
    """A worker's withdrawal of ``amount_yen`` from their balance to a bank account.

    ``withdraw_entry`` claimed the money (balance -> payout in flight) in the
    transaction that created this row. ``settle_entry`` ends it: the money
    leaves to the bank (``payout_paid``; ``fee_yen`` of it is the platform's
    transfer fee, ``net_yen`` reaches the worker) or comes back to the balance
    (``payout_failed``, for a failed or rejected payout). Status changes only
    through ``tsunagu.payments.payouts``, under this row's lock, recorded in
    the audit trail (machine ``payout``).
    """

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="payouts")
    amount_yen = models.BigIntegerField(_("amount (yen)"))
    fee_yen = models.BigIntegerField(_("transfer fee (yen)"))
    net_yen = models.BigIntegerField(_("transferred (yen)"))
    status = models.CharField(
        _("status"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    hold_reasons = models.CharField(_("held because"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    withdraw_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="payout"
    )
    settle_entry = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_payout",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="payout_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(net_yen__gt=0, fee_yen__gte=0)
                & Q(amount_yen=models.F("net_yen") + models.F("fee_yen")),
                name="payout_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PayoutStatus.values), name="payout_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=PAYOUT_FINAL_STATES)
                | Q(settle_entry__isnull=False, settled_at__isnull=False),
                name="payout_final_is_settled",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[PayoutStatus.SENT, PayoutStatus.PAID])
                | Q(sent_at__isnull=False),
                name="payout_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} of {self.amount_yen} yen ({self.status})"
