"""Changes to a contract's terms: one side proposes, the other accepts or declines.

A change (``ContractChange``) is one of:

- ``add_milestone``: a new milestone; the contract's price grows by its
  amount, so the milestones still add up to the price;
- ``change_price``: a new price for a milestone not yet paid for; the
  contract's price moves by the difference;
- ``change_deadline``: a milestone's due date, or (without a milestone) the
  contract's delivery date;
- ``end_early``: milestones not paid for are cancelled, paid ones not yet
  delivered are refunded in full; the contract is completed if anything was
  approved on it, cancelled otherwise;
- ``cancel_with_split``: a paid milestone is cancelled and its money split,
  ``worker_share_yen`` of the price (without tax) to the worker and the rest
  back to the client (``work.escrow.milestone_settle``).

Either side proposes, at most one change of a contract at a time, and the
change records the terms before and after. Only the other side accepts or
declines; the proposer may withdraw. Accepting checks that the terms still
stand as proposed (409 ``change_outdated`` otherwise) and applies the change
in the same transaction. Nothing changes while a dispute over the contract
is open.

Lock order: the contract, then the change, then an open delivery, then the
milestones, then the payment, the hold and the ledger's accounts (the order
of ``process.services`` and ``work.escrow``).
"""

import logging
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import transition
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.payments.models import Payment, PaymentStatus
from tsunagu.process.models import (
    ChangeKind,
    ChangeStatus,
    ContractChange,
    Dispute,
    DisputeStatus,
)
from tsunagu.process.services import deliveries_close_open
from tsunagu.work import escrow
from tsunagu.work.access import access_contract_act_as_client
from tsunagu.work.models import Contract, ContractStatus, Milestone, MilestoneStatus
from tsunagu.work.services import contract_finish

logger = logging.getLogger(__name__)

Terms = dict[str, Any]
# Milestones that are neither approved nor cancelled.
OPEN_MILESTONE_STATES = (MilestoneStatus.PENDING, MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED)


@transaction.atomic
def contract_change_propose(
    *,
    contract: Contract,
    by: User,
    kind: str,
    milestone: Milestone | None = None,
    title: str = "",
    amount_yen: int | None = None,
    due_date: date | None = None,
    worker_share_yen: int | None = None,
    reason: str = "",
) -> ContractChange:
    """One side of the contract proposes a change; the other side answers later.

    ``add_milestone`` takes ``title``, ``amount_yen`` and an optional
    ``due_date``; ``change_price`` a pending ``milestone`` and its new
    ``amount_yen``; ``change_deadline`` a ``due_date`` (of ``milestone``, or
    of the contract without one); ``cancel_with_split`` a paid ``milestone``
    and ``worker_share_yen``; ``end_early`` nothing. Locks the contract.
    Refusals: 404 to anyone not a party, 409 ``contract_not_active``, 400
    ``invalid_kind``, 409 ``change_open`` while another change awaits an
    answer, 409 ``dispute_open``, and the terms' own codes
    (``_terms_of``).
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if _side(by, contract) is None:
        raise NotFound(_("No such contract."))
    _check_can_change(contract)
    if kind not in ChangeKind.values:
        raise DomainError(_("Unknown kind of change."), code="invalid_kind", field="kind")
    if ContractChange.objects.filter(contract=contract, status=ChangeStatus.PROPOSED).exists():
        raise Conflict(_("Another change of this contract awaits an answer."), code="change_open")
    if milestone is not None:
        milestone = _milestone_of(contract, milestone.pk)

    params: Terms = {
        "title": title.strip(),
        "amount_yen": amount_yen,
        "due_date": due_date.isoformat() if due_date else None,
        "worker_share_yen": worker_share_yen,
    }
    before, after = _terms_of(kind, contract, milestone, params)
    change = ContractChange.objects.create(
        contract=contract,
        milestone=milestone,
        proposed_by=by,
        kind=kind,
        terms_before=before,
        terms_after=after,
        reason=reason.strip(),
    )
    logger.info("process: change %s (%s) proposed on contract %s", change.pk, kind, contract.pk)
    return change


@ledger_transaction
def contract_change_accept(*, change: ContractChange, by: User) -> ContractChange:
    """The other side accepts the change, and it is applied at once.

    Locks the contract, the change, then what the change touches (an open
    delivery, the milestones, their payments and holds). Refusals: 404 to
    anyone not a party, 403 ``own_change`` to the side that proposed it, 409
    ``change_not_open``, 409 ``contract_not_active``, 409 ``dispute_open``,
    409 ``change_outdated`` when the terms it was proposed against have
    moved on, and the refusals of the terms and of the money.
    """
    contract, change = _change_locked(change, by=by)
    if _side(by, contract) == _side(change.proposed_by, contract):
        raise PermissionDenied(
            _("The other side answers the change you proposed."), code="own_change"
        )
    _check_can_change(contract)

    if change.kind == ChangeKind.CANCEL_WITH_SPLIT and change.milestone_id is not None:
        deliveries_close_open(
            milestone_id=change.milestone_id, by=by, approve=False, reason="cancelled by agreement"
        )
    milestone = _milestone_of(contract, change.milestone_id) if change.milestone_id else None
    params: Terms = {key: change.terms_after.get(key) for key in _PARAM_KEYS}
    before, after = _terms_of(change.kind, contract, milestone, params)
    if (before, after) != (change.terms_before, change.terms_after):
        raise Conflict(
            _("The contract has changed since this was proposed; propose it again."),
            code="change_outdated",
        )

    _apply(change, contract, milestone, by=by)
    change.decided_by = by
    change.decided_at = timezone.now()
    transition(
        machine="contract_change",
        obj=change,
        to=ChangeStatus.ACCEPTED,
        by=by,
        also_update=("decided_by", "decided_at"),
    )
    logger.info("process: change %s accepted", change.pk)
    return change


@transaction.atomic
def contract_change_decline(
    *, change: ContractChange, by: User, reason: str = ""
) -> ContractChange:
    """The other side declines the change; the contract stays as it was.

    Locks the contract, then the change. Refusals: 404 to anyone not a
    party, 403 ``own_change`` to the side that proposed it, 409
    ``change_not_open``.
    """
    contract, change = _change_locked(change, by=by)
    if _side(by, contract) == _side(change.proposed_by, contract):
        raise PermissionDenied(
            _("The other side answers the change you proposed."), code="own_change"
        )
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_reason = reason.strip()
    transition(
        machine="contract_change",
        obj=change,
        to=ChangeStatus.DECLINED,
        by=by,
        reason=reason,
        also_update=("decided_by", "decided_at", "decision_reason"),
    )
    return change


@transaction.atomic
def contract_change_withdraw(*, change: ContractChange, by: User) -> ContractChange:
    """The proposer takes the change back before it is answered.

    Locks the contract, then the change. Refusals: 404 to anyone not a
    party, 403 ``not_the_proposer``, 409 ``change_not_open``.
    """
    _contract, change = _change_locked(change, by=by)
    if change.proposed_by_id != by.pk:
        raise PermissionDenied(
            _("Only the person who proposed the change can withdraw it."),
            code="not_the_proposer",
        )
    change.decided_by = by
    change.decided_at = timezone.now()
    transition(
        machine="contract_change",
        obj=change,
        to=ChangeStatus.WITHDRAWN,
        by=by,
        also_update=("decided_by", "decided_at"),
    )
    return change


# --- checks ---------------------------------------------------------------------------


def _side(user: User, contract: Contract) -> str | None:
    """``worker``, ``client`` (the client or a manager of its organization), or None."""
    if user.pk == contract.worker_id:
        return "worker"
    if access_contract_act_as_client(user, contract):
        return "client"
    return None


def _check_can_change(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise Conflict(_("This contract is not active."), code="contract_not_active")
    if Dispute.objects.filter(contract=contract, status=DisputeStatus.OPEN).exists():
        raise Conflict(
            _("A dispute over this contract is open; an operator decides first."),
            code="dispute_open",
        )


def _change_locked(change: ContractChange, *, by: User) -> tuple[Contract, ContractChange]:
    contract = Contract.objects.select_for_update().get(pk=change.contract_id)
    change = (
        ContractChange.objects.select_for_update(of=("self",))
        .select_related("proposed_by")
        .get(pk=change.pk)
    )
    if _side(by, contract) is None:
        raise NotFound(_("No such change."))
    if change.status != ChangeStatus.PROPOSED:
        raise Conflict(_("This change was already answered."), code="change_not_open")
    return contract, change


def _milestone_of(contract: Contract, milestone_id: int) -> Milestone:
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .filter(pk=milestone_id, contract=contract)
        .first()
    )
    if milestone is None:
        raise NotFound(_("No such milestone."))
    return milestone


# --- terms ----------------------------------------------------------------------------

_PARAM_KEYS = ("title", "amount_yen", "due_date", "worker_share_yen")


def _terms_of(
    kind: str, contract: Contract, milestone: Milestone | None, params: Terms
) -> tuple[Terms, Terms]:
    """Check the change against the contract as it stands; its terms before and after.

    ``terms_after`` carries the parameters of the change, so that accepting
    can work the terms out again and see whether they still hold. Refusals:
    400 ``title_required``, ``invalid_amount``, ``invalid_date``,
    ``milestone_required``, ``no_change``; 409 ``milestone_not_pending``,
    ``milestone_not_funded``, ``milestone_closed``, ``payment_pending``,
    ``delivery_awaiting_review``; 422 ``invalid_split``.
    """
    if kind == ChangeKind.ADD_MILESTONE:
        return _add_milestone_terms(contract, params)
    if kind == ChangeKind.END_EARLY:
        return _end_early_terms(contract)
    if milestone is None and kind != ChangeKind.CHANGE_DEADLINE:
        raise DomainError(
            _("Say which milestone the change is about."),
            code="milestone_required",
            field="milestone_id",
        )
    if kind == ChangeKind.CHANGE_DEADLINE:
        return _deadline_terms(contract, milestone, params)
    assert milestone is not None
    if kind == ChangeKind.CHANGE_PRICE:
        return _price_terms(contract, milestone, params)
    return _split_terms(milestone, params)


def _add_milestone_terms(contract: Contract, params: Terms) -> tuple[Terms, Terms]:
    title = params["title"] or ""
    if not title:
        raise DomainError(_("Give the milestone a title."), code="title_required", field="title")
    amount = _positive_yen(params["amount_yen"])
    due = _future_date(params["due_date"], required=False)
    before = {"contract_price_yen": contract.price_yen}
    after = {
        "contract_price_yen": contract.price_yen + amount,
        "title": title,
        "amount_yen": amount,
        "due_date": due,
    }
    return before, after


def _price_terms(contract: Contract, milestone: Milestone, params: Terms) -> tuple[Terms, Terms]:
    if milestone.status != MilestoneStatus.PENDING:
        raise Conflict(
            _("Only the price of a milestone not yet paid for can change."),
            code="milestone_not_pending",
        )
    _check_no_pending_payment([milestone])
    amount = _positive_yen(params["amount_yen"])
    if amount == milestone.amount_yen:
        raise DomainError(_("That is the price already."), code="no_change", field="amount_yen")
    before = {
        "milestone_id": milestone.pk,
        "amount_yen": milestone.amount_yen,
        "contract_price_yen": contract.price_yen,
    }
    after = {
        "milestone_id": milestone.pk,
        "amount_yen": amount,
        "contract_price_yen": contract.price_yen - milestone.amount_yen + amount,
    }
    return before, after


def _deadline_terms(
    contract: Contract, milestone: Milestone | None, params: Terms
) -> tuple[Terms, Terms]:
    due = _future_date(params["due_date"], required=True)
    if milestone is None:
        current = contract.delivery_due
    else:
        if milestone.status not in OPEN_MILESTONE_STATES:
            raise Conflict(
                _("This milestone is already approved or cancelled."), code="milestone_closed"
            )
        current = milestone.due_date
    old = current.isoformat() if current else None
    if old == due:
        raise DomainError(_("That is the date already."), code="no_change", field="due_date")
    milestone_id = milestone.pk if milestone else None
    return (
        {"milestone_id": milestone_id, "due_date": old},
        {"milestone_id": milestone_id, "due_date": due},
    )


def _end_early_terms(contract: Contract) -> tuple[Terms, Terms]:
    milestones = list(contract.milestones.order_by("position"))
    if any(m.status == MilestoneStatus.SUBMITTED for m in milestones):
        raise Conflict(
            _("A delivery awaits review; approve it or ask for a revision first."),
            code="delivery_awaiting_review",
        )
    pending = [m for m in milestones if m.status == MilestoneStatus.PENDING]
    _check_no_pending_payment(pending)
    funded = [m.pk for m in milestones if m.status == MilestoneStatus.FUNDED]
    approved = any(m.status == MilestoneStatus.APPROVED for m in milestones)
    before = {
        "contract_status": contract.status,
        "milestones": [{"id": m.pk, "status": m.status} for m in milestones],
    }
    after = {
        "contract_status": ContractStatus.COMPLETED if approved else ContractStatus.CANCELLED,
        "cancelled": [m.pk for m in pending],
        "refunded": funded,
    }
    return before, after


def _split_terms(milestone: Milestone, params: Terms) -> tuple[Terms, Terms]:
    if milestone.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
        raise Conflict(
            _("Only a paid-for milestone can be cancelled with a split."),
            code="milestone_not_funded",
        )
    share = params["worker_share_yen"]
    if (
        isinstance(share, bool)
        or not isinstance(share, int)
        or not 0 <= share < milestone.amount_yen
    ):
        raise RuleViolation(
            _("The worker's part must be less than the milestone's price (or nothing)."),
            code="invalid_split",
            field="worker_share_yen",
        )
    before = {
        "milestone_id": milestone.pk,
        "amount_yen": milestone.amount_yen,
        "status": milestone.status,
    }
    after = {
        "milestone_id": milestone.pk,
        "status": MilestoneStatus.CANCELLED,
        "worker_share_yen": share,
        "client_share_yen": milestone.amount_yen - share,
    }
    return before, after


def _positive_yen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DomainError(
            _("The amount must be a positive number of yen."),
            code="invalid_amount",
            field="amount_yen",
        )
    return value


def _future_date(value: object, *, required: bool) -> str | None:
    """The ISO date ``value``, today or later (in Tokyo)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or date.fromisoformat(value) < timezone.localdate():
        raise DomainError(_("Choose a date from today on."), code="invalid_date", field="due_date")
    return value


def _check_no_pending_payment(milestones: list[Milestone]) -> None:
    references = [escrow.milestone_reference(m) for m in milestones]
    if Payment.objects.filter(reference__in=references, status=PaymentStatus.PENDING).exists():
        raise Conflict(
            _("A bank transfer for this milestone is awaited; cancel it first."),
            code="payment_pending",
        )


# --- applying -------------------------------------------------------------------------


def _apply(
    change: ContractChange, contract: Contract, milestone: Milestone | None, *, by: User
) -> None:
    after = change.terms_after
    reason = f"contract change {change.pk}"
    if change.kind == ChangeKind.ADD_MILESTONE:
        last = contract.milestones.aggregate(last=Max("position"))["last"] or 0
        Milestone.objects.create(
            contract=contract,
            position=last + 1,
            title=after["title"][:120],
            amount_yen=after["amount_yen"],
            due_date=date.fromisoformat(after["due_date"]) if after["due_date"] else None,
        )
        _contract_price_set(contract, after["contract_price_yen"])
    elif change.kind == ChangeKind.CHANGE_PRICE:
        assert milestone is not None
        milestone.amount_yen = after["amount_yen"]
        milestone.save(update_fields=["amount_yen", "updated_at"])
        _contract_price_set(contract, after["contract_price_yen"])
    elif change.kind == ChangeKind.CHANGE_DEADLINE:
        due = date.fromisoformat(after["due_date"])
        if milestone is None:
            contract.delivery_due = due
            contract.save(update_fields=["delivery_due", "updated_at"])
        else:
            milestone.due_date = due
            milestone.save(update_fields=["due_date", "updated_at"])
    elif change.kind == ChangeKind.CANCEL_WITH_SPLIT:
        assert milestone is not None
        escrow.milestone_settle(
            milestone=milestone,
            worker_share_yen=after["worker_share_yen"],
            dedupe_key=f"split:change:{change.pk}",
            by=by,
            reason=reason,
        )
    else:
        _end_early(contract, after, by=by, reason=reason)


def _contract_price_set(contract: Contract, price_yen: int) -> None:
    contract.price_yen = price_yen
    contract.save(update_fields=["price_yen", "updated_at"])


def _end_early(contract: Contract, after: Terms, *, by: User, reason: str) -> None:
    """Cancel what was not paid for, refund what was paid and not delivered, close."""
    ids = [*after["cancelled"], *after["refunded"]]
    milestones = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .filter(pk__in=ids)
        .order_by("position")
    )
    for milestone in milestones:
        if milestone.status == MilestoneStatus.PENDING:
            transition(
                machine="milestone",
                obj=milestone,
                to=MilestoneStatus.CANCELLED,
                by=by,
                reason=reason,
            )
        else:
            escrow.milestone_settle(
                milestone=milestone,
                worker_share_yen=0,
                dedupe_key=f"refund:change:{contract.pk}:{milestone.pk}",
                by=by,
                reason=reason,
            )
    if after["contract_status"] == ContractStatus.COMPLETED:
        contract_finish(contract=contract, by=by, now=timezone.now())
    else:
        transition(
            machine="contract", obj=contract, to=ContractStatus.CANCELLED, by=by, reason=reason
        )
