"""Paying for work items before work starts, and releasing them on approval.

Each payable item has its own hold in the ledger, named by a reference:

- ``milestone:<id>``: one milestone of a project contract;
- ``competition:<id>:prize:<n>``: the n-th prize of a competition, one hold
  and one payment per prize, so that each winner's prize is released (and
  each prize nobody won refunded) on its own;
- ``task:<id>``: a task batch, units x unit price: one hold paid out in
  parts, the unit price (plus tax, less the flat task fee) for each
  approved answer, and closed at the end with the unused units refunded.

The client pays the price plus consumption tax (``fees.price_with_tax``)
through ``tsunagu.payments.funding``. On approval the hold is released by
``fees.release_breakdown``: the fee bands run across all the milestones of a
contract, in the order they are released, and withholding (源泉徴収) applies
when the paying organization opted in and the category is one where the
law asks for it (``withholding_applies``).

Lock order: the work row (milestone, competition, task batch) first, then
the payment and hold, then the ledger accounts; every service here is one transaction,
retried as a whole on a PostgreSQL deadlock.
"""

import logging
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import transition
from tsunagu.errors import Conflict, NotFound, RuleViolation
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.services import notify
from tsunagu.payments import funding, recoveries, services
from tsunagu.payments.fees import price_with_tax, release_breakdown
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.payments.models import Hold, HoldState, Payment, PaymentStatus
from tsunagu.work.access import access_contract_act_as_client, access_job_manage
from tsunagu.work.models import (
    Competition,
    CompetitionEntry,
    Contract,
    ContractStatus,
    Job,
    JobStatus,
    Milestone,
    MilestoneStatus,
    TaskBatch,
)

if TYPE_CHECKING:  # process imports this module; the model is only named here
    from tsunagu.process.models import TaskAnswer

logger = logging.getLogger(__name__)

# Payments for these kinds of work are subject to withholding when an
# organization pays an individual (所得税法 204条1項: 原稿・デザイン・翻訳・写真・
# 作曲などの報酬, and 2号 for professional fees). Programming is not.
WITHHOLDING_CATEGORIES = frozenset(
    {"design", "writing", "translation", "video-photo", "music-audio", "professional"}
)


def milestone_reference(milestone: Milestone) -> str:
    return f"milestone:{milestone.pk}"


def competition_prize_reference(competition: Competition, position: int) -> str:
    return f"competition:{competition.pk}:prize:{position}"


def task_batch_reference(batch: TaskBatch) -> str:
    return f"task:{batch.pk}"


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
    milestone_notify(
        milestone=milestone, recipient=milestone.contract.worker, kind=Kind.MILESTONE_FUNDED
    )


def milestone_notify(*, milestone: Milestone, recipient: User, kind: str) -> None:
    """Tell ``recipient`` about ``milestone`` (a ``notifications`` kind), linking its contract."""
    notify(
        recipient=recipient,
        kind=kind,
        link=reverse("web:contract_detail", args=[milestone.contract_id]),
        params={
            "contract_id": milestone.contract_id,
            "contract_title": milestone.contract.title,
            "milestone_id": milestone.pk,
            "milestone_title": milestone.title,
        },
    )


@ledger_transaction
def milestone_approve(*, milestone: Milestone, by: User) -> Milestone:
    """The client approves a funded milestone: its hold is released to the worker.

    Locks the milestone, then the hold. Raises 404 to anyone but the client,
    409 ``contract_not_active``, 409 ``milestone_not_funded``.
    """
    milestone = _milestone_locked(milestone, by=by)
    milestone_release(milestone=milestone, by=by)
    milestone_notify(
        milestone=milestone, recipient=milestone.contract.worker, kind=Kind.DELIVERY_APPROVED
    )
    return milestone


def milestone_release(*, milestone: Milestone, by: User | None, reason: str = "") -> Milestone:
    """Release the hold of ``milestone`` (locked by the caller) and mark it approved.

    The worker's balance gets the price plus its consumption tax, less the
    platform fee (banded over the contract's releases so far), the fee's
    consumption tax and any withholding, which goes back to the client
    (``recoveries.withholding_return``) in the same transaction. ``by`` is
    None when the platform approves after the review window. Runs inside the caller's transaction;
    the ledger's dedupe key makes a second release of one milestone
    impossible. Raises 409 ``milestone_not_funded``, 409 ``dispute_open``
    while a dispute over the milestone is open.
    """
    if milestone.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
        raise Conflict(_("Only a paid-for milestone can be approved."), code="milestone_not_funded")
    if milestone.disputes.filter(status="open").exists():
        raise Conflict(
            _("This milestone is in dispute; an operator decides where its money goes."),
            code="dispute_open",
        )

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
    if breakdown.withholding:  # the client remits it: it goes back the way they paid
        reference = milestone_reference(milestone)
        recoveries.withholding_return(reference=reference, dedupe_key=f"withholding:{reference}")

    transition(
        machine="milestone", obj=milestone, to=MilestoneStatus.APPROVED, by=by, reason=reason
    )
    logger.info("work: milestone %s approved and released", milestone.pk)
    return milestone


@ledger_transaction
def milestone_cancel(*, milestone: Milestone, by: User) -> Milestone:
    """Cancel a milestone not yet approved; a paid one is refunded in full.

    An operator's tool; the parties agree on a cancellation through a
    contract change and a dispute ends with ``milestone_settle``. Locks the
    milestone, then the payment and the hold. Raises 404 to anyone else,
    409 ``milestone_not_cancellable``.
    """
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


def milestone_settle(
    *, milestone: Milestone, worker_share_yen: int, dedupe_key: str, by: User | None, reason: str
) -> Milestone:
    """Settle a paid milestone's hold between the two sides and close the milestone.

    ``worker_share_yen`` is the worker's part of the price without tax. The
    whole price is a release (the milestone is approved, the fee bands as
    ``milestone_release``); nothing is a refund in full; anything between is
    a split (``funding.payment_split``: the worker's part plus its tax,
    charged the fee as a release would be, the rest back to the client) and
    the milestone is cancelled. Runs in the caller's transaction with the
    milestone locked (with its contract's organization and job category).
    Raises 409 ``milestone_not_funded``, 422 ``invalid_split`` for a share
    outside 0 to the price, and the ledger's refusals.
    """
    if milestone.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
        raise Conflict(_("Only a paid-for milestone can be settled."), code="milestone_not_funded")
    if not 0 <= worker_share_yen <= milestone.amount_yen:
        raise RuleViolation(
            _("The worker's part must be between nothing and the milestone's price."),
            code="invalid_split",
            field="worker_share_yen",
        )

    if worker_share_yen == milestone.amount_yen:
        return milestone_release(milestone=milestone, by=by, reason=reason)
    # TODO(#4): the worker's side of a split is not yet counted in the contract's
    # cumulative amount for later fee bands (``_released_on_contract`` reads
    # released holds only), nor shown in the worker's statement (which reads
    # release entries); both need the split entry's worker part.
    reference = milestone_reference(milestone)
    if worker_share_yen == 0:
        funding.payment_refund(reference=reference)
    else:
        contract = milestone.contract
        funding.payment_split(
            reference=reference,
            worker_reference=f"user:{contract.worker_id}",
            worker_share_yen=worker_share_yen,
            dedupe_key=dedupe_key,
            cumulative_before_yen=_released_on_contract(contract),
            withholding=withholding_applies(contract),
        )
        recoveries.withholding_return(reference=reference, dedupe_key=f"withholding:{reference}")
    transition(
        machine="milestone", obj=milestone, to=MilestoneStatus.CANCELLED, by=by, reason=reason
    )
    logger.info("work: milestone %s settled, worker's share %d", milestone.pk, worker_share_yen)
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
def competition_fund(
    *, job: Job, by: User, method: str, card_token: str | None = None
) -> list[Payment]:
    """The client pays every prize (plus consumption tax) before entries are judged.

    Each prize is its own payment into its own hold
    (``competition:<id>:prize:<n>``, n from 1 to the number of winners), all
    in this one transaction: a declined card or a refusal pays none. Locks
    the competition, then each payment and hold. Raises 404 to anyone who
    does not manage the job, 409 ``already_awarded``, 409
    ``competition_closed`` once its prizes were refunded, and the payment's
    refusals (409 ``payment_exists`` when a prize is already paid for).
    """
    competition = (
        Competition.objects.select_for_update(of=("self",)).select_related("job").get(job=job)
    )
    if not access_job_manage(by, competition.job):
        raise NotFound(_("No such job."))
    if competition.awarded_at is not None:
        raise Conflict(_("This competition was already awarded."), code="already_awarded")
    competition_check_not_refunded(competition)

    amount = price_with_tax(price_yen=competition.prize_yen, on=timezone.localdate())
    return [
        funding.payment_start(
            payer=by,
            reference=competition_prize_reference(competition, position),
            amount_yen=amount,
            method=method,
            may_use_invoice=competition.job.organization_id is not None,
            card_token=card_token,
        )
        for position in range(1, competition.winner_count + 1)
    ]


def competition_check_not_refunded(competition: Competition) -> None:
    """Raise 409 ``competition_closed`` when the competition's prizes went back to the client."""
    prefix = f"competition:{competition.pk}:prize:"
    if Payment.objects.filter(reference__startswith=prefix, status=PaymentStatus.REFUNDED).exists():
        raise Conflict(
            _("This competition was closed without a winner."), code="competition_closed"
        )


def competition_prize_release(
    *, competition: Competition, winner: CompetitionEntry, position: int
) -> bool:
    """Release the ``position``-th prize to ``winner``; False when it was not funded.

    Called by ``competition_award`` inside its transaction, with the
    competition row locked. Each prize is charged the fee on its own.
    """
    reference = competition_prize_reference(competition, position)
    if not Hold.objects.filter(reference=reference, state=HoldState.FUNDED).exists():
        return False

    breakdown = release_breakdown(
        price_yen=competition.prize_yen,
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


def competition_prizes_refund(*, competition: Competition, first_position: int = 1) -> int:
    """Refund every funded prize from ``first_position`` on; returns how many.

    The prizes nobody won go back to the client, the way they were paid.
    Runs in the caller's transaction with the competition row locked.
    """
    refunded = 0
    for position in range(first_position, competition.winner_count + 1):
        reference = competition_prize_reference(competition, position)
        if Hold.objects.filter(reference=reference, state=HoldState.FUNDED).exists():
            funding.payment_refund(reference=reference)
            refunded += 1
    return refunded


# --- task batches ------------------------------------------------------------------


@ledger_transaction
def task_batch_fund(*, job: Job, by: User, method: str, card_token: str | None = None) -> Payment:
    """The client pays for a task batch: units x unit price, plus consumption tax.

    One payment into one hold (``task:<batch id>``); workers may claim units
    once it is funded (at once by card or invoice, on the operator's
    confirmation of a bank transfer). Locks the batch. Raises 404 to anyone
    who does not manage the job, 409 ``batch_closed`` unless the job is open,
    and the payment's refusals (409 ``payment_exists``).
    """
    batch = TaskBatch.objects.select_for_update(of=("self",)).select_related("job").get(job=job)
    if not access_job_manage(by, batch.job):
        raise NotFound(_("No such job."))
    if batch.job.status != JobStatus.OPEN:
        raise Conflict(_("This batch is closed."), code="batch_closed")

    return funding.payment_start(
        payer=by,
        reference=task_batch_reference(batch),
        amount_yen=price_with_tax(
            price_yen=batch.unit_count * batch.unit_price_yen, on=timezone.localdate()
        ),
        method=method,
        may_use_invoice=batch.job.organization_id is not None,
        card_token=card_token,
    )


def task_batch_funded(batch: TaskBatch) -> bool:
    """Whether the batch's hold is funded, so that its units may be worked on."""
    return Hold.objects.filter(
        reference=task_batch_reference(batch), state=HoldState.FUNDED
    ).exists()


def task_answer_pay(*, answer: "TaskAnswer") -> None:
    """Pay the worker of an approved answer its unit price out of the batch's hold.

    The unit price plus its consumption tax leaves the hold, less the flat
    task fee and its tax (``fees.release_breakdown`` with ``is_task``). Runs
    in the caller's transaction, which holds the answer's lock; locks the
    hold, then the accounts. The dedupe key is the answer's, so an answer is
    paid once however often this runs. Raises the ledger's
    refusals: 404 ``hold_not_found`` for an unfunded batch, 409
    ``hold_settled`` once the batch was closed, 422 ``part_exceeds_hold``.
    """
    batch = answer.unit.batch
    breakdown = release_breakdown(
        price_yen=batch.unit_price_yen,
        cumulative_before_yen=0,
        is_task=True,
        withholding=False,  # TODO(#3): withholding on task work paid by organizations
        on=timezone.localdate(),
    )
    services.hold_release_part(
        reference=task_batch_reference(batch),
        worker_reference=f"user:{answer.worker_id}",
        breakdown=breakdown,
        dedupe_key=task_answer_dedupe_key(answer.pk),
    )
    logger.info("work: task answer %s paid from batch %s", answer.pk, batch.pk)


def task_answer_dedupe_key(answer_id: int) -> str:
    """The ledger key of an answer's payment; statements read the answer back from it."""
    return f"{TASK_ANSWER_KEY_PREFIX}{answer_id}"


TASK_ANSWER_KEY_PREFIX = "release:task-answer:"


def task_batch_settle(*, batch: TaskBatch, by: User | None) -> None:
    """Refund what the batch's hold has left and close its job, if still open.

    The caller (``process.task_units.task_batch_close``) holds the batch's
    lock and has expired its open claims; no answer awaits review. A batch
    never funded, or whose hold is settled already (emptied by its answers),
    only has its job closed. Locks the payment, then the hold.
    """
    reference = task_batch_reference(batch)
    if Hold.objects.filter(reference=reference, state=HoldState.FUNDED).exists():
        funding.payment_close(reference=reference)
    job = Job.objects.select_for_update().get(pk=batch.job_id)
    if job.status == JobStatus.OPEN:
        job.closed_at = timezone.now()
        transition(machine="job", obj=job, to=JobStatus.CLOSED, by=by, also_update=("closed_at",))
    logger.info("work: task batch %s closed", batch.pk)
