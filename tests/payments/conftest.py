"""Fixtures for the ledger: a funded hold and balances by account."""

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection

from tsunagu.payments import services
from tsunagu.payments.fees import ReleaseBreakdown, price_with_tax, release_breakdown
from tsunagu.payments.models import AccountKind, Hold
from tsunagu.payments.selectors import account_balance, platform_balance

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks and deadlock detection (SQLite serializes writers)",
)

ON = date(2026, 4, 1)
BANK = "provider:bank_transfer"


def balances(reference: str, worker: str = "user:1", source: str = BANK) -> dict[str, int]:
    """The balances one release touches, by a short name."""
    return {
        "external": account_balance(kind=AccountKind.EXTERNAL, reference=source),
        "hold": account_balance(kind=AccountKind.HOLD, reference=reference),
        "worker": account_balance(kind=AccountKind.WORKER_BALANCE, reference=worker),
        "in_flight": account_balance(kind=AccountKind.PAYOUT_IN_FLIGHT, reference=worker),
        "fee": platform_balance(kind=AccountKind.FEE_REVENUE),
        "fee_tax": platform_balance(kind=AccountKind.FEE_TAX),
        "withholding": account_balance(kind=AccountKind.WITHHOLDING_PAYABLE, reference=reference),
        "losses": account_balance(kind=AccountKind.LOSSES, reference=reference),
    }


def simple_breakdown(price: int, *, withholding: bool = False) -> ReleaseBreakdown:
    return release_breakdown(
        price_yen=price, cumulative_before_yen=0, is_task=False, withholding=withholding, on=ON
    )


@pytest.fixture
def fund(db) -> Callable[..., Hold]:
    """Fund a hold for ``price`` yen without tax; returns the hold."""

    def fund_hold(reference: str = "milestone:1", price: int = 10_000, source: str = BANK) -> Hold:
        services.hold_fund(
            reference=reference,
            amount_yen=price_with_tax(price_yen=price, on=ON),
            source=source,
            dedupe_key=f"fund:{reference}",
        )
        return Hold.objects.get(reference=reference)

    return fund_hold
