"""The process API: the order board of the signed-in client or worker."""

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.process.board import BoardFilter, Stage, board_counts, order_board
from tsunagu.process.schemas import BoardOut

router = Router(tags=["orders"])


class BoardQuery(Schema):
    side: Literal["client", "worker"] = "client"
    stage: Stage | None = None
    waiting_on: Literal["client", "worker", "nobody"] | None = None
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
