"""The process API: the order board, contract changes, disputes and task units.

Accepting a change may move money (an early end refunds, a cancellation
splits a hold), so it takes an ``Idempotency-Key``. Disputes are resolved by
operators in the back office, not here. A task unit's gold answer is shown
to the batch's client only, never to a worker.
"""

from typing import Annotated, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.params.functions import Header

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.idempotency import HEADER, IDEMPOTENT
from tsunagu.api.lookups import contract_visible, job_managed, job_visible
from tsunagu.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page, paginate
from tsunagu.errors import NotFound
from tsunagu.process import changes, disputes, task_units
from tsunagu.process.board import BoardFilter, Stage, board_counts, order_board
from tsunagu.process.models import ContractChange, Dispute, TaskAnswer, TaskAnswerStatus, TaskUnit
from tsunagu.process.schemas import (
    BatchQualityOut,
    BoardOut,
    ChangeDeclineIn,
    ChangeIn,
    ChangeOut,
    DisputeIn,
    DisputeOut,
    TaskAnswerOut,
    TaskAnswerPageOut,
    TaskAnswerReviewIn,
    TaskAnswerSubmitIn,
    TaskClaimOut,
    UnitPageOut,
    UnitsAddedOut,
    UnitsAddIn,
)
from tsunagu.process.task_selectors import (
    task_answers_live_count,
    task_answers_of_batch,
    task_units_overview,
)
from tsunagu.work.models import Job, Milestone, TaskBatch

router = Router(tags=["orders"])

IdempotencyKeyHeader = Annotated[str, Header(alias=HEADER)]


class BoardQuery(Schema):
    side: Literal["client", "worker"] = "client"
    stage: Stage | None = None
    waiting_on: Literal["client", "worker", "operator", "nobody"] | None = None
    flagged: bool = False


@router.get(
    "/me/orders",
    auth=SESSION,
    response=BoardOut,
    operation_id="my_orders_get",
    summary="My order board: every order, its stage, who must act next, due dates and flags",
)
def my_orders_get(request: HttpRequest, filters: Query[BoardQuery]) -> dict[str, object]:
    orders = order_board(
        user=signed_in_user(request),
        as_worker=filters.side == "worker",
        only=BoardFilter(
            stage=filters.stage, waiting_on=filters.waiting_on, flagged=filters.flagged
        ),
    )
    return {"counts": board_counts(orders), "orders": orders}


# --- contract changes and disputes ----------------------------------------------------


@router.post(
    "/contracts/{contract_id}/changes",
    auth=SESSION,
    response={201: ChangeOut},
    tags=["contract changes"],
    operation_id="contract_change_propose",
    summary="Propose a change of the contract (a milestone, a price, a date, an early end)",
)
def contract_change_propose_endpoint(
    request: HttpRequest, contract_id: int, payload: ChangeIn
) -> Status[ContractChange]:
    user = signed_in_user(request)
    contract = contract_visible(user, contract_id)
    milestone = None
    if payload.milestone_id is not None:
        milestone = contract.milestones.filter(pk=payload.milestone_id).first()
        if milestone is None:
            raise NotFound(_("No such milestone."))
    change = changes.contract_change_propose(
        contract=contract,
        by=user,
        kind=payload.kind,
        milestone=milestone,
        title=payload.title,
        amount_yen=payload.amount_yen,
        due_date=payload.due_date,
        worker_share_yen=payload.worker_share_yen,
        reason=payload.reason,
    )
    return Status(201, change)


@router.get(
    "/contracts/{contract_id}/changes",
    auth=SESSION,
    response=list[ChangeOut],
    tags=["contract changes"],
    operation_id="contract_change_list",
    summary="The changes proposed on a contract, newest first",
)
def contract_change_list(request: HttpRequest, contract_id: int) -> list[ContractChange]:
    contract = contract_visible(signed_in_user(request), contract_id)
    return list(ContractChange.objects.filter(contract=contract).order_by("-created_at", "-pk"))


@router.post(
    "/changes/{change_id}/accept",
    auth=SESSION,
    response=ChangeOut,
    tags=["contract changes"],
    operation_id="contract_change_accept",
    summary="Accept the other side's change; it applies at once. Needs an Idempotency-Key",
)
@IDEMPOTENT
def contract_change_accept(
    request: HttpRequest, change_id: int, idempotency_key: IdempotencyKeyHeader
) -> ContractChange:
    change = get_object_or_404(ContractChange, pk=change_id)
    return changes.contract_change_accept(change=change, by=signed_in_user(request))


@router.post(
    "/changes/{change_id}/decline",
    auth=SESSION,
    response=ChangeOut,
    tags=["contract changes"],
    operation_id="contract_change_decline",
    summary="Decline the other side's change",
)
def contract_change_decline(
    request: HttpRequest, change_id: int, payload: ChangeDeclineIn
) -> ContractChange:
    change = get_object_or_404(ContractChange, pk=change_id)
    return changes.contract_change_decline(
        change=change, by=signed_in_user(request), reason=payload.reason
    )


@router.post(
    "/changes/{change_id}/withdraw",
    auth=SESSION,
    response=ChangeOut,
    tags=["contract changes"],
    operation_id="contract_change_withdraw",
    summary="Withdraw a change I proposed, before it is answered",
)
def contract_change_withdraw(request: HttpRequest, change_id: int) -> ContractChange:
    change = get_object_or_404(ContractChange, pk=change_id)
    return changes.contract_change_withdraw(change=change, by=signed_in_user(request))


@router.post(
    "/milestones/{milestone_id}/disputes",
    auth=SESSION,
    response={201: DisputeOut},
    tags=["disputes"],
    operation_id="dispute_open",
    summary="Dispute a paid milestone; its money stays held until an operator decides",
)
def dispute_open_endpoint(
    request: HttpRequest, milestone_id: int, payload: DisputeIn
) -> Status[Dispute]:
    milestone = get_object_or_404(Milestone, pk=milestone_id)
    return Status(
        201,
        disputes.dispute_open(
            milestone=milestone, by=signed_in_user(request), reason=payload.reason
        ),
    )


@router.post(
    "/disputes/{dispute_id}/withdraw",
    auth=SESSION,
    response=DisputeOut,
    tags=["disputes"],
    operation_id="dispute_withdraw",
    summary="Withdraw a dispute I opened",
)
def dispute_withdraw_endpoint(request: HttpRequest, dispute_id: int) -> Dispute:
    dispute = get_object_or_404(Dispute, pk=dispute_id)
    return disputes.dispute_withdraw(dispute=dispute, by=signed_in_user(request))


# --- task units -------------------------------------------------------------------


def _task_batch(job: Job) -> TaskBatch:
    """The job's batch; a job of another format has no units to speak of."""
    batch: TaskBatch | None = getattr(job, "task_batch", None) if job.format == "task" else None
    if batch is None:
        raise NotFound(_("No such job."))
    return batch


def _task_answer(answer_id: int) -> TaskAnswer:
    """An answer; the services answer 404 to anyone but its worker or client."""
    answer = TaskAnswer.objects.filter(pk=answer_id).first()
    if answer is None:
        raise NotFound(_("No such answer."))
    return answer


@router.post(
    "/jobs/{job_id}/units",
    auth=SESSION,
    response={201: UnitsAddedOut},
    tags=["tasks"],
    operation_id="task_units_add",
    summary="Add units to my task batch, each with its choices and an optional gold answer",
)
def task_units_add_endpoint(
    request: HttpRequest, job_id: int, payload: UnitsAddIn
) -> Status[dict[str, object]]:
    user = signed_in_user(request)
    batch = _task_batch(job_managed(user, job_id))
    units = [
        task_units.UnitSpec(
            payload=unit.payload.model_dump(exclude_none=True),
            choices=unit.choices,
            gold_answer=unit.gold_answer,
        )
        for unit in payload.units
    ]
    added = task_units.task_units_add(
        batch=batch, by=user, units=units, redundancy=payload.redundancy
    )
    return Status(201, {"added": len(added), "unit_ids": [unit.pk for unit in added]})


@router.get(
    "/jobs/{job_id}/units",
    auth=SESSION,
    response=UnitPageOut,
    tags=["tasks"],
    operation_id="task_units_list",
    summary="My task batch's units, in order, with their answers counted and their consensus",
)
def task_units_list(
    request: HttpRequest,
    job_id: int,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[TaskUnit]:
    batch = _task_batch(job_managed(signed_in_user(request), job_id))
    return paginate(
        task_units_overview(batch=batch), cursor=cursor, limit=limit, newest_first=False
    )


@router.post(
    "/jobs/{job_id}/units/claim",
    auth=SESSION,
    response={201: TaskClaimOut},
    tags=["tasks"],
    operation_id="task_unit_claim",
    summary="Claim the next unit to answer in a batch I joined (its payload and choices)",
)
def task_unit_claim_endpoint(request: HttpRequest, job_id: int) -> Status[dict[str, object]]:
    user = signed_in_user(request)
    batch = _task_batch(job_visible(user, job_id))
    answer = task_units.task_unit_claim(batch=batch, worker=user)
    return Status(
        201,
        {
            "answer_id": answer.pk,
            "unit_id": answer.unit_id,
            "payload": answer.unit.payload,
            "choices": answer.unit.choices,
            "claim_expires_at": answer.claim_expires_at,
            "live_answers": task_answers_live_count(batch=batch, worker=user),
            "per_worker_cap": batch.per_worker_cap,
        },
    )


@router.get(
    "/jobs/{job_id}/task-answers",
    auth=SESSION,
    response=TaskAnswerPageOut,
    tags=["tasks"],
    operation_id="task_answers_list",
    summary="My task batch's answers, oldest claim first; ?status=submitted awaits review",
)
def task_answers_list(
    request: HttpRequest,
    job_id: int,
    status: TaskAnswerStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[TaskAnswer]:
    batch = _task_batch(job_managed(signed_in_user(request), job_id))
    answers = task_answers_of_batch(batch=batch, status=status)
    return paginate(answers, cursor=cursor, limit=limit, newest_first=False)


@router.post(
    "/task-answers/{answer_id}/submit",
    auth=SESSION,
    response=TaskAnswerOut,
    tags=["tasks"],
    operation_id="task_answer_submit",
    summary="Answer a unit I claimed with one of its choices",
)
def task_answer_submit_endpoint(
    request: HttpRequest, answer_id: int, payload: TaskAnswerSubmitIn
) -> TaskAnswer:
    return task_units.task_answer_submit(
        answer=_task_answer(answer_id), worker=signed_in_user(request), value=payload.value
    )


@router.post(
    "/task-answers/{answer_id}/review",
    auth=SESSION,
    response=TaskAnswerOut,
    tags=["tasks"],
    operation_id="task_answer_review",
    summary="Approve or reject (with a reason) an answer to my task batch",
)
def task_answer_review_endpoint(
    request: HttpRequest, answer_id: int, payload: TaskAnswerReviewIn
) -> TaskAnswer:
    return task_units.task_answer_review(
        answer=_task_answer(answer_id),
        by=signed_in_user(request),
        approve=payload.approve,
        reason=payload.reason,
    )


@router.post(
    "/jobs/{job_id}/quality",
    auth=SESSION,
    response=BatchQualityOut,
    tags=["tasks"],
    operation_id="task_batch_quality",
    summary="Aggregate my task batch: consensus per unit, accuracy and flags per worker",
)
def task_batch_quality(request: HttpRequest, job_id: int) -> dict[str, object]:
    # A POST: the aggregation writes each unit's consensus and the workers'
    # tested skill evidence.
    batch = _task_batch(job_managed(signed_in_user(request), job_id))
    quality = task_units.task_batch_aggregate(batch=batch)
    units = batch.units.count()
    return {
        "units": units,
        "units_with_consensus": quality.units_with_consensus,
        "consensus_coverage": quality.units_with_consensus / units if units else 0.0,
        "flagged_worker_ids": quality.flagged_worker_ids,
        "workers": quality.workers,
    }
