"""The order board: every order of a client (or a worker), where it stands,
who must act next and by when.

An order is a job the client posted, with the contract made from it if any.
For each, ``order_board`` works out the stage from the first milestone that
is neither approved nor cancelled, and from it the next action, the party
that is waited on, the next due date and two flags:

- ``overdue``: the due date has passed;
- ``at_risk``: work not yet delivered with less than 20% of its time left
  (from the milestone's payment to its due date), or a transfer or review
  due within two days.

An open dispute puts the order at ``disputed``, waiting on the operator,
whatever its milestones say. A proposed contract change waits on the side
that did not propose it (``answer_the_change``), the stage unchanged.

The board reads a fixed number of queries whatever the number of orders (it
is tested at 20 and at 200): jobs, contracts, milestones, pending payments,
open deliveries, open disputes, proposed changes and proposal counts each
come in one query.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.payments.models import Payment, PaymentStatus
from tsunagu.process.models import (
    ChangeStatus,
    ContractChange,
    Delivery,
    DeliveryStatus,
    Dispute,
    DisputeStatus,
)
from tsunagu.work.models import (
    Contract,
    ContractStatus,
    Job,
    JobStatus,
    Milestone,
    MilestoneStatus,
    ProposalStatus,
)

TOKYO = ZoneInfo("Asia/Tokyo")
MANAGING_ROLES = ["owner", "admin"]  # members who manage the organization's orders
AT_RISK_SHARE = 0.2
SOON = timedelta(days=2)


class Stage(StrEnum):
    RECRUITING = "recruiting"  # open job, no contract yet
    CHOOSING = "choosing"  # proposals waiting for the client
    AWAITING_PAYMENT = "awaiting_payment"
    IN_PROGRESS = "in_progress"
    AWAITING_REVIEW = "awaiting_review"
    READY_TO_COMPLETE = "ready_to_complete"  # every milestone approved
    DISPUTED = "disputed"  # a dispute is open; the operator decides
    COMPLETED = "completed"
    CLOSED = "closed"  # ended without a contract, or cancelled


class Party(StrEnum):
    CLIENT = "client"
    WORKER = "worker"
    OPERATOR = "operator"
    NOBODY = "nobody"


# stage -> (next action, who must take it)
NEXT_ACTIONS: dict[Stage, tuple[str, Party]] = {
    Stage.RECRUITING: ("wait_for_proposals", Party.NOBODY),
    Stage.CHOOSING: ("choose_a_proposal", Party.CLIENT),
    Stage.AWAITING_PAYMENT: ("pay_for_the_milestone", Party.CLIENT),
    Stage.IN_PROGRESS: ("deliver", Party.WORKER),
    Stage.AWAITING_REVIEW: ("review_the_delivery", Party.CLIENT),
    Stage.READY_TO_COMPLETE: ("complete_the_contract", Party.CLIENT),
    Stage.DISPUTED: ("wait_for_the_operator", Party.OPERATOR),
    Stage.COMPLETED: ("review_each_other", Party.NOBODY),
    Stage.CLOSED: ("none", Party.NOBODY),
}


@dataclass(frozen=True)
class Order:
    job_id: int
    contract_id: int | None
    milestone_id: int | None
    title: str
    counterpart: str
    stage: Stage
    next_action: str
    waiting_on: Party
    due_at: datetime | None
    overdue: bool
    at_risk: bool
    proposals: int


@dataclass(frozen=True)
class BoardFilter:
    stage: str | None = None
    waiting_on: str | None = None
    flagged: bool = False  # only overdue or at-risk orders


def order_board(
    *,
    user: User,
    as_worker: bool = False,
    now: datetime | None = None,
    only: BoardFilter | None = None,
) -> list[Order]:
    """The user's orders as a client (or, ``as_worker``, their contracts), most urgent first."""
    now = now or timezone.now()
    contracts = _contracts(user, as_worker=as_worker)
    jobs = [] if as_worker else _jobs_without_contract(user, contracts)
    milestones = _current_milestones(contracts)
    pending_payments = _pending_payments(milestones.values())
    open_deliveries = _open_deliveries(milestones.values())
    disputes = _open_disputes(contracts)
    changes = _proposed_changes(contracts)

    orders = [_job_order(job) for job in jobs]
    for contract in contracts:
        milestone = milestones.get(contract.pk)
        order = _contract_order(
            contract,
            milestone,
            payment=pending_payments.get(milestone.pk) if milestone else None,
            delivery=open_deliveries.get(milestone.pk) if milestone else None,
            as_worker=as_worker,
            now=now,
        )
        orders.append(
            _with_dispute_or_change(
                order, contract, dispute=disputes.get(contract.pk), change=changes.get(contract.pk)
            )
        )
    return sorted(_filtered(orders, only), key=_urgency)


# --- reading ------------------------------------------------------------------------


def _contracts(user: User, *, as_worker: bool) -> list[Contract]:
    rows = Contract.objects.select_related("job", "client", "worker")
    if as_worker:
        rows = rows.filter(worker=user)
    else:
        rows = rows.filter(
            Q(client=user)
            | Q(
                organization__memberships__user=user,
                organization__memberships__role__in=["owner", "admin"],
            )
        ).distinct()
    return list(rows.order_by("-created_at", "-pk"))


def _jobs_without_contract(user: User, contracts: list[Contract]) -> list[Job]:
    with_contract = {contract.job_id for contract in contracts}
    rows = (
        Job.objects.filter(
            Q(client=user)
            | Q(
                organization__memberships__user=user,
                organization__memberships__role__in=["owner", "admin"],
            )
        )
        .exclude(pk__in=with_contract)
        .annotate(waiting=Count("proposals", filter=Q(proposals__status=ProposalStatus.SUBMITTED)))
        .distinct()
        .order_by("-created_at", "-pk")
    )
    return list(rows)


def _current_milestones(contracts: list[Contract]) -> dict[int, Milestone]:
    """Per contract, the first milestone still open (neither approved nor cancelled)."""
    current: dict[int, Milestone] = {}
    rows = Milestone.objects.filter(contract__in=[c.pk for c in contracts]).exclude(
        status__in=[MilestoneStatus.APPROVED, MilestoneStatus.CANCELLED]
    )
    for milestone in rows.order_by("contract_id", "position"):
        current.setdefault(milestone.contract_id, milestone)
    return current


def _pending_payments(milestones: Iterable[Milestone]) -> dict[int, Payment]:
    ids = [milestone.pk for milestone in milestones]
    references = {f"milestone:{pk}": pk for pk in ids}
    payments = Payment.objects.filter(reference__in=list(references), status=PaymentStatus.PENDING)
    return {references[payment.reference]: payment for payment in payments}


def _open_deliveries(milestones: Iterable[Milestone]) -> dict[int, Delivery]:
    ids = [milestone.pk for milestone in milestones]
    found: dict[int, Delivery] = {}
    for delivery in Delivery.objects.filter(milestone_id__in=ids, status=DeliveryStatus.SUBMITTED):
        found[delivery.milestone_id] = delivery
    return found


def _open_disputes(contracts: list[Contract]) -> dict[int, Dispute]:
    """Per contract, its oldest open dispute."""
    found: dict[int, Dispute] = {}
    rows = Dispute.objects.filter(
        contract__in=[c.pk for c in contracts], status=DisputeStatus.OPEN
    ).order_by("created_at", "pk")
    for dispute in rows:
        found.setdefault(dispute.contract_id, dispute)
    return found


def _proposed_changes(contracts: list[Contract]) -> dict[int, ContractChange]:
    """Per contract, the change awaiting an answer (at most one)."""
    rows = ContractChange.objects.filter(
        contract__in=[c.pk for c in contracts], status=ChangeStatus.PROPOSED
    )
    return {change.contract_id: change for change in rows}


# --- judging -------------------------------------------------------------------------


def _job_order(job: Job) -> Order:
    waiting = int(getattr(job, "waiting", 0))
    if job.status == JobStatus.OPEN:
        stage = Stage.CHOOSING if waiting else Stage.RECRUITING
    else:
        stage = Stage.CLOSED
    action, party = NEXT_ACTIONS[stage]
    due = job.deadline if job.status == JobStatus.OPEN else None
    return Order(
        job_id=job.pk,
        contract_id=None,
        milestone_id=None,
        title=job.title,
        counterpart="",
        stage=stage,
        next_action=action,
        waiting_on=party,
        due_at=due,
        overdue=False,
        at_risk=False,
        proposals=waiting,
    )


def _contract_order(
    contract: Contract,
    milestone: Milestone | None,
    *,
    payment: Payment | None,
    delivery: Delivery | None,
    as_worker: bool,
    now: datetime,
) -> Order:
    stage = _contract_stage(contract, milestone)
    action, party = NEXT_ACTIONS[stage]
    due_at, started_at = _due(stage, contract, milestone, payment=payment, delivery=delivery)
    overdue = due_at is not None and due_at < now
    at_risk = not overdue and due_at is not None and _at_risk(stage, due_at, started_at, now)
    counterpart = contract.client if as_worker else contract.worker
    return Order(
        job_id=contract.job_id,
        contract_id=contract.pk,
        milestone_id=milestone.pk if milestone else None,
        title=contract.title,
        counterpart=counterpart.display_name,
        stage=stage,
        next_action=action,
        waiting_on=party,
        due_at=due_at,
        overdue=overdue,
        at_risk=at_risk,
        proposals=0,
    )


def _with_dispute_or_change(
    order: Order,
    contract: Contract,
    *,
    dispute: Dispute | None,
    change: ContractChange | None,
) -> Order:
    """An open dispute outranks everything; a proposed change asks the other side."""
    if contract.status != ContractStatus.ACTIVE:
        return order
    if dispute is not None:
        action, party = NEXT_ACTIONS[Stage.DISPUTED]
        return replace(
            order,
            milestone_id=dispute.milestone_id,
            stage=Stage.DISPUTED,
            next_action=action,
            waiting_on=party,
            due_at=None,
            overdue=False,
            at_risk=False,
        )
    if change is not None:
        proposed_by_worker = change.proposed_by_id == contract.worker_id
        return replace(
            order,
            next_action="answer_the_change",
            waiting_on=Party.CLIENT if proposed_by_worker else Party.WORKER,
        )
    return order


def _contract_stage(contract: Contract, milestone: Milestone | None) -> Stage:
    if contract.status == ContractStatus.COMPLETED:
        return Stage.COMPLETED
    if contract.status == ContractStatus.CANCELLED:
        return Stage.CLOSED
    if milestone is None:
        return Stage.READY_TO_COMPLETE
    return {
        MilestoneStatus.PENDING: Stage.AWAITING_PAYMENT,
        MilestoneStatus.FUNDED: Stage.IN_PROGRESS,
        MilestoneStatus.SUBMITTED: Stage.AWAITING_REVIEW,
    }[MilestoneStatus(milestone.status)]


def _due(
    stage: Stage,
    contract: Contract,
    milestone: Milestone | None,
    *,
    payment: Payment | None,
    delivery: Delivery | None,
) -> tuple[datetime | None, datetime | None]:
    """The next due moment of the order, and when its clock started (for at-risk)."""
    if stage == Stage.AWAITING_PAYMENT and payment is not None and payment.due_on:
        return _end_of_day(payment.due_on), payment.created_at
    if stage == Stage.IN_PROGRESS and milestone is not None:
        due_date = milestone.due_date or contract.delivery_due
        if due_date is not None:
            return _end_of_day(due_date), milestone.updated_at
    if stage == Stage.AWAITING_REVIEW and delivery is not None:
        return delivery.review_due_at, delivery.submitted_at
    return None, None


def _at_risk(stage: Stage, due_at: datetime, started_at: datetime | None, now: datetime) -> bool:
    if stage == Stage.IN_PROGRESS and started_at is not None and due_at > started_at:
        return (due_at - now) < (due_at - started_at) * AT_RISK_SHARE
    return due_at - now < SOON


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=TOKYO)


def _filtered(orders: list[Order], only: BoardFilter | None) -> list[Order]:
    if only is None:
        return orders
    return [
        order
        for order in orders
        if (only.stage is None or order.stage == only.stage)
        and (only.waiting_on is None or order.waiting_on == only.waiting_on)
        and (not only.flagged or order.overdue or order.at_risk)
    ]


def _urgency(order: Order) -> tuple[int, datetime]:
    """Overdue first, then at risk, then by due date; orders without one last."""
    rank = 0 if order.overdue else 1 if order.at_risk else 2
    far = datetime.max.replace(tzinfo=TOKYO)
    return rank, order.due_at or far


def board_counts(orders: list[Order]) -> dict[str, int]:
    """How many orders stand at each stage, for the board's summary chart."""
    counts: dict[str, int] = defaultdict(int)
    for order in orders:
        counts[order.stage] += 1
    return dict(counts)
