"""Bodies of the payments API: a worker's balance, bank accounts and payouts.

Balances are what the worker receives, consumption tax on their price
included (it is theirs), fees and withheld tax already taken off.

A bank account is shown by its bank and branch codes, its type and the last
four digits of its number (``***4567``). The full number and the holder's
name are never sent back, not even to their owner: they are stored encrypted
and only the back office's transfer file reads them in clear. The owner typed
them and tells their accounts apart by bank, branch and last digits.
"""

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from tsunagu.api.limits import Yen
from tsunagu.payments.models import BankAccount, BankAccountReview, Payout
from tsunagu.payments.selectors import WorkerBalance, worker_balance

MAX_ID = 2**63 - 1  # the largest primary key; larger numbers would overflow the query


class BalanceOut(Schema):
    available_yen: int
    in_flight_yen: int


# --- bank accounts -------------------------------------------------------------


class BankAccountIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "bank_code": "0001",
                    "branch_code": "123",
                    "account_type": "ordinary",
                    "account_number": "1234567",
                    "holder_name": "ヤマダ タロウ",
                }
            ]
        },
    )

    bank_code: str = Field(max_length=16, description="The 4-digit bank code (金融機関コード).")
    branch_code: str = Field(max_length=16, description="The 3-digit branch code (支店コード).")
    account_type: str = Field(max_length=16, description="`ordinary` (普通) or `checking` (当座).")
    account_number: str = Field(max_length=16, description="The 7-digit account number.")
    holder_name: str = Field(
        max_length=60,
        description="The holder's name in katakana as the bank has it; half-width is accepted.",
    )


class BankAccountOut(Schema):
    """A bank account as its owner sees it: never the full number, never the holder's name."""

    id: int
    bank_code: str
    branch_code: str
    account_type: str = Field(description="`ordinary` (普通) or `checking` (当座).")
    account_number_masked: str = Field(description="`***` and the number's last 4 digits.")
    verified: bool = Field(
        description="An operator checked the account; payouts to a new unverified one wait "
        "for review."
    )
    is_active: bool = Field(description="False once deactivated: no new payout can go to it.")
    created_at: datetime

    @staticmethod
    def resolve_account_number_masked(account: BankAccount) -> str:
        return account.number_masked

    @staticmethod
    def resolve_verified(account: BankAccount) -> bool:
        return account.review_state == BankAccountReview.VERIFIED


class BankAccountsOut(Schema):
    items: list[BankAccountOut]
    next_cursor: str | None


# --- payouts -----------------------------------------------------------------


class PayoutIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"bank_account_id": 12, "amount_yen": 8580}]},
    )

    bank_account_id: int = Field(ge=1, le=MAX_ID, description="One of my active bank accounts.")
    amount_yen: Yen = Field(
        description="What leaves the balance; the bank receives it less the fee."
    )


class PayoutBankAccountOut(Schema):
    id: int
    bank_code: str
    branch_code: str
    account_type: str
    account_number_masked: str

    @staticmethod
    def resolve_account_number_masked(account: BankAccount) -> str:
        return account.number_masked


class PayoutOut(Schema):
    id: int
    status: str = Field(
        description="requested, held_for_review, approved, sent, paid, failed or rejected."
    )
    amount_yen: int = Field(description="What left the balance.")
    fee_yen: int = Field(description="The transfer fee, taken off when the bank pays.")
    net_yen: int = Field(description="What reaches the bank account.")
    bank_account: PayoutBankAccountOut
    failure_reason: str = Field(
        description="Why a failed or rejected payout did not go through; the amount is "
        "back in the balance."
    )
    created_at: datetime
    sent_at: datetime | None
    settled_at: datetime | None = Field(description="When it was paid, failed or rejected.")


class PayoutCreatedOut(PayoutOut):
    balance: BalanceOut = Field(description="My balance after the request.")

    @staticmethod
    def resolve_balance(payout: Payout) -> WorkerBalance:
        return worker_balance(worker_reference=f"user:{payout.worker_id}")


class PayoutsOut(Schema):
    items: list[PayoutOut]
    next_cursor: str | None
