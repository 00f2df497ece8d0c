"""The process API: the order board, contract changes and disputes.

Accepting a change may move money (an early end refunds, a cancellation
splits a hold), so it takes an ``Idempotency-Key``. Disputes are resolved by
operators in the back office, not here.
"""

from typing import Annotated, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.params.functions import Header

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.idempotency import HEADER, IDEMPOTENT
from tsunagu.api.lookups import contract_visible
from tsunagu.errors import NotFound
from tsunagu.process import changes, disputes
from tsunagu.process.board import BoardFilter, Stage, board_counts, order_board
from tsunagu.process.models import ContractChange, Dispute
from tsunagu.process.schemas import (
    BoardOut,
    ChangeDeclineIn,
    ChangeIn,
    ChangeOut,
    DisputeIn,
    DisputeOut,
)
from tsunagu.work.models import Milestone

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
