"""Payouts: a worker's balance to their bank account, and the operators' steps.

The steps of one payout (machine ``payout`` in ``tsunagu.audit.machines``)::

    requested -> approved ---------> sent -> paid
             \\-> held_for_review -/      \\-> failed
                               \\-> rejected      (approved -> failed too)

``payout_request`` claims the money and creates the ``Payout`` in one
transaction: ``balance_withdraw`` moves ``amount_yen`` from
``worker_balance:<worker>`` to ``payout_in_flight:<worker>``, so two requests
cannot spend one balance. The payout is then approved at once, or held for
an operator's review when the bank account is newer than
``TSUNAGU_PAYOUT_REVIEW_DAYS`` (and not verified), the account is flagged,
or the worker's identity is not verified. Operators send approved payouts
(the transfer file of ``payouts_transfer_csv``, then ``payout_mark_sent``)
and record the bank's answer: ``payout_mark_paid`` moves the money out to
``external:payout:bank_transfer``, less the transfer fee
(``TSUNAGU_PAYOUT_TRANSFER_FEE_YEN``, fixed at request time), which goes to
``fee_revenue:platform`` and its consumption tax to ``fee_tax:platform``;
``payout_mark_failed`` and a rejecting ``payout_review`` return the whole
amount to the balance (``payout_fail``).

Locks, in the ledger's order: the ``BankAccount`` row (on request), the
``Payout`` row (every later step: a payout takes each step once, and a
concurrent second attempt waits, then gets 409), then the ledger accounts.
Every status change is recorded in the audit trail with its actor (None
when the platform approves a request by itself).
"""

import csv
import io
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import check_transition, transition
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments.bank_accounts import bank_account_details
from tsunagu.payments.fees import schedule_on
from tsunagu.payments.ledger import AccountKey, ledger_post, ledger_transaction
from tsunagu.payments.models import (
    PAYOUT_FINAL_STATES,
    PLATFORM,
    Account,
    AccountKind,
    BankAccount,
    BankAccountReview,
    BankAccountType,
    EntryKind,
    JournalEntry,
    Payout,
    PayoutStatus,
)
from tsunagu.payments.selectors import clawbacks_owed_yen, worker_balance
from tsunagu.payments.services import MAX_DEDUPE_KEY_LENGTH, balance_withdraw, payout_fail

logger = logging.getLogger(__name__)

MACHINE = "payout"
# The external account that paid-out money leaves to: the platform's bank.
PAYOUT_DESTINATION = "payout:bank_transfer"
MAX_REASON_LENGTH = 200

# Why a payout waits for an operator (``Payout.hold_reasons``, comma-separated).
HOLD_NEW_ACCOUNT = "new_account"
HOLD_ACCOUNT_FLAGGED = "account_flagged"
HOLD_IDENTITY_UNVERIFIED = "identity_unverified"

# Account type codes of a Japanese bank transfer (1 普通, 2 当座).
TRANSFER_TYPE_CODES = {BankAccountType.ORDINARY: "1", BankAccountType.CHECKING: "2"}


def worker_reference(worker: User) -> str:
    """The ledger's name for a worker (as releases and the payments API use it)."""
    return f"user:{worker.pk}"


# --- the worker's request ----------------------------------------------------


@dataclass(frozen=True)
class PayoutTerms:
    """What a worker is told before asking for a payout.

    The smallest payout, the transfer fee taken off each, and for how many
    days payouts to a new, unverified bank account wait for review.
    """

    minimum_yen: int
    fee_yen: int
    review_days: int


def payout_terms() -> PayoutTerms:
    """Today's terms, from the ``TSUNAGU_PAYOUT_*`` settings.

    A payout must leave at least one yen after the fee, so the minimum is
    never below the fee plus one.
    """
    fee = settings.TSUNAGU_PAYOUT_TRANSFER_FEE_YEN
    return PayoutTerms(
        minimum_yen=max(settings.TSUNAGU_PAYOUT_MINIMUM_YEN, fee + 1),
        fee_yen=fee,
        review_days=settings.TSUNAGU_PAYOUT_REVIEW_DAYS,
    )


def payouts_of(worker: User) -> QuerySet[Payout]:
    """``worker``'s payouts, newest first, each with its bank account."""
    return Payout.objects.filter(worker=worker).select_related("bank_account")


@ledger_transaction
def payout_request(
    *, worker: User, bank_account: BankAccount, amount_yen: int, dedupe_key: str
) -> Payout:
    """Withdraw ``amount_yen`` from ``worker``'s balance to ``bank_account``.

    One transaction: locks the bank account's row, claims the money
    (``balance_withdraw``: balance -> in flight, under the accounts' locks),
    creates the payout and approves it or holds it for review (recorded in
    the audit trail, actor None). ``amount_yen`` leaves the balance; the
    bank receives it less the transfer fee. A second call with the same
    ``dedupe_key`` returns the first call's payout and changes nothing (409
    ``dedupe_key_reused`` if it was for another worker, account or amount).

    Raises 422 ``invalid_amount``, 404 ``bank_account_not_found`` (not the
    worker's, or no longer in use), 422 ``payout_below_minimum`` (below
    ``TSUNAGU_PAYOUT_MINIMUM_YEN`` or not more than the fee), 422
    ``balance_held`` beyond the balance less what the worker owes on open
    clawbacks (``recoveries``), 422 ``insufficient_funds`` beyond the balance.
    """
    if isinstance(amount_yen, bool) or not isinstance(amount_yen, int) or amount_yen <= 0:
        raise RuleViolation(
            _("The amount must be a positive whole number of yen."),
            code="invalid_amount",
            field="amount_yen",
        )

    if not isinstance(dedupe_key, str) or not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY_LENGTH:
        raise DomainError(
            _("The idempotency key is missing or too long."),
            code="invalid_dedupe_key",
            field="dedupe_key",
        )

    replayed = Payout.objects.filter(withdraw_entry__dedupe_key=dedupe_key).first()
    if replayed is not None:
        return _replay(replayed, worker=worker, bank_account=bank_account, amount_yen=amount_yen)

    account = BankAccount.objects.select_for_update().filter(pk=bank_account.pk).first()
    if account is None or account.owner_id != worker.pk or not account.is_active:
        raise NotFound(_("There is no such bank account."), code="bank_account_not_found")
    terms = payout_terms()
    fee, minimum = terms.fee_yen, terms.minimum_yen
    if amount_yen < minimum:
        raise RuleViolation(
            _("The smallest payout is %(minimum)s yen.") % {"minimum": f"{minimum:,}"},
            code="payout_below_minimum",
            field="amount_yen",
            extra={"minimum_yen": minimum, "fee_yen": fee},
        )

    _check_not_held(worker, amount_yen=amount_yen)

    entry = balance_withdraw(
        worker_reference=worker_reference(worker), amount_yen=amount_yen, dedupe_key=dedupe_key
    )
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                worker=worker,
                bank_account=account,
                amount_yen=amount_yen,
                fee_yen=fee,
                net_yen=amount_yen - fee,
                withdraw_entry=entry,
            )
    except IntegrityError:
        # A concurrent retry with the same key claimed the money and made
        # the payout first; balance_withdraw returned its entry.
        existing = Payout.objects.filter(withdraw_entry=entry).first()
        if existing is None:
            raise
        return _replay(existing, worker=worker, bank_account=account, amount_yen=amount_yen)

    reasons = _hold_reasons(worker=worker, bank_account=account)
    payout.hold_reasons = ",".join(reasons)
    transition(
        machine=MACHINE,
        obj=payout,
        to=PayoutStatus.HELD_FOR_REVIEW if reasons else PayoutStatus.APPROVED,
        by=None,
        reason=payout.hold_reasons,
        also_update=("hold_reasons",),
    )

    logger.info(
        "payments: payout %s of %d yen requested (%s)", payout.pk, amount_yen, payout.status
    )
    return payout


def _check_not_held(worker: User, *, amount_yen: int) -> None:
    """Refuse to pay out money that a chargeback's clawback holds on the balance.

    Read without a lock: a clawback made meanwhile took what the balance had
    first, so the withdrawal then meets ``insufficient_funds`` instead.
    """
    reference = worker_reference(worker)
    owed = clawbacks_owed_yen(worker_reference=reference)
    if not owed:
        return
    free = max(0, worker_balance(worker_reference=reference).available_yen - owed)
    if amount_yen > free:
        raise RuleViolation(
            _(
                "%(held)s yen of your balance is held to repay a chargeback; "
                "you can withdraw up to %(free)s yen."
            )
            % {"held": f"{owed:,}", "free": f"{free:,}"},
            code="balance_held",
            field="amount_yen",
            extra={"held_yen": owed, "free_yen": free},
        )


def _replay(payout: Payout, *, worker: User, bank_account: BankAccount, amount_yen: int) -> Payout:
    if (
        payout.worker_id != worker.pk
        or payout.bank_account_id != bank_account.pk
        or payout.amount_yen != amount_yen
    ):
        raise Conflict(
            _("This idempotency key was already used for another payment operation."),
            code="dedupe_key_reused",
        )
    return payout


def _hold_reasons(*, worker: User, bank_account: BankAccount) -> list[str]:
    reasons = []
    review_days = timedelta(days=settings.TSUNAGU_PAYOUT_REVIEW_DAYS)
    if (
        bank_account.review_state == BankAccountReview.UNVERIFIED
        and bank_account.created_at > timezone.now() - review_days
    ):
        reasons.append(HOLD_NEW_ACCOUNT)
    if bank_account.review_state == BankAccountReview.FLAGGED:
        reasons.append(HOLD_ACCOUNT_FLAGGED)
    # TODO(#3): a worker flagged by trust and safety (reports, disputes) should
    # be held too; until that app exists, an unverified identity stands in.
    if not worker.is_identity_verified:
        reasons.append(HOLD_IDENTITY_UNVERIFIED)
    return reasons


# --- the operators' steps ----------------------------------------------------


@ledger_transaction
def payout_review(*, payout: Payout, by: User, approve: bool, reason: str = "") -> Payout:
    """An operator decides on a payout held for review.

    Approving lets it be sent. Rejecting returns the whole amount to the
    worker's balance (``payout_fail``) and records ``reason``. Locks the
    payout's row, then the accounts. Raises 403 for anyone but staff, 409
    ``illegal_transition`` unless the payout is held for review.
    """
    _check_operator(by)
    locked = _payout_locked(payout)
    target = PayoutStatus.APPROVED if approve else PayoutStatus.REJECTED
    check_transition(machine=MACHINE, current=locked.status, to=target)

    if approve:
        transition(machine=MACHINE, obj=locked, to=target, by=by, reason=reason)
    else:
        _return_to_balance(locked, to=target, by=by, reason=reason)
    logger.info("payments: payout %s %s by operator %s", locked.pk, locked.status, by.pk)
    return locked


@transaction.atomic
def payout_mark_sent(*, payout: Payout, by: User) -> Payout:
    """An operator records that the transfer went to the bank; it can then be paid or fail.

    The money stays in flight until the bank confirms. Locks the payout's
    row: of two concurrent attempts, the second waits and is refused. Raises
    403 for anyone but staff, 409 ``payout_already_sent`` for a payout sent
    before, 409 ``illegal_transition`` for one not approved.
    """
    _check_operator(by)
    locked = _payout_locked(payout)
    if locked.sent_at is not None:
        raise Conflict(
            _("This payout has already been sent."),
            code="payout_already_sent",
            extra={"state": locked.status},
        )

    locked.sent_at = timezone.now()
    transition(machine=MACHINE, obj=locked, to=PayoutStatus.SENT, by=by, also_update=("sent_at",))
    logger.info("payments: payout %s sent by operator %s", locked.pk, by.pk)
    return locked


@ledger_transaction
def payout_mark_paid(*, payout: Payout, by: User) -> Payout:
    """An operator records that the bank paid the transfer: the money leaves the ledger.

    Posts one ``payout_paid`` entry: in flight -``amount_yen``; the
    platform's bank (``external:payout:bank_transfer``) +``net_yen``; the fee
    split into ``fee_revenue:platform`` and ``fee_tax:platform`` (the fee
    includes consumption tax at today's rate). Locks the payout's row, then
    the accounts. Raises 403 for anyone but staff, 409 ``illegal_transition``
    unless the payout was sent.
    """
    _check_operator(by)
    locked = _payout_locked(payout)
    check_transition(machine=MACHINE, current=locked.status, to=PayoutStatus.PAID)

    reference = worker_reference(locked.worker)
    fee_tax = _tax_included_in(locked.fee_yen)
    parts: list[tuple[AccountKey, int]] = [
        ((AccountKind.EXTERNAL, PAYOUT_DESTINATION), locked.net_yen),
        ((AccountKind.FEE_REVENUE, PLATFORM), locked.fee_yen - fee_tax),
        ((AccountKind.FEE_TAX, PLATFORM), fee_tax),
    ]
    lines: list[tuple[Account | AccountKey, int]] = [
        ((AccountKind.PAYOUT_IN_FLIGHT, reference), -locked.amount_yen),
        *((pair, amount) for pair, amount in parts if amount != 0),
    ]
    entry = ledger_post(
        kind=EntryKind.PAYOUT_PAID,
        reference=reference,
        lines=lines,
        dedupe_key=f"payout:{locked.pk}:paid",
        memo=f"payout:{locked.pk}",
    )
    _settle(locked, to=PayoutStatus.PAID, entry=entry, by=by)
    logger.info("payments: payout %s paid (entry %s)", locked.pk, entry.pk)
    return locked


@ledger_transaction
def payout_mark_failed(*, payout: Payout, by: User, reason: str) -> Payout:
    """An operator records that an approved or sent payout failed; the money returns.

    The whole amount goes back to the worker's balance (``payout_fail``
    reverses the withdrawal; no fee is charged). Locks the payout's row,
    then the accounts. Raises 403 for anyone but staff, 422
    ``reason_required`` without a reason, 409 ``illegal_transition`` for a
    payout that is not approved or sent.
    """
    _check_operator(by)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Say why the payout failed."), code="reason_required", field="reason")
    locked = _payout_locked(payout)
    check_transition(machine=MACHINE, current=locked.status, to=PayoutStatus.FAILED)

    _return_to_balance(locked, to=PayoutStatus.FAILED, by=by, reason=reason)
    logger.info("payments: payout %s failed", locked.pk)
    return locked


def _return_to_balance(payout: Payout, *, to: str, by: User, reason: str) -> None:
    entry = payout_fail(
        payout_entry=payout.withdraw_entry, dedupe_key=f"payout:{payout.pk}:returned"
    )
    payout.failure_reason = reason[:MAX_REASON_LENGTH]
    _settle(payout, to=to, entry=entry, by=by, also_update=("failure_reason",))


def _settle(
    payout: Payout,
    *,
    to: str,
    entry: JournalEntry,
    by: User,
    also_update: tuple[str, ...] = (),
) -> None:
    payout.settle_entry = entry
    payout.settled_at = timezone.now()
    transition(
        machine=MACHINE,
        obj=payout,
        to=to,
        by=by,
        reason=payout.failure_reason,
        also_update=("settle_entry", "settled_at", *also_update),
    )


def _tax_included_in(amount_yen: int) -> int:
    """The consumption tax inside a tax-included amount, floored to the yen."""
    rate = schedule_on(timezone.localdate()).consumption_tax_rate
    return math.floor(Fraction(amount_yen) * rate / (1 + rate))


def _payout_locked(payout: Payout) -> Payout:
    locked = (
        Payout.objects.select_for_update(of=("self",))
        .select_related("withdraw_entry", "worker")
        .filter(pk=payout.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("There is no such payout."), code="payout_not_found")
    return locked


def _check_operator(by: User) -> None:
    if not by.is_staff:
        raise PermissionDenied(_("Only operators handle payouts."))


# --- the back office's reads -------------------------------------------------

TRANSFER_CSV_HEADER = [
    "payout_id",
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "holder_name",
    "amount_yen",
]


def payouts_transfer_csv(*, payouts: Iterable[Payout], by: User) -> str:
    """A CSV of the approved ``payouts`` to send, bank details in clear: back office only.

    One row per approved payout (others are left out), with the net amount
    the bank transfers and the account type as the transfer code (1 普通, 2
    当座). Reads only; sending them is ``payout_mark_sent``. Raises 403 for
    anyone but staff; ``FieldDecryptError`` if a detail no key opens.
    """
    _check_operator(by)
    chosen = [payout.pk for payout in payouts]
    rows = (
        Payout.objects.filter(pk__in=chosen, status=PayoutStatus.APPROVED)
        .select_related("bank_account")
        .order_by("pk")
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TRANSFER_CSV_HEADER)
    count = 0
    for payout in rows:
        details = bank_account_details(bank_account=payout.bank_account)
        writer.writerow(
            [
                payout.pk,
                details.bank_code,
                details.branch_code,
                TRANSFER_TYPE_CODES[BankAccountType(details.account_type)],
                details.account_number,
                details.holder_name,
                payout.net_yen,
            ]
        )
        count += 1
    # TODO(#3): a 全銀 (Zengin) fixed-width transfer file, half-width kana in
    # Shift_JIS with the platform's own account as the requester; banks take
    # it directly, where this CSV needs the bank's import template.
    logger.info("payments: transfer file of %d payouts exported by operator %s", count, by.pk)
    return out.getvalue()


# TODO(#3): ``tsunagu check-ledger`` does not run ``payout_problems`` yet. The
# app, the API and the demo now put money in flight only through
# ``payout_request``, but the ledger's own tests (tests/payments: services,
# concurrency, the state machine, check-ledger's command) call
# ``balance_withdraw`` directly and expect a clean check. Once
# ``balance_withdraw`` is private to this module and those tests withdraw
# through payouts, add it to ``ledger_check``.
def payout_problems() -> list[str]:
    """Workers whose money in flight differs from their open payouts; [] when consistent.

    Read-only. Money withdrawn without a ``Payout`` (``balance_withdraw``
    called directly) shows up here as in flight with no payout.
    """
    open_totals = (
        Payout.objects.exclude(status__in=PAYOUT_FINAL_STATES)
        .values("worker_id")
        .annotate(total=Sum("amount_yen"))
        .values_list("worker_id", "total")
    )
    expected = {f"user:{worker_id}": int(total) for worker_id, total in open_totals}
    in_flight = dict(
        Account.objects.filter(kind=AccountKind.PAYOUT_IN_FLIGHT).values_list(
            "reference", "balance"
        )
    )
    problems = []
    for reference in sorted(set(expected) | set(in_flight)):
        held, owed = in_flight.get(reference, 0), expected.get(reference, 0)
        if held != owed:
            problems.append(
                f"payout_in_flight:{reference} holds {held} yen, open payouts add up to {owed}"
            )
    return problems
