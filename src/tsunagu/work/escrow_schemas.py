"""Bodies of the escrow API: paying for items, deliveries' review, statements."""

from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field


class PaymentIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"method": "card", "card_token": "tok_visa"}]},
    )

    method: str = Field(description="card, bank_transfer, or invoice (organizations)")
    card_token: str | None = Field(default=None, max_length=200)


class PaymentOut(Schema):
    """A payment for one item. A bank transfer is ``pending`` until the deposit
    is confirmed: transfer ``amount_yen`` by ``due_on`` quoting
    ``provider_reference``."""

    id: int
    reference: str
    method: str
    amount_yen: int = Field(description="Consumption tax included.")
    status: str
    provider_reference: str
    due_on: date | None
    created_at: datetime


class MilestoneOut(Schema):
    id: int
    contract_id: int
    position: int
    title: str
    amount_yen: int
    status: str


class RevisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=5000)


class DeliveryOut(Schema):
    id: int
    milestone_id: int
    status: str
    submitted_at: datetime
    review_due_at: datetime
    decided_at: datetime | None


class ReleaseLineOut(Schema):
    released_at: datetime
    reference: str
    contract_title: str
    item_title: str
    price_yen: int
    consumption_tax_yen: int
    fee_yen: int
    fee_tax_yen: int
    withholding_yen: int
    net_yen: int


class PayoutLineOut(Schema):
    at: datetime
    amount_yen: int


class StatementOut(Schema):
    """A worker's month. The platform's fee and its consumption tax are
    invoiced to the worker by the platform (its registration number is
    ``platform_invoice_number``)."""

    year: int
    month: int
    opening_balance_yen: int
    closing_balance_yen: int
    fee_total_yen: int
    fee_tax_total_yen: int
    net_total_yen: int
    platform_invoice_number: str
    releases: list[ReleaseLineOut]
    payouts: list[PayoutLineOut]


class PaymentReportLineOut(Schema):
    worker_id: int
    worker_name: str
    worker_invoice_number: str
    price_yen: int
    consumption_tax_yen: int
    withholding_yen: int


class ReceiptOut(Schema):
    paid_at: datetime
    reference: str
    item_title: str
    method: str
    amount_yen: int
    consumption_tax_yen: int
    worker_invoice_number: str
