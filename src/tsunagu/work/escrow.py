"""Paying for work items before work starts, and releasing them on approval.

Each payable item has its own hold in the ledger, named by a reference:

- ``milestone:<id>``: one milestone of a project contract;
- ``competition:<id>``: a competition's prize (one winner; see the TODO);
- ``task:<id>``: a task batch, units x unit price.

The client pays the price plus consumption tax (``fees.price_with_tax``)
through ``tsunagu.payments.funding``. On approval the hold is released by
``fees.release_breakdown``: the fee bands run across all the milestones of a
contract, in the order they are released, and withholding (源泉徴収) applies
when the paying organization opted in and the category is one where the
law asks for it (``withholding_applies``).

Lock order: the work row (milestone, competition) first, then the payment
and hold, then the ledger accounts; every service here is one transaction,
retried as a whole on a PostgreSQL deadlock.
"""

import logging

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import transition
from tsunagu.errors import Conflict, NotFound, RuleViolation
from tsunagu.payments import funding, services
from tsunagu.payments.fees import price_with_tax, release_breakdown
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.payments.models import Hold, HoldState, Payment
from tsunagu.work.access import access_contract_act_as_client, access_job_manage
from tsunagu.work.models import (
    Competition,
    CompetitionEntry,
    Contract,
    ContractStatus,
    Job,
    Milestone,
    MilestoneStatus,
)

logger = logging.getLogger(__name__)

# Payments for these kinds of work are subject to withholding when an
# organization pays an individual (所得税法 204条1項: 原稿・デザイン・翻訳・写真・
# 作曲などの報酬, and 2号 for professional fees). Programming is not.
WITHHOLDING_CATEGORIES = frozenset(
    {"design", "writing", "translation", "video-photo", "music-audio", "professional"}
)


def milestone_reference(milestone: Milestone) -> str:
    return f"milestone:{milestone.pk}"


def competition_reference(competition: Competition) -> str:
    return f"competition:{competition.pk}"


def withholding_applies(contract: Contract) -> bool:
    """Whether releases on ``contract`` are paid net of withholding tax.

    Workers are individuals on Tsunagu, so it is the paying organization's
    choice and the job's category that decide.
    """
    organization = contract.organization
    return (
        organization is not None
        and organization.withholds_income_tax
        and contract.job.category.slug in WITHHOLDING_CATEGORIES
    )


# --- milestones ------------------------------------------------------------------


@ledger_transaction
def milestone_fund(
    *, milestone: Milestone, by: User, method: str, card_token: str | None = None
) -> Payment:
    """The client pays for a milestone (its price plus consumption tax).

    Card and invoice payments fund it at once (the milestone becomes
    ``funded``); a bank transfer leaves it awaiting payment until an
    operator confirms the deposit. Locks the milestone. Raises 404 to anyone
    but the client, 409 ``contract_not_active``, 409 ``milestone_not_payable``
    for a milestone that is not awaiting payment, and the payment's refusals.
    """
    milestone = _milestone_locked(milestone, by=by)
    if milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_("This milestone is not awaiting payment."), code="milestone_not_payable")

    contract = milestone.contract
    return funding.payment_start(
        payer=by,
        reference=milestone_reference(milestone),
        amount_yen=price_with_tax(price_yen=milestone.amount_yen, on=timezone.localdate()),
        method=method,
        may_use_invoice=contract.organization_id is not None,
        card_token=card_token,
    )


def milestone_mark_funded(reference: str) -> None:
    """Funded handler for ``milestone:<id>``: the milestone may now be worked on."""
    milestone_id = int(reference.split(":", 1)[1])
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    if milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_("This milestone is not awaiting payment."), code="milestone_not_payable")
    transition(
        machine="milestone", obj=milestone, to=MilestoneStatus.FUNDED, by=None, reason="paid"
    )


@ledger_transaction
def milestone_approve(*, milestone: Milestone, by: User) -> Milestone:
    """The client approves a funded milestone: its hold is released to the worker.

    Locks the milestone, then the hold. Raises 404 to anyone but the client,
    409 ``contract_not_active``, 409 ``milestone_not_funded``.
    """
    milestone = _milestone_locked(milestone, by=by)
    return milestone_release(milestone=milestone, by=by)


def milestone_release(*, milestone: Milestone, by: User | None, reason: str = "") -> Milestone:
    """Release the hold of ``milestone`` (locked by the caller) and mark it approved.

    The worker's balance gets the price plus its consumption tax, less the
    platform fee (banded over the contract's releases so far), the fee's
    consumption tax and any withholding. ``by`` is None when the platform
    approves after the review window. Runs inside the caller's transaction;
    the ledger's dedupe key makes a second release of one milestone
    impossible. Raises 409 ``milestone_not_funded``.
    """
    if milestone.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
        raise Conflict(_("Only a paid-for milestone can be approved."), code="milestone_not_funded")

    contract = milestone.contract
    breakdown = release_breakdown(
        price_yen=milestone.amount_yen,
        cumulative_before_yen=_released_on_contract(contract),
        is_task=False,
        withholding=withholding_applies(contract),
        on=timezone.localdate(),
    )
    services.hold_release(
        reference=milestone_reference(milestone),
        worker_reference=f"user:{contract.worker_id}",
        breakdown=breakdown,
        dedupe_key=f"release:{milestone_reference(milestone)}",
    )

    transition(
        machine="milestone", obj=milestone, to=MilestoneStatus.APPROVED, by=by, reason=reason
    )
    logger.info("work: milestone %s approved and released", milestone.pk)
    return milestone


@ledger_transaction
def milestone_cancel(*, milestone: Milestone, by: User) -> Milestone:
    """Cancel a milestone not yet approved; a paid one is refunded in full.

    For now only an operator may do this (after both sides agreed, or at the
    end of a dispute). Locks the milestone, then the payment and the hold.
    Raises 404 to anyone else, 409 ``milestone_not_cancellable``.
    """
    # TODO(#4): let the parties agree on a cancellation and split a hold in a dispute.
    if not by.is_staff:
        raise NotFound(_("No such milestone."))
    milestone = (
        Milestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)
    )
    if milestone.status in (MilestoneStatus.APPROVED, MilestoneStatus.CANCELLED):
        raise Conflict(
            _("This milestone can no longer be cancelled."), code="milestone_not_cancellable"
        )

    if milestone.status != MilestoneStatus.PENDING:
        funding.payment_refund(reference=milestone_reference(milestone))
    transition(machine="milestone", obj=milestone, to=MilestoneStatus.CANCELLED, by=by)
    return milestone


def _milestone_locked(milestone: Milestone, *, by: User) -> Milestone:
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .get(pk=milestone.pk)
    )
    if not access_contract_act_as_client(by, milestone.contract):
        raise NotFound(_("No such milestone."))
    if milestone.contract.status != ContractStatus.ACTIVE:
        raise Conflict(_("This contract is not active."), code="contract_not_active")
    return milestone


def _released_on_contract(contract: Contract) -> int:
    """The tax-included amount released so far on the contract's milestones."""
    references = [
        f"milestone:{pk}"
        for pk in contract.milestones.filter(status=MilestoneStatus.APPROVED).values_list(
            "pk", flat=True
        )
    ]
    total = Hold.objects.filter(reference__in=references, state=HoldState.RELEASED).aggregate(
        total=Sum("amount_yen")
    )["total"]
    return int(total or 0)


# --- competitions ------------------------------------------------------------------


@ledger_transaction
def competition_fund(*, job: Job, by: User, method: str, card_token: str | None = None) -> Payment:
    """The client pays the prize (plus consumption tax) before entries are judged.

    Raises 404 to anyone who does not manage the job, 409
    ``already_awarded``, and the payment's refusals.
    """
    competition = (
        Competition.objects.select_for_update(of=("self",)).select_related("job").get(job=job)
    )
    if not access_job_manage(by, competition.job):
        raise NotFound(_("No such job."))
    if competition.awarded_at is not None:
        raise Conflict(_("This competition was already awarded."), code="already_awarded")
    if competition.winner_count != 1:
        # TODO(#3): competitions with several winners need one hold per prize.
        raise RuleViolation(
            _("Paying in advance is available for single-winner competitions for now."),
            code="several_winners_not_payable",
        )

    prize_pool = competition.prize_yen * competition.winner_count
    return funding.payment_start(
        payer=by,
        reference=competition_reference(competition),
        amount_yen=price_with_tax(price_yen=prize_pool, on=timezone.localdate()),
        method=method,
        may_use_invoice=competition.job.organization_id is not None,
        card_token=card_token,
    )


def competition_prize_release(*, competition: Competition, winner: CompetitionEntry) -> bool:
    """Release a funded prize to the (single) winner; False when nothing was funded.

    Called by ``competition_award`` inside its transaction, with the
    competition row locked.
    """
    reference = competition_reference(competition)
    if not Hold.objects.filter(reference=reference, state=HoldState.FUNDED).exists():
        return False

    breakdown = release_breakdown(
        price_yen=competition.prize_yen * competition.winner_count,
        cumulative_before_yen=0,
        is_task=False,
        withholding=False,  # TODO(#3): withholding on prizes paid by organizations
        on=timezone.localdate(),
    )
    services.hold_release(
        reference=reference,
        worker_reference=f"user:{winner.worker_id}",
        breakdown=breakdown,
        dedupe_key=f"release:{reference}",
    )
    return True
