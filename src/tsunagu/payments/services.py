"""Every write to the escrow ledger: fund, settle, withdraw, failed payout, chargeback.

A hold is settled whole (release, refund, split) or paid out in parts
(``hold_release_part``, one per approved task answer) and then closed
(``hold_close``: the rest back to the client).

Each service is one transaction (``ledger_transaction``: on PostgreSQL it is
run again after a deadlock, a bounded number of times) and takes a
caller-supplied ``dedupe_key``. Calling a service again with a key it has
seen returns the entry of the first call and changes nothing, even after the
hold has settled; a key seen for another kind or reference is 409
``dedupe_key_reused``. Keys are unique across the whole ledger, so callers
prefix them (``release:milestone:123:<request id>``).

A service that touches a hold locks the ``Hold`` row first and the accounts
after it (the order in ``tsunagu.payments.ledger``); the replay check runs
under that lock. Every refusal is a ``DomainError`` and rolls the whole
transaction back.

The accounts, by (kind, reference):

- ``external:<source>``: the provider the client paid through; a refund and a
  chargeback go back there.
- ``hold:<reference>``: the escrow of one payable item (``milestone:123``).
- ``worker_balance:<worker>`` and ``payout_in_flight:<worker>``: released money,
  and money on its way to the worker's bank.
- ``fee_revenue:platform:<n>``, ``fee_tax:platform:<n>``: the platform's fee
  and the consumption tax on it, striped over ``ledger.PLATFORM_STRIPES``
  accounts of each kind so that concurrent releases do not queue on one row
  (``selectors.platform_balance`` sums them).
- ``withholding_payable:<reference>``: withheld income tax owed back to the
  client (returned through the provider, with the provider work).
- ``losses:<reference>``: what the platform absorbed for that reference.
"""

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.errors import Conflict, DomainError, NotFound, RuleViolation
from tsunagu.payments.fees import ReleaseBreakdown, release_breakdown
from tsunagu.payments.ledger import (
    AccountKey,
    entry_replayed,
    ledger_fund,
    ledger_post,
    ledger_settle,
    ledger_transaction,
    platform_stripe,
)
from tsunagu.payments.models import (
    AccountKind,
    EntryKind,
    Hold,
    HoldState,
    JournalEntry,
)

logger = logging.getLogger(__name__)

DEFAULT_SOURCE = "provider:bank_transfer"
MAX_REFERENCE_LENGTH = 120
MAX_DEDUPE_KEY_LENGTH = 200


# --- funding and settling a hold ------------------------------------------


def hold_fund(
    *, reference: str, amount_yen: int, source: str = DEFAULT_SOURCE, dedupe_key: str
) -> JournalEntry:
    """Move ``amount_yen`` (tax included) from ``external:<source>`` into a new hold.

    A reference is funded once. On PostgreSQL a new hold is one statement
    (``ledger.ledger_fund``); a replay, a refusal or SQLite takes the locked
    path, which locks the external and hold accounts. Raises 409
    ``hold_exists`` when the reference already has a hold (funded under
    another key), 422 ``invalid_amount`` for a non-positive amount.
    """
    _check_reference(reference)
    _check_reference(source, field="source")
    _check_dedupe_key(dedupe_key)
    _check_amount(amount_yen)

    entry = ledger_fund(
        reference=reference, source=source, amount_yen=amount_yen, dedupe_key=dedupe_key
    )
    if entry is not None:
        logger.info(
            "payments: hold %s funded with %d yen (entry %s)", reference, amount_yen, entry.pk
        )
        return entry
    return _hold_fund_locked(
        reference=reference, amount_yen=amount_yen, source=source, dedupe_key=dedupe_key
    )


@ledger_transaction
def _hold_fund_locked(
    *, reference: str, amount_yen: int, source: str, dedupe_key: str
) -> JournalEntry:
    """``hold_fund`` with the replay and refusal checks, the accounts locked."""
    replayed = entry_replayed(dedupe_key=dedupe_key, kind=EntryKind.FUND, reference=reference)
    if replayed is not None:
        return replayed
    if Hold.objects.filter(reference=reference).exists():
        raise _hold_exists()

    entry = ledger_post(
        kind=EntryKind.FUND,
        reference=reference,
        lines=[
            ((AccountKind.EXTERNAL, source), -amount_yen),
            ((AccountKind.HOLD, reference), amount_yen),
        ],
        dedupe_key=dedupe_key,
    )

    try:
        with transaction.atomic():
            Hold.objects.create(
                reference=reference, source=source, amount_yen=amount_yen, fund_entry=entry
            )
    except IntegrityError:
        if Hold.objects.filter(fund_entry=entry).exists():
            return entry  # a concurrent retry with the same key funded it
        raise _hold_exists() from None

    logger.info("payments: hold %s funded with %d yen (entry %s)", reference, amount_yen, entry.pk)
    return entry


def hold_release(
    *, reference: str, worker_reference: str, breakdown: ReleaseBreakdown, dedupe_key: str
) -> JournalEntry:
    """Release the whole hold: the worker's net, the fee and its tax, the withholding.

    ``breakdown`` comes from ``fees.release_breakdown`` and must cover the
    hold exactly. On PostgreSQL a release of a funded hold is one statement
    (``ledger.ledger_settle``); anything else (a replay, a refusal, a lost
    race, SQLite) takes the locked path: the hold row, then the accounts.
    Raises 404 ``hold_not_found``, 409 ``hold_settled`` when the hold was
    already released, refunded or split, 409 ``hold_partly_released`` when
    parts of it were released (``hold_release_part``; close it instead), 422
    ``breakdown_mismatch``.
    """
    _check_reference(worker_reference, field="worker_reference")
    _check_dedupe_key(dedupe_key)

    if _breakdown_parts_add_up(breakdown):
        entry = ledger_settle(
            reference=reference,
            state=HoldState.RELEASED,
            kind=EntryKind.RELEASE,
            amount_yen=breakdown.gross_with_tax,
            lines=_release_lines(reference, worker_reference=worker_reference, breakdown=breakdown),
            dedupe_key=dedupe_key,
        )
        if entry is not None:
            logger.info("payments: hold %s released (entry %s)", reference, entry.pk)
            return entry
    return _hold_release_locked(
        reference=reference,
        worker_reference=worker_reference,
        breakdown=breakdown,
        dedupe_key=dedupe_key,
    )


@ledger_transaction
def _hold_release_locked(
    *, reference: str, worker_reference: str, breakdown: ReleaseBreakdown, dedupe_key: str
) -> JournalEntry:
    """``hold_release`` under the hold's lock, with every check and its refusal."""
    hold = _hold_locked(reference)

    replayed = _settled_replay(hold, dedupe_key=dedupe_key, kind=EntryKind.RELEASE)
    if replayed is not None:
        return replayed
    _check_funded(hold)
    _check_not_partly_released(hold)
    _check_breakdown(breakdown, expected_gross=hold.amount_yen)

    lines = _release_lines(hold.reference, worker_reference=worker_reference, breakdown=breakdown)
    entry = ledger_post(
        kind=EntryKind.RELEASE,
        reference=reference,
        lines=lines,
        dedupe_key=dedupe_key,
        replay_checked=True,
    )
    _hold_settle(hold, state=HoldState.RELEASED, entry=entry)

    logger.info("payments: hold %s released (entry %s)", reference, entry.pk)
    return entry


@ledger_transaction
def hold_refund(*, reference: str, dedupe_key: str) -> JournalEntry:
    """Return the whole hold to ``external:<source>``, the way it came.

    Locks the hold row, then the accounts. Raises 404 ``hold_not_found``,
    409 ``hold_settled``, 409 ``hold_partly_released`` (use ``hold_close``),
    422 ``hold_charged_back`` when the provider has already taken money back
    (a refund would return it twice).
    """
    _check_dedupe_key(dedupe_key)
    hold = _hold_locked(reference)

    replayed = _settled_replay(hold, dedupe_key=dedupe_key, kind=EntryKind.REFUND)
    if replayed is not None:
        return replayed
    _check_funded(hold)
    _check_not_charged_back(hold)
    _check_not_partly_released(hold)

    entry = ledger_post(
        kind=EntryKind.REFUND,
        reference=reference,
        lines=[
            ((AccountKind.HOLD, hold.reference), -hold.amount_yen),
            ((AccountKind.EXTERNAL, hold.source), hold.amount_yen),
        ],
        dedupe_key=dedupe_key,
        replay_checked=True,
    )
    _hold_settle(hold, state=HoldState.REFUNDED, entry=entry)

    logger.info("payments: hold %s refunded (entry %s)", reference, entry.pk)
    return entry


@ledger_transaction
def hold_split(
    *,
    reference: str,
    worker_reference: str,
    worker_share_yen: int,
    dedupe_key: str,
    cumulative_before_yen: int = 0,
    is_task: bool = False,
    withholding: bool = False,
    on: date | None = None,
) -> JournalEntry:
    """Settle the hold partly to the worker, the rest back to the client.

    ``worker_share_yen`` is the worker's part of the price WITHOUT tax; the
    worker's side is that share plus its consumption tax, charged by the fee
    rules (``cumulative_before_yen``, ``is_task``, ``withholding`` and ``on``,
    default today in Tokyo, as in ``fees.release_breakdown``). The rest of
    the hold goes back to ``external:<source>``. Locks the hold row, then the
    accounts. Raises 404 ``hold_not_found``, 409 ``hold_settled``, 422
    ``invalid_split`` when the worker's side is not strictly between zero and
    the hold (use a release or a refund), 422 ``hold_charged_back``, 409
    ``hold_partly_released``.
    """
    _check_reference(worker_reference, field="worker_reference")
    _check_dedupe_key(dedupe_key)
    hold = _hold_locked(reference)

    replayed = _settled_replay(hold, dedupe_key=dedupe_key, kind=EntryKind.SPLIT)
    if replayed is not None:
        return replayed
    _check_funded(hold)
    _check_not_charged_back(hold)
    _check_not_partly_released(hold)
    if isinstance(worker_share_yen, bool) or not isinstance(worker_share_yen, int):
        raise _invalid_split()
    if worker_share_yen <= 0 or cumulative_before_yen < 0:
        raise _invalid_split()
    breakdown = release_breakdown(
        price_yen=worker_share_yen,
        cumulative_before_yen=cumulative_before_yen,
        is_task=is_task,
        withholding=withholding,
        on=on or timezone.localdate(),
    )
    refund = hold.amount_yen - breakdown.gross_with_tax
    if refund <= 0:
        raise _invalid_split()

    lines = _release_lines(hold.reference, worker_reference=worker_reference, breakdown=breakdown)
    lines[0] = (lines[0][0], -hold.amount_yen)  # the hold empties: worker's side plus refund
    lines.append(((AccountKind.EXTERNAL, hold.source), refund))
    entry = ledger_post(
        kind=EntryKind.SPLIT,
        reference=reference,
        lines=lines,
        dedupe_key=dedupe_key,
        replay_checked=True,
    )
    _hold_settle(hold, state=HoldState.SPLIT, entry=entry)

    logger.info("payments: hold %s split, %d yen refunded (entry %s)", reference, refund, entry.pk)
    return entry


# --- a hold paid out in parts ---------------------------------------------


@ledger_transaction
def hold_release_part(
    *, reference: str, worker_reference: str, breakdown: ReleaseBreakdown, dedupe_key: str
) -> JournalEntry:
    """Release one part of a funded hold to the worker; the hold stays funded with the rest.

    ``breakdown`` comes from ``fees.release_breakdown`` (a task answer's
    unit price, ``is_task=True``): its ``gross_with_tax`` leaves the hold
    for the worker's net, the fee and its tax (on the platform's stripe of
    ``reference``, as a release) and any withholding. The hold's
    ``released_yen`` grows by the part; the part that empties the hold also
    settles it as ``closed``. Locks the hold row, then the accounts. Raises
    404 ``hold_not_found``, 409 ``hold_settled``, 422 ``breakdown_mismatch``
    when the parts do not add up, 422 ``part_exceeds_hold`` when the part is
    more than is left (less what the provider took back).
    """
    _check_reference(worker_reference, field="worker_reference")
    _check_dedupe_key(dedupe_key)
    hold = _hold_locked(reference)

    # A part's key may have been used while the hold was still funded, so
    # the replay is looked up whatever the state.
    replayed = entry_replayed(
        dedupe_key=dedupe_key, kind=EntryKind.RELEASE_PART, reference=reference
    )
    if replayed is not None:
        return replayed
    _check_funded(hold)
    if not _breakdown_parts_add_up(breakdown):
        _check_breakdown(breakdown, expected_gross=-1)
    left = hold.amount_yen - hold.released_yen - hold.charged_back_yen
    if breakdown.gross_with_tax > left:
        raise RuleViolation(
            _("This payment has less left in it than the part to release."),
            code="part_exceeds_hold",
            extra={"left_yen": left},
        )

    lines = _release_lines(hold.reference, worker_reference=worker_reference, breakdown=breakdown)
    entry = ledger_post(
        kind=EntryKind.RELEASE_PART,
        reference=reference,
        lines=lines,
        dedupe_key=dedupe_key,
        replay_checked=True,
    )
    hold.released_yen += breakdown.gross_with_tax
    if hold.released_yen == hold.amount_yen:
        hold.state = HoldState.CLOSED
        hold.settled_entry = entry
        hold.settled_at = timezone.now()
        hold.save(
            update_fields=["released_yen", "state", "settled_entry", "settled_at", "updated_at"]
        )
    else:
        hold.save(update_fields=["released_yen", "updated_at"])

    logger.info(
        "payments: %d yen of hold %s released in part (entry %s)",
        breakdown.gross_with_tax,
        reference,
        entry.pk,
    )
    return entry


@ledger_transaction
def hold_close(*, reference: str, dedupe_key: str) -> JournalEntry:
    """Settle a funded hold: whatever is left goes back to ``external:<source>``.

    A hold nothing was released from is refunded (state ``refunded``, a
    ``refund`` entry, as ``hold_refund``); a hold paid out in parts is
    ``closed`` by a ``close`` entry of the rest (a hold emptied by its parts
    is closed already). Locks the hold row, then the accounts. Raises 404
    ``hold_not_found``, 409 ``hold_settled``, 422 ``hold_charged_back``.
    """
    _check_dedupe_key(dedupe_key)
    hold = _hold_locked(reference)

    kind = EntryKind.CLOSE if hold.released_yen else EntryKind.REFUND
    replayed = _settled_replay(hold, dedupe_key=dedupe_key, kind=kind)
    if replayed is not None:
        return replayed
    _check_funded(hold)
    # TODO(#3): a chargeback on a batch's hold blocks its close, as it blocks a
    # refund; recovering it from the rest belongs with payments.recoveries.
    _check_not_charged_back(hold)

    left = hold.amount_yen - hold.released_yen  # > 0: an emptied hold is closed
    entry = ledger_post(
        kind=kind,
        reference=reference,
        lines=[
            ((AccountKind.HOLD, hold.reference), -left),
            ((AccountKind.EXTERNAL, hold.source), left),
        ],
        dedupe_key=dedupe_key,
        replay_checked=True,
    )
    state = HoldState.CLOSED if hold.released_yen else HoldState.REFUNDED
    _hold_settle(hold, state=state, entry=entry)

    logger.info("payments: hold %s closed, %d yen refunded (entry %s)", reference, left, entry.pk)
    return entry


# --- a worker's balance ----------------------------------------------------


@ledger_transaction
def balance_withdraw(*, worker_reference: str, amount_yen: int, dedupe_key: str) -> JournalEntry:
    """Move ``amount_yen`` from the worker's balance to their payout in flight.

    The returned entry is the payout that the provider work will send (or
    fail with ``payout_fail``). Locks the two accounts. Raises 422
    ``insufficient_funds`` beyond the balance, 422 ``invalid_amount``.
    """
    _check_reference(worker_reference, field="worker_reference")
    _check_dedupe_key(dedupe_key)
    _check_amount(amount_yen)

    replayed = entry_replayed(
        dedupe_key=dedupe_key, kind=EntryKind.WITHDRAW, reference=worker_reference
    )
    if replayed is not None:
        return replayed

    entry = ledger_post(
        kind=EntryKind.WITHDRAW,
        reference=worker_reference,
        lines=[
            ((AccountKind.WORKER_BALANCE, worker_reference), -amount_yen),
            ((AccountKind.PAYOUT_IN_FLIGHT, worker_reference), amount_yen),
        ],
        dedupe_key=dedupe_key,
    )

    logger.info("payments: withdrawal entry %s of %d yen", entry.pk, amount_yen)
    return entry


@ledger_transaction
def payout_fail(*, payout_entry: JournalEntry, dedupe_key: str) -> JournalEntry:
    """Undo a withdrawal whose payout failed: the money goes back to the balance.

    Posts the withdrawal's postings with the opposite sign, as an entry that
    ``reverses`` it (unique: a payout fails once). Locks the two accounts.
    Raises 422 ``not_a_payout`` for an entry that is not a withdrawal, 409
    ``already_reversed`` when it already failed, 422 ``insufficient_funds``
    when the money is no longer in flight.
    """
    _check_dedupe_key(dedupe_key)
    if payout_entry.kind != EntryKind.WITHDRAW:
        raise RuleViolation(_("Only a withdrawal can fail as a payout."), code="not_a_payout")

    reference = payout_entry.reference
    replayed = entry_replayed(
        dedupe_key=dedupe_key, kind=EntryKind.PAYOUT_FAILED, reference=reference
    )
    if replayed is not None:
        return replayed
    if JournalEntry.objects.filter(reverses=payout_entry).exists():
        raise Conflict(_("This payout has already failed."), code="already_reversed")

    lines = [
        (posting.account, -posting.amount)
        for posting in payout_entry.postings.select_related("account").order_by("pk")
    ]
    entry = ledger_post(
        kind=EntryKind.PAYOUT_FAILED,
        reference=reference,
        lines=lines,
        dedupe_key=dedupe_key,
        reverses=payout_entry,
    )

    logger.info("payments: payout %s failed, reversed by entry %s", payout_entry.pk, entry.pk)
    return entry


# --- the provider taking money back ---------------------------------------


@ledger_transaction
def chargeback_record(*, reference: str, amount_yen: int, dedupe_key: str) -> JournalEntry:
    """Record that the provider took ``amount_yen`` of a hold's funding back.

    The money leaves to ``external:<source>`` and the platform absorbs it on
    ``losses:<reference>``, whatever the hold's state; nothing is deleted or
    changed but the hold's ``charged_back_yen``. Locks the hold row, then the
    accounts. Raises 404 ``hold_not_found``, 422 ``invalid_amount``, 422
    ``chargeback_exceeds_funding`` beyond what the hold was funded with.
    """
    _check_dedupe_key(dedupe_key)
    _check_amount(amount_yen)
    hold = _hold_locked(reference)

    replayed = entry_replayed(dedupe_key=dedupe_key, kind=EntryKind.CHARGEBACK, reference=reference)
    if replayed is not None:
        return replayed
    # What was paid out in parts is no longer the provider's to take.
    if hold.charged_back_yen + hold.released_yen + amount_yen > hold.amount_yen:
        raise RuleViolation(
            _("A chargeback cannot exceed what the payment was funded with."),
            code="chargeback_exceeds_funding",
        )

    entry = ledger_post(
        kind=EntryKind.CHARGEBACK,
        reference=reference,
        lines=[
            ((AccountKind.LOSSES, reference), -amount_yen),
            ((AccountKind.EXTERNAL, hold.source), amount_yen),
        ],
        dedupe_key=dedupe_key,
        replay_checked=True,
    )
    hold.charged_back_yen += amount_yen
    hold.save(update_fields=["charged_back_yen", "updated_at"])

    # The loss is recovered from the worker's balance for a released hold by
    # payments.recoveries (called from funding.payment_chargeback).
    # TODO(#3): a chargeback on a still-funded hold is not taken from the hold;
    # the platform absorbs it and the hold can no longer be refunded or split.
    logger.warning(
        "payments: chargeback of %d yen on %s (entry %s)", amount_yen, reference, entry.pk
    )
    return entry


# --- helpers --------------------------------------------------------------


def _hold_locked(reference: str) -> Hold:
    hold = Hold.objects.select_for_update().filter(reference=reference).first()
    if hold is None:
        raise NotFound(_("There is no payment held for this item."), code="hold_not_found")
    return hold


def _hold_settle(hold: Hold, *, state: str, entry: JournalEntry) -> None:
    hold.state = state
    hold.settled_entry = entry
    hold.settled_at = timezone.now()
    hold.save(update_fields=["state", "settled_entry", "settled_at", "updated_at"])


def _release_lines(
    reference: str, *, worker_reference: str, breakdown: ReleaseBreakdown
) -> list[tuple[AccountKey, int]]:
    """The hold's debit first, then every non-zero part of the breakdown."""
    parts = [
        ((AccountKind.WORKER_BALANCE, worker_reference), breakdown.worker_net),
        ((AccountKind.FEE_REVENUE, platform_stripe(reference)), breakdown.fee),
        ((AccountKind.FEE_TAX, platform_stripe(reference)), breakdown.fee_tax),
        ((AccountKind.WITHHOLDING_PAYABLE, reference), breakdown.withholding),
    ]
    return [
        ((AccountKind.HOLD, reference), -breakdown.gross_with_tax),
        *((pair, amount) for pair, amount in parts if amount != 0),
    ]


def _settled_replay(hold: Hold, *, dedupe_key: str, kind: str) -> JournalEntry | None:
    """The entry of an earlier call with ``dedupe_key``, looked up only when it can exist.

    Under the hold's lock, an entry of ``kind`` for this hold exists only if
    the hold has settled; while it is funded, a key used elsewhere is caught
    when the entry is written (409 ``dedupe_key_reused``), so the common case
    costs no query.
    """
    if hold.state == HoldState.FUNDED:
        return None
    return entry_replayed(dedupe_key=dedupe_key, kind=kind, reference=hold.reference)


def _check_funded(hold: Hold) -> None:
    if hold.state != HoldState.FUNDED:
        raise Conflict(
            _("This payment has already been settled."),
            code="hold_settled",
            extra={"state": hold.state},
        )


def _check_not_partly_released(hold: Hold) -> None:
    if hold.released_yen:
        raise Conflict(
            _("Part of this payment has been released; it can only be closed."),
            code="hold_partly_released",
        )


def _check_not_charged_back(hold: Hold) -> None:
    if hold.charged_back_yen:
        raise RuleViolation(
            _("The provider has taken this payment back; it cannot be refunded again."),
            code="hold_charged_back",
        )


def _breakdown_parts_add_up(breakdown: ReleaseBreakdown) -> bool:
    """Whole, non-negative parts that sum to a positive ``gross_with_tax``."""
    gross = breakdown.gross_with_tax
    parts = (breakdown.fee, breakdown.fee_tax, breakdown.withholding, breakdown.worker_net)
    return (
        _is_yen(gross)
        and gross > 0
        and all(_is_yen(part) and part >= 0 for part in parts)
        and sum(parts) == gross
    )


def _is_yen(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_breakdown(breakdown: ReleaseBreakdown, *, expected_gross: int) -> None:
    if breakdown.gross_with_tax != expected_gross or not _breakdown_parts_add_up(breakdown):
        raise RuleViolation(
            _("The amounts to release do not add up to the payment held."),
            code="breakdown_mismatch",
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


def _hold_exists() -> Conflict:
    return Conflict(_("This item has already been paid for."), code="hold_exists")


def _invalid_split() -> RuleViolation:
    return RuleViolation(
        _("The worker's part must be more than nothing and less than the whole payment."),
        code="invalid_split",
        field="worker_share_yen",
    )
