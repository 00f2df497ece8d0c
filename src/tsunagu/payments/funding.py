"""Clients paying for items before work starts (仮払い), and money going back.

There is no standing client wallet: each payable item (a milestone, a task
batch, a competition's prize) is paid for on its own, and the money lands in
that item's hold. ``payment_start`` takes the payment by the chosen method;
a card or a monthly invoice funds the hold at once, a bank transfer waits
until an operator confirms the deposit (``payment_deposit_confirm``).

The ledger knows nothing of jobs, so the app that owns an item registers a
handler for its reference prefix (``funded_handler_register("milestone",
...)`` in ``tsunagu.work.apps``); the handler runs in the funding
transaction, so an item is marked funded exactly when its hold is.

Locks: the ``Payment`` row first, then the hold and the accounts (the order
of ``tsunagu.payments.ledger``).
"""

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments import recoveries, services
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.payments.models import (
    LIVE_PAYMENT_STATES,
    AccountKind,
    EntryKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tsunagu.payments.providers import (
    ChargeOutcome,
    bank_transfer_outcome,
    card_gateway,
    invoice_outcome,
    source_of,
)

logger = logging.getLogger(__name__)

FundedHandler = Callable[[str], None]
_funded_handlers: dict[str, FundedHandler] = {}


class PaymentDeclined(DomainError):
    status = 402
    code = "card_declined"


def funded_handler_register(prefix: str, handler: FundedHandler) -> None:
    """Call ``handler(reference)`` whenever a hold ``<prefix>:...`` is funded.

    Registered once at start-up by the app that owns the items; the handler
    runs inside the funding transaction and may raise a ``DomainError`` to
    refuse it.
    """
    _funded_handlers[prefix] = handler


@ledger_transaction
def payment_start(
    *,
    payer: User,
    reference: str,
    amount_yen: int,
    method: str,
    may_use_invoice: bool = False,
    card_token: str | None = None,
) -> Payment:
    """Pay ``amount_yen`` (tax included) for the item ``reference``.

    A card is charged through the configured gateway and a monthly invoice
    is booked; both fund the hold in this transaction. A bank transfer
    returns a pending payment with the code and deadline for the transfer.
    ``may_use_invoice`` is the caller's word that the payer is an
    organization with invoice terms. Raises 400 ``invalid_method``, 422
    ``invoice_not_available``, 400 ``card_token_required``, 402
    ``card_declined`` (nothing is written), 409 ``payment_exists`` when the
    item already has a pending or completed payment.
    """
    _check_method(method, may_use_invoice=may_use_invoice, card_token=card_token)
    if Payment.objects.filter(reference=reference, status__in=LIVE_PAYMENT_STATES).exists():
        raise _payment_exists()

    payment = _payment_create(
        payer=payer, reference=reference, amount_yen=amount_yen, method=method
    )
    outcome = _charge(payment, card_token=card_token)
    if outcome.declined:
        raise PaymentDeclined(_("The card was declined."), code=outcome.declined)

    payment.provider_reference = outcome.provider_reference
    payment.due_on = outcome.due_on
    payment.save(update_fields=["provider_reference", "due_on", "updated_at"])
    if outcome.settled:
        _fund(payment)

    logger.info("payments: payment %s started by %s (%s)", payment.pk, method, payment.status)
    return payment


@ledger_transaction
def payment_deposit_confirm(*, payment: Payment, by: User) -> Payment:
    """An operator confirms that a bank transfer arrived; the hold is funded.

    Locks the payment row. Raises 403 for anyone but staff, 409
    ``payment_not_pending`` for a payment that is not a pending transfer.
    """
    if not by.is_staff:
        raise PermissionDenied(_("Only operators confirm deposits."))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.method != PaymentMethod.BANK_TRANSFER or payment.status != PaymentStatus.PENDING:
        raise Conflict(_("This payment is not awaiting a deposit."), code="payment_not_pending")

    payment.confirmed_by = by
    payment.save(update_fields=["confirmed_by", "updated_at"])
    _fund(payment)
    logger.info("payments: deposit for payment %s confirmed", payment.pk)
    return payment


@transaction.atomic
def payment_cancel(*, payment: Payment, by: User) -> Payment:
    """The payer (or an operator) withdraws a bank transfer not yet received.

    Raises 404 to anyone else, 409 ``payment_not_pending`` once it is paid.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.payer_id != by.pk and not by.is_staff:
        raise NotFound(_("No such payment."))
    if payment.status != PaymentStatus.PENDING:
        raise Conflict(_("This payment is not awaiting a deposit."), code="payment_not_pending")

    payment.status = PaymentStatus.CANCELLED
    payment.save(update_fields=["status", "updated_at"])
    return payment


@ledger_transaction
def payment_refund(*, reference: str) -> Payment:
    """Return an item's whole hold to the client, the way the money came.

    The caller has decided that the item is cancelled (an agreed
    cancellation, a dispute's outcome). Locks the payment, then the hold.
    The card network is told after the commit. Raises 404 ``payment_not_found``
    when the item has no completed payment, and the hold's own refusals
    (``hold_settled``, ``hold_charged_back``).
    """
    payment = (
        Payment.objects.select_for_update()
        .filter(reference=reference, status=PaymentStatus.SUCCEEDED)
        .first()
    )
    if payment is None:
        raise NotFound(_("This item has no completed payment."), code="payment_not_found")

    services.hold_refund(reference=reference, dedupe_key=f"refund:payment:{payment.pk}")
    payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    if payment.method == PaymentMethod.CARD:
        transaction.on_commit(
            lambda: card_gateway().refund(
                provider_reference=payment.provider_reference, amount_yen=payment.amount_yen
            )
        )
    logger.info("payments: payment %s refunded", payment.pk)
    return payment


@ledger_transaction
def payment_split(
    *,
    reference: str,
    worker_reference: str,
    worker_share_yen: int,
    dedupe_key: str,
    cumulative_before_yen: int = 0,
    withholding: bool = False,
) -> Payment:
    """Settle an item's hold partly to the worker, the rest back to the client.

    The caller has decided the split (an agreed cancellation, a dispute's
    outcome); ``services.hold_split`` books it with the fee rules. The
    payment stays ``succeeded`` (it was partly refunded); for a card the
    network is told of the refunded part after the commit. Locks the
    payment, then the hold. Raises 404 ``payment_not_found`` and the split's
    refusals (``invalid_split``, ``hold_settled``, ``hold_charged_back``).
    """
    payment = (
        Payment.objects.select_for_update()
        .filter(reference=reference, status=PaymentStatus.SUCCEEDED)
        .first()
    )
    if payment is None:
        raise NotFound(_("This item has no completed payment."), code="payment_not_found")

    entry = services.hold_split(
        reference=reference,
        worker_reference=worker_reference,
        worker_share_yen=worker_share_yen,
        dedupe_key=dedupe_key,
        cumulative_before_yen=cumulative_before_yen,
        withholding=withholding,
    )
    refunded = sum(
        posting.amount
        for posting in entry.postings.select_related("account")
        if posting.account.kind == AccountKind.EXTERNAL
    )
    if payment.method == PaymentMethod.CARD and refunded > 0:
        transaction.on_commit(
            lambda: card_gateway().refund(
                provider_reference=payment.provider_reference, amount_yen=refunded
            )
        )
    logger.info("payments: payment %s split, %d yen refunded", payment.pk, refunded)
    return payment


@ledger_transaction
def payment_close(*, reference: str) -> Payment:
    """Close an item paid out in parts: what its hold has left goes back to the client.

    ``services.hold_close`` books it: a refund when nothing was paid out
    (the payment becomes ``refunded``), else a close of the rest (the
    payment stays ``succeeded``, partly refunded). For a card the network is
    told of the refunded amount after the commit. Locks the payment, then
    the hold. Raises 404 ``payment_not_found`` and the close's refusals
    (``hold_settled``, ``hold_charged_back``).
    """
    payment = (
        Payment.objects.select_for_update()
        .filter(reference=reference, status=PaymentStatus.SUCCEEDED)
        .first()
    )
    if payment is None:
        raise NotFound(_("This item has no completed payment."), code="payment_not_found")

    entry = services.hold_close(reference=reference, dedupe_key=f"close:payment:{payment.pk}")
    refunded = sum(
        posting.amount
        for posting in entry.postings.select_related("account")
        if posting.account.kind == AccountKind.EXTERNAL
    )
    if entry.kind == EntryKind.REFUND:
        payment.status = PaymentStatus.REFUNDED
        payment.save(update_fields=["status", "updated_at"])
    if payment.method == PaymentMethod.CARD:
        transaction.on_commit(
            lambda: card_gateway().refund(
                provider_reference=payment.provider_reference, amount_yen=refunded
            )
        )
    logger.info("payments: payment %s closed, %d yen refunded", payment.pk, refunded)
    return payment


@ledger_transaction
def payment_chargeback(*, provider_reference: str, dispute_id: str, amount_yen: int) -> Payment:
    """The card network took ``amount_yen`` of a card payment back.

    Booked by ``services.chargeback_record`` (the platform's loss; nothing is
    deleted). When the hold was already released, the same transaction
    claims the loss back from the worker it paid
    (``recoveries.chargeback_recover_released``: from the balance at once,
    the rest held on it until repaid). ``dispute_id`` is the network's id of
    the dispute, so that a repeated report is booked once. Raises 404
    ``payment_not_found``.
    """
    payment = Payment.objects.filter(
        method=PaymentMethod.CARD, provider_reference=provider_reference
    ).first()
    if payment is None or not provider_reference:
        raise NotFound(_("No card payment has this reference."), code="payment_not_found")

    services.chargeback_record(
        reference=payment.reference,
        amount_yen=amount_yen,
        dedupe_key=f"chargeback:{payment.pk}:{dispute_id}",
    )
    recoveries.chargeback_recover_released(
        reference=payment.reference,
        amount_yen=amount_yen,
        dedupe_key=f"chargeback-recovery:{payment.pk}:{dispute_id}",
    )
    return payment


# --- steps -------------------------------------------------------------------


def _check_method(method: str, *, may_use_invoice: bool, card_token: str | None) -> None:
    if method not in PaymentMethod.values:
        raise DomainError(_("Choose a payment method."), code="invalid_method", field="method")
    if method == PaymentMethod.INVOICE and not may_use_invoice:
        raise RuleViolation(
            _("Monthly invoices are available to organizations only."),
            code="invoice_not_available",
            field="method",
        )
    if method == PaymentMethod.CARD and not card_token:
        raise DomainError(
            _("Enter the card to pay with."), code="card_token_required", field="card_token"
        )


def _payment_create(*, payer: User, reference: str, amount_yen: int, method: str) -> Payment:
    if isinstance(amount_yen, bool) or not isinstance(amount_yen, int) or amount_yen <= 0:
        raise DomainError(_("The amount must be a positive number of yen."), code="invalid_amount")
    try:
        with transaction.atomic():
            return Payment.objects.create(
                payer=payer, reference=reference, amount_yen=amount_yen, method=method
            )
    except IntegrityError:  # a concurrent payment for the same item won the race
        raise _payment_exists() from None


def _charge(payment: Payment, *, card_token: str | None) -> ChargeOutcome:
    today = timezone.localdate()
    if payment.method == PaymentMethod.CARD:
        assert card_token is not None  # checked by _check_method
        return card_gateway().charge(amount_yen=payment.amount_yen, card_token=card_token)
    if payment.method == PaymentMethod.INVOICE:
        return invoice_outcome(payment_id=payment.pk, today=today)
    return bank_transfer_outcome(payment_id=payment.pk, today=today)


def _fund(payment: Payment) -> None:
    """Fund the item's hold from the provider and tell the item's owner."""
    entry = services.hold_fund(
        reference=payment.reference,
        amount_yen=payment.amount_yen,
        source=source_of(payment.method),
        dedupe_key=f"fund:payment:{payment.pk}",
    )
    payment.status = PaymentStatus.SUCCEEDED
    payment.fund_entry = entry
    payment.succeeded_at = timezone.now()
    payment.save(update_fields=["status", "fund_entry", "succeeded_at", "updated_at"])

    handler = _funded_handlers.get(payment.reference.split(":", 1)[0])
    if handler is not None:
        handler(payment.reference)


def _payment_exists() -> Conflict:
    return Conflict(_("This item is already paid for or awaiting payment."), code="payment_exists")
