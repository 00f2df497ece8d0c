"""Bodies of the payments API: a worker's balance and withdrawals.

Balances are what the worker receives, consumption tax on their price
included (it is theirs), fees and withheld tax already taken off.
"""

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict

from tsunagu.api.limits import Yen


class BalanceOut(Schema):
    available_yen: int
    in_flight_yen: int


class WithdrawalIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_yen": 8580}]}
    )

    amount_yen: Yen


class WithdrawalOut(Schema):
    """A payout request: the money left the balance and is on its way."""

    id: int
    amount_yen: int
    created_at: datetime
    balance: BalanceOut
