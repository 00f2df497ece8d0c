"""The payments API: the signed-in worker's balance, bank accounts and payouts.

Every operation that moves money takes an ``Idempotency-Key`` header
(``tsunagu.api.idempotency``); the dedupe key of the service call is derived
from it, so a retried request pays out once. Responses show a bank account
by its masked number only (see ``tsunagu.payments.schemas``).
"""

from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Status
from ninja.params.functions import Header

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.idempotency import HEADER, IDEMPOTENT, idempotency_dedupe_key
from tsunagu.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, paginate
from tsunagu.payments.bank_accounts import (
    bank_account_deactivate,
    bank_account_of,
    bank_account_register,
    bank_accounts_of,
)
from tsunagu.payments.models import BankAccount, Payout
from tsunagu.payments.payouts import payout_request, payouts_of, worker_reference
from tsunagu.payments.schemas import (
    BalanceOut,
    BankAccountIn,
    BankAccountOut,
    BankAccountsOut,
    PayoutCreatedOut,
    PayoutIn,
    PayoutsOut,
)
from tsunagu.payments.selectors import WorkerBalance, worker_balance

router = Router(tags=["payments"])


@router.get(
    "/me/balance",
    auth=SESSION,
    response=BalanceOut,
    operation_id="my_balance_get",
    summary="My balance: what I can withdraw, and what is on its way to my bank",
)
def my_balance_get(request: HttpRequest) -> WorkerBalance:
    return worker_balance(worker_reference=worker_reference(signed_in_user(request)))


# --- bank accounts -------------------------------------------------------------


@router.get(
    "/me/bank-accounts",
    auth=SESSION,
    response=BankAccountsOut,
    operation_id="my_bank_account_list",
    summary="My bank accounts, newest first, deactivated ones included (masked numbers)",
)
def my_bank_account_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> dict[str, object]:
    page = paginate(bank_accounts_of(signed_in_user(request)), cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/me/bank-accounts",
    auth=SESSION,
    response={201: BankAccountOut},
    operation_id="my_bank_account_create",
    summary="Register a bank account for my payouts",
)
def my_bank_account_create(request: HttpRequest, payload: BankAccountIn) -> Status[BankAccount]:
    account = bank_account_register(owner=signed_in_user(request), **payload.dict())
    return Status(201, account)


@router.post(
    "/me/bank-accounts/{bank_account_id}/deactivate",
    auth=SESSION,
    response=BankAccountOut,
    operation_id="my_bank_account_deactivate",
    summary="Stop using one of my bank accounts; payouts already approved are still sent",
)
def my_bank_account_deactivate(request: HttpRequest, bank_account_id: int) -> BankAccount:
    user = signed_in_user(request)
    account = bank_account_of(owner=user, bank_account_id=bank_account_id)
    return bank_account_deactivate(bank_account=account, by=user)


# --- payouts -----------------------------------------------------------------


@router.get(
    "/me/payouts",
    auth=SESSION,
    response=PayoutsOut,
    operation_id="my_payout_list",
    summary="My payouts, newest first, with their status",
)
def my_payout_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> dict[str, object]:
    page = paginate(payouts_of(signed_in_user(request)), cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/me/payouts",
    auth=SESSION,
    response={201: PayoutCreatedOut},
    operation_id="my_payout_create",
    summary="Pay out from my balance to one of my bank accounts (needs an Idempotency-Key)",
)
@IDEMPOTENT
def my_payout_create(
    request: HttpRequest,
    payload: PayoutIn,
    # Checked by IDEMPOTENT before anything else; declared to document it.
    idempotency_key: Annotated[str, Header(alias=HEADER)],
) -> Status[Payout]:
    user = signed_in_user(request)
    account = bank_account_of(owner=user, bank_account_id=payload.bank_account_id)
    payout = payout_request(
        worker=user,
        bank_account=account,
        amount_yen=payload.amount_yen,
        dedupe_key=idempotency_dedupe_key(request, purpose="payout"),
    )
    return Status(201, payout)
