"""The payments API: the signed-in worker's balance and withdrawals.

Every operation that moves money takes an ``Idempotency-Key`` header
(``tsunagu.api.idempotency``); the ledger dedupe key of the service call is
derived from it, so a retried request pays out once.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.params.functions import Header

from tsunagu.accounts.models import User
from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.idempotency import HEADER, IDEMPOTENT, idempotency_dedupe_key
from tsunagu.payments.schemas import BalanceOut, WithdrawalIn, WithdrawalOut
from tsunagu.payments.selectors import WorkerBalance, worker_balance
from tsunagu.payments.services import balance_withdraw

router = Router()


def worker_reference(user: User) -> str:
    """The ledger's name for a worker (as ``work.escrow`` releases to it)."""
    return f"user:{user.pk}"


@router.get(
    "/me/balance",
    auth=SESSION,
    response=BalanceOut,
    tags=["payments"],
    operation_id="my_balance_get",
    summary="My balance: what I can withdraw, and what is on its way to my bank",
)
def my_balance_get(request: HttpRequest) -> WorkerBalance:
    return worker_balance(worker_reference=worker_reference(signed_in_user(request)))


@router.post(
    "/me/withdrawals",
    auth=SESSION,
    response={201: WithdrawalOut},
    tags=["payments"],
    operation_id="my_withdrawal_create",
    summary="Withdraw from my balance to my bank (needs an Idempotency-Key header)",
)
@IDEMPOTENT
def my_withdrawal_create(
    request: HttpRequest,
    payload: WithdrawalIn,
    # Checked by IDEMPOTENT before anything else; declared to document it.
    idempotency_key: Annotated[str, Header(alias=HEADER)],
) -> Status[dict[str, Any]]:
    reference = worker_reference(signed_in_user(request))
    entry = balance_withdraw(
        worker_reference=reference,
        amount_yen=payload.amount_yen,
        dedupe_key=idempotency_dedupe_key(request, purpose="withdraw"),
    )
    return Status(
        201,
        {
            "id": entry.pk,
            "amount_yen": payload.amount_yen,
            "created_at": entry.created_at,
            "balance": worker_balance(worker_reference=reference),
        },
    )
