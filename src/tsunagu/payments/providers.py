"""The ways a client pays the platform for an item, behind one interface.

A provider says whether a payment is settled at once (card, monthly invoice)
or waits for a deposit (bank transfer, which an operator confirms), and
returns money the way it came on a refund. None of them makes a network call:
the card network is reached through ``CardGateway``, whose only shipped
implementation is ``TestCardGateway``, a double for tests and the demo.

The ledger account a payment comes from is ``external:provider:<method>``, so
a refund or a chargeback goes back to the same place.
"""

import calendar
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

BANK_TRANSFER_DAYS = 7  # a transfer request lapses after a week without a deposit


@dataclass(frozen=True)
class ChargeOutcome:
    """What a provider says to a new payment.

    ``settled``: the money is the platform's now and the hold can be funded.
    ``provider_reference``: the charge id, or the code the client writes on
    a bank transfer so that the deposit can be matched. ``due_on``: when the
    client must pay (a transfer's deadline, an invoice's due date).
    ``declined``: a stable code when the provider refused the payment.
    """

    settled: bool
    provider_reference: str
    due_on: date | None = None
    declined: str | None = None


class CardGateway(Protocol):
    """A card network's side of a card payment."""

    def charge(self, *, amount_yen: int, card_token: str) -> ChargeOutcome: ...

    def refund(self, *, provider_reference: str, amount_yen: int) -> None: ...


class TestCardGateway:
    """A card network double: ``tok_declined`` is refused, any other token is paid.

    Charges are named ``ch_test_<random>``; refunds are accepted and do
    nothing. Chargebacks are reported to the platform by
    ``tsunagu.payments.funding.payment_chargeback``, as a real gateway's
    webhook would.
    """

    DECLINED_TOKEN = "tok_declined"  # noqa: S105 - a test card token, not a secret

    def charge(self, *, amount_yen: int, card_token: str) -> ChargeOutcome:
        if card_token == self.DECLINED_TOKEN:
            return ChargeOutcome(settled=False, provider_reference="", declined="card_declined")
        return ChargeOutcome(settled=True, provider_reference=f"ch_test_{secrets.token_hex(8)}")

    def refund(self, *, provider_reference: str, amount_yen: int) -> None:
        return None


def card_gateway() -> CardGateway:
    """The configured gateway (``TSUNAGU_CARD_GATEWAY``, a dotted class path)."""
    path = getattr(settings, "TSUNAGU_CARD_GATEWAY", "tsunagu.payments.providers.TestCardGateway")
    gateway: CardGateway = import_string(path)()
    return gateway


def source_of(method: str) -> str:
    """The external ledger reference a payment by ``method`` comes from."""
    return f"provider:{method}"


def bank_transfer_outcome(*, payment_id: int, today: date) -> ChargeOutcome:
    """A transfer request: the client writes the code on the transfer (振込依頼人名)."""
    return ChargeOutcome(
        settled=False,
        provider_reference=f"TSG{payment_id:09d}",
        due_on=today + timedelta(days=BANK_TRANSFER_DAYS),
    )


def invoice_outcome(*, payment_id: int, today: date) -> ChargeOutcome:
    """A monthly invoice (請求書払い): closed at month end, due at the end of the next.

    The platform extends the credit, so the item is funded at once and the
    organization's debt is collected with the month's invoice.
    """
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    last_day = calendar.monthrange(next_month.year, next_month.month)[1]
    return ChargeOutcome(
        settled=True,
        provider_reference=f"INV{today:%Y%m}-{payment_id:09d}",
        due_on=next_month.replace(day=last_day),
    )
