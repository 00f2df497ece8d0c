"""Money going back after a release: withholding to the client, chargebacks from workers.

Withholding (源泉徴収) is the client's duty. A release on which tax was
withheld credits ``withholding_payable:<reference>``; ``withholding_return``
sends that balance back to the client's payment source
(``external:<hold.source>``), who remits it to the tax office. The release
entry keeps its ``withholding_payable`` posting, so the yearly payment
report (支払調書), which reads release entries, still shows what was
withheld.

A chargeback on an item already released is first the platform's loss
(``services.chargeback_record``: ``losses:<reference>``). ``chargeback_recover``
claims it back from the worker: it moves what the worker's balance has, up
to the claim, from ``worker_balance:<worker>`` to ``losses:<reference>``
(the platform's loss shrinks) and records the claim as a ``Clawback``; the
part the balance did not cover stays owed. While a worker owes something,
a payout may take only the balance less what is owed
(``payouts.payout_request``, 422 ``balance_held``). ``clawback_repay``
takes what is owed from the balance once it has money again; operators
run it from the back office (``Clawback``'s admin action).

Invariants (``selectors.ledger_check``): the clawbacks of a reference claim
no more than was charged back on it, and its losses account is minus what
was charged back plus what was recovered.

Locks, in the ledger's order: the ``Hold`` row (or, for ``clawback_repay``,
the worker's open ``Clawback`` rows), then the accounts. Each service is one
transaction (``ledger_transaction``) and takes a ``dedupe_key``: a second
call with it returns the first call's result and changes nothing.
"""

import logging

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.errors import Conflict, DomainError, NotFound, RuleViolation
from tsunagu.payments.ledger import (
    AccountKey,
    accounts_locked,
    entry_replayed,
    ledger_post,
    ledger_transaction,
)
from tsunagu.payments.models import (
    Account,
    AccountKind,
    Clawback,
    EntryKind,
    Hold,
    HoldState,
    JournalEntry,
)

logger = logging.getLogger(__name__)

MAX_REFERENCE_LENGTH = 120
MAX_DEDUPE_KEY_LENGTH = 200
CHARGEBACK_REASON = "chargeback"


# --- withholding --------------------------------------------------------------


@ledger_transaction
def withholding_return(*, reference: str, dedupe_key: str) -> JournalEntry | None:
    """Move the whole ``withholding_payable:<reference>`` balance to the client.

    One ``withholding_return`` entry: the payable account to zero, the same
    amount to ``external:<source>`` of the reference's hold (the way the
    client paid). Locks the hold row, then the two accounts; the payable
    account changes only under the hold's lock, so the balance read is
    current. Returns the entry (the first call's on a replay), or ``None``
    when nothing is owed back (nothing withheld, or already returned under
    another key). Raises 404 ``hold_not_found``.
    """
    _check_dedupe_key(dedupe_key)
    hold = _hold_locked(reference)

    replayed = entry_replayed(
        dedupe_key=dedupe_key, kind=EntryKind.WITHHOLDING_RETURN, reference=reference
    )
    if replayed is not None:
        return replayed
    payable = Account.objects.filter(
        kind=AccountKind.WITHHOLDING_PAYABLE, reference=reference, balance__gt=0
    ).first()
    if payable is None:
        return None

    entry = ledger_post(
        kind=EntryKind.WITHHOLDING_RETURN,
        reference=reference,
        lines=[
            (payable, -payable.balance),
            ((AccountKind.EXTERNAL, hold.source), payable.balance),
        ],
        dedupe_key=dedupe_key,
        replay_checked=True,
    )

    logger.info("payments: withholding on %s returned (entry %s)", reference, entry.pk)
    return entry


# --- chargebacks --------------------------------------------------------------


@ledger_transaction
def chargeback_recover(
    *, reference: str, worker_reference: str, amount_yen: int, dedupe_key: str
) -> Clawback:
    """Claim ``amount_yen`` of a chargeback on ``reference`` from the worker's balance.

    Takes ``min(amount_yen, balance)`` at once (a ``chargeback_recovery``
    entry: ``worker_balance:<worker>`` to ``losses:<reference>``) and records
    the claim as a ``Clawback``; the rest stays owed and held on the balance.
    Locks the hold row, then the two accounts. A second call with
    ``dedupe_key`` returns the first call's clawback (409
    ``dedupe_key_reused`` if it was for another claim). Raises 404
    ``hold_not_found``, 422 ``invalid_amount``, 422
    ``clawback_exceeds_chargeback`` when the reference's claims would exceed
    what was charged back on it.
    """
    _check_reference(worker_reference, field="worker_reference")
    _check_dedupe_key(dedupe_key)
    _check_amount(amount_yen)
    hold = _hold_locked(reference)

    replayed = _clawback_replayed(dedupe_key)
    if replayed is not None:
        if (replayed.reference, replayed.worker_reference, replayed.amount_yen) != (
            reference,
            worker_reference,
            amount_yen,
        ):
            raise _dedupe_key_reused()
        return replayed
    if _claimed_on(reference) + amount_yen > hold.charged_back_yen:
        raise RuleViolation(
            _("A worker cannot be asked to repay more than was charged back."),
            code="clawback_exceeds_chargeback",
            field="amount_yen",
        )

    balance_key: AccountKey = (AccountKind.WORKER_BALANCE, worker_reference)
    locked = accounts_locked([balance_key, (AccountKind.LOSSES, reference)])
    recovered = min(amount_yen, locked[balance_key].balance)
    if recovered > 0:
        ledger_post(
            kind=EntryKind.CHARGEBACK_RECOVERY,
            reference=reference,
            lines=[(balance_key, -recovered), ((AccountKind.LOSSES, reference), recovered)],
            dedupe_key=dedupe_key,
        )
    clawback = Clawback.objects.create(
        worker_reference=worker_reference,
        reference=reference,
        reason=CHARGEBACK_REASON,
        amount_yen=amount_yen,
        recovered_yen=recovered,
        dedupe_key=dedupe_key,
        released_at=timezone.now() if recovered == amount_yen else None,
    )

    logger.warning(
        "payments: chargeback on %s, %d yen claimed from a worker, %d recovered (clawback %s)",
        reference,
        amount_yen,
        recovered,
        clawback.pk,
    )
    return clawback


@ledger_transaction
def chargeback_recover_released(
    *, reference: str, amount_yen: int, dedupe_key: str
) -> Clawback | None:
    """``chargeback_recover`` from the worker a released hold paid, if there is one.

    The worker is the one whose balance the hold's release entry credited;
    the claim is ``amount_yen`` but never more than that credit less what
    was claimed on the reference before: the fee, its tax and the
    withholding were never the worker's, so that part stays the platform's
    loss. Returns ``None`` when the hold was not released (a split or a
    refund is left to the operators) or nothing is left to claim; the first
    call's clawback on a replay. Locks the hold row first.
    """
    _check_dedupe_key(dedupe_key)
    hold = _hold_locked(reference)

    replayed = _clawback_replayed(dedupe_key)
    if replayed is not None:
        return replayed
    if hold.state != HoldState.RELEASED or hold.settled_entry is None:
        # TODO(#3): a chargeback after a split could claim the worker's side
        # of the split; operators decide those by hand for now.
        return None
    credit = (
        hold.settled_entry.postings.select_related("account")
        .filter(account__kind=AccountKind.WORKER_BALANCE)
        .first()
    )
    if credit is None or credit.amount <= 0:
        return None
    claim = min(amount_yen, credit.amount - _claimed_on(reference))
    if claim <= 0:
        return None
    return chargeback_recover(
        reference=reference,
        worker_reference=credit.account.reference,
        amount_yen=claim,
        dedupe_key=dedupe_key,
    )


@ledger_transaction
def clawback_repay(*, worker_reference: str, dedupe_key: str) -> JournalEntry | None:
    """Take what the worker owes on their open clawbacks from their balance, oldest first.

    One ``chargeback_recovery`` entry (reference: the worker): the balance
    down by what it can pay, each claim's losses account up by its part.
    Locks the worker's open clawbacks, then the accounts. Returns the entry
    (the first call's on a replay), or ``None`` when nothing is owed or the
    balance is empty.
    """
    _check_reference(worker_reference, field="worker_reference")
    _check_dedupe_key(dedupe_key)
    owing = list(
        Clawback.objects.select_for_update()
        .filter(worker_reference=worker_reference, released_at__isnull=True)
        .order_by("pk")
    )

    replayed = entry_replayed(
        dedupe_key=dedupe_key, kind=EntryKind.CHARGEBACK_RECOVERY, reference=worker_reference
    )
    if replayed is not None or not owing:
        return replayed
    balance_key: AccountKey = (AccountKind.WORKER_BALANCE, worker_reference)
    loss_keys = [(AccountKind.LOSSES, clawback.reference) for clawback in owing]
    locked = accounts_locked([balance_key, *loss_keys])
    available = locked[balance_key].balance

    repaid: dict[AccountKey, int] = {}
    now = timezone.now()
    for clawback, loss_key in zip(owing, loss_keys, strict=True):
        part = min(clawback.owed_yen, available)
        if part <= 0:
            break
        available -= part
        repaid[loss_key] = repaid.get(loss_key, 0) + part
        clawback.recovered_yen += part
        if clawback.owed_yen == 0:
            clawback.released_at = now
        clawback.save(update_fields=["recovered_yen", "released_at", "updated_at"])
    if not repaid:
        return None

    entry = ledger_post(
        kind=EntryKind.CHARGEBACK_RECOVERY,
        reference=worker_reference,
        lines=[(balance_key, -sum(repaid.values())), *repaid.items()],
        dedupe_key=dedupe_key,
        replay_checked=True,
    )

    logger.info(
        "payments: %d yen of clawbacks repaid from a balance (entry %s)",
        sum(repaid.values()),
        entry.pk,
    )
    return entry


# --- helpers --------------------------------------------------------------------


def _hold_locked(reference: str) -> Hold:
    hold = (
        Hold.objects.select_for_update(of=("self",))
        .select_related("settled_entry")
        .filter(reference=reference)
        .first()
    )
    if hold is None:
        raise NotFound(_("There is no payment held for this item."), code="hold_not_found")
    return hold


def _clawback_replayed(dedupe_key: str) -> Clawback | None:
    return Clawback.objects.filter(dedupe_key=dedupe_key).first()


def _claimed_on(reference: str) -> int:
    total = Clawback.objects.filter(reference=reference).aggregate(total=Sum("amount_yen"))
    return int(total["total"] or 0)


def _dedupe_key_reused() -> Conflict:
    return Conflict(
        _("This idempotency key was already used for another payment operation."),
        code="dedupe_key_reused",
    )


def _check_amount(amount_yen: int) -> None:
    if isinstance(amount_yen, bool) or not isinstance(amount_yen, int) or amount_yen <= 0:
        raise RuleViolation(
            _("The amount must be a positive whole number of yen."),
            code="invalid_amount",
            field="amount_yen",
        )


def _check_reference(value: str, *, field: str = "reference") -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_REFERENCE_LENGTH:
        raise DomainError(
            _("The reference is missing or too long."), code="invalid_reference", field=field
        )


def _check_dedupe_key(dedupe_key: str) -> None:
    if not isinstance(dedupe_key, str) or not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY_LENGTH:
        raise DomainError(
            _("The idempotency key is missing or too long."),
            code="invalid_dedupe_key",
            field="dedupe_key",
        )
