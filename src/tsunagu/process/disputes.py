"""Disputes over a paid milestone: a side opens one, an operator resolves it.

Either side of the contract opens a dispute over a milestone whose money is
held (funded or delivered). While it is open the money stays where it is:
the sweep does not approve the milestone's delivery, nothing releases the
hold (``work.escrow.milestone_release`` refuses with 409 ``dispute_open``)
and the contract cannot change or complete. An operator resolves it in the
back office with the worker's share of the price (without tax): the whole
price releases the hold (the milestone is approved), nothing refunds it,
anything between splits it (``work.escrow.milestone_settle``; the milestone
is cancelled). The side that opened a dispute may withdraw it.

Lock order: the contract, then the dispute, then an open delivery, then
the milestone, then the payment, the hold and the ledger's accounts.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import transition
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.process.models import Dispute, DisputeStatus
from tsunagu.process.services import deliveries_close_open
from tsunagu.work import escrow
from tsunagu.work.access import access_contract_act_as_client
from tsunagu.work.models import Contract, ContractStatus, Milestone, MilestoneStatus

logger = logging.getLogger(__name__)

HELD = (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED)


@transaction.atomic
def dispute_open(*, milestone: Milestone, by: User, reason: str) -> Dispute:
    """A side of the contract disputes a paid milestone; its money stays held.

    Locks the contract, then the milestone. Refusals: 400
    ``reason_required``, 404 to anyone not a party, 409
    ``contract_not_active``, 409 ``milestone_not_funded``, 409
    ``dispute_exists`` when one is open already.
    """
    if not reason.strip():
        raise DomainError(
            _("Say what the dispute is about."), code="reason_required", field="reason"
        )
    contract = Contract.objects.select_for_update().get(pk=milestone.contract_id)
    if not _is_party(by, contract):
        raise NotFound(_("No such milestone."))
    if contract.status != ContractStatus.ACTIVE:
        raise Conflict(_("This contract is not active."), code="contract_not_active")
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.status not in HELD:
        raise Conflict(
            _("Only a milestone whose payment is held can be disputed."),
            code="milestone_not_funded",
        )
    if Dispute.objects.filter(milestone=milestone, status=DisputeStatus.OPEN).exists():
        raise _dispute_exists()

    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                contract=contract, milestone=milestone, opened_by=by, reason=reason.strip()
            )
    except IntegrityError:  # a concurrent dispute of the same milestone won
        raise _dispute_exists() from None
    logger.info("process: dispute %s opened on milestone %s", dispute.pk, milestone.pk)
    return dispute


@transaction.atomic
def dispute_withdraw(*, dispute: Dispute, by: User) -> Dispute:
    """The side that opened the dispute takes it back; the milestone goes on as before.

    Locks the contract, then the dispute. Refusals: 404 to anyone not a
    party, 403 ``not_the_opener``, 409 ``dispute_not_open``.
    """
    contract = Contract.objects.select_for_update().get(pk=dispute.contract_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if not _is_party(by, contract):
        raise NotFound(_("No such dispute."))
    if dispute.opened_by_id != by.pk:
        raise PermissionDenied(
            _("Only the person who opened the dispute can withdraw it."), code="not_the_opener"
        )
    if dispute.status != DisputeStatus.OPEN:
        raise _dispute_not_open()

    transition(machine="dispute", obj=dispute, to=DisputeStatus.WITHDRAWN, by=by)
    return dispute


@ledger_transaction
def dispute_resolve(
    *, dispute: Dispute, by: User, worker_share_yen: int, resolution: str
) -> Dispute:
    """An operator decides the dispute: the worker's share of the price, the rest refunded.

    ``worker_share_yen`` is the worker's part of the milestone's price
    without tax, 0 to the whole price; the money moves as the module says.
    A delivery awaiting review is closed: approved when the worker is paid
    in full, withdrawn otherwise. Locks the contract, the dispute, an open
    delivery, the milestone, then the payment, hold and accounts. Refusals:
    403 to anyone but staff, 400 ``resolution_required``, 409
    ``dispute_not_open``, 409 ``milestone_not_funded``, 422 ``invalid_split``,
    and the ledger's refusals (``hold_charged_back``).
    """
    if not by.is_staff:
        raise PermissionDenied(_("Only operators resolve disputes."))
    if not resolution.strip():
        raise DomainError(
            _("Explain the decision to both sides."),
            code="resolution_required",
            field="resolution",
        )
    Contract.objects.select_for_update().get(pk=dispute.contract_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != DisputeStatus.OPEN:
        raise _dispute_not_open()
    amount = Milestone.objects.values_list("amount_yen", flat=True).get(pk=dispute.milestone_id)
    if (
        isinstance(worker_share_yen, bool)
        or not isinstance(worker_share_yen, int)
        or not 0 <= worker_share_yen <= amount
    ):
        raise RuleViolation(
            _("The worker's part must be between nothing and the milestone's price."),
            code="invalid_split",
            field="worker_share_yen",
        )

    paid_in_full = worker_share_yen == amount
    deliveries_close_open(
        milestone_id=dispute.milestone_id,
        by=by,
        approve=paid_in_full,
        reason="dispute resolved",
    )
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .get(pk=dispute.milestone_id)
    )
    if milestone.status not in HELD:
        raise Conflict(
            _("Only a milestone whose payment is held can be settled."),
            code="milestone_not_funded",
        )

    dispute.worker_share_yen = worker_share_yen
    dispute.resolution = resolution.strip()
    dispute.resolved_by = by
    dispute.resolved_at = timezone.now()
    transition(
        machine="dispute",
        obj=dispute,
        to=DisputeStatus.RESOLVED,
        by=by,
        reason=resolution,
        also_update=("worker_share_yen", "resolution", "resolved_by", "resolved_at"),
    )
    escrow.milestone_settle(
        milestone=milestone,
        worker_share_yen=worker_share_yen,
        dedupe_key=f"split:dispute:{dispute.pk}",
        by=by,
        reason=f"dispute {dispute.pk} resolved",
    )
    logger.info("process: dispute %s resolved, worker's share %d", dispute.pk, worker_share_yen)
    return dispute


def _is_party(user: User, contract: Contract) -> bool:
    return user.pk == contract.worker_id or access_contract_act_as_client(user, contract)


def _dispute_exists() -> Conflict:
    return Conflict(_("A dispute over this milestone is already open."), code="dispute_exists")


def _dispute_not_open() -> Conflict:
    return Conflict(_("This dispute is no longer open."), code="dispute_not_open")
