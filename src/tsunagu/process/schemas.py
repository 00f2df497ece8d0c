"""Bodies of the process API: the order board, contract changes and disputes."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict

from tsunagu.api.limits import LongText, Title, Yen


class OrderOut(Schema):
    """One order: where it stands, who must act next and by when."""

    job_id: int
    contract_id: int | None
    milestone_id: int | None
    title: str
    counterpart: str
    stage: str
    next_action: str
    waiting_on: str
    due_at: datetime | None
    overdue: bool
    at_risk: bool
    proposals: int


class BoardOut(Schema):
    counts: dict[str, int]
    orders: list[OrderOut]


# --- contract changes and disputes ------------------------------------------------


class ChangeIn(Schema):
    """A proposed change; which fields count depends on ``kind``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "add_milestone", "title": "追加の修正", "amount_yen": 20000},
                {"kind": "change_deadline", "milestone_id": 12, "due_date": "2026-07-31"},
                {"kind": "cancel_with_split", "milestone_id": 12, "worker_share_yen": 6000},
            ]
        },
    )

    kind: Literal[
        "add_milestone", "change_price", "change_deadline", "end_early", "cancel_with_split"
    ]
    milestone_id: int | None = None
    title: Title = ""
    amount_yen: Yen | None = None
    due_date: date | None = None
    worker_share_yen: Yen | None = None
    reason: LongText = ""


class ChangeDeclineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: LongText = ""


class ChangeOut(Schema):
    id: int
    contract_id: int
    milestone_id: int | None
    proposed_by_id: int
    kind: str
    terms_before: dict[str, Any]
    terms_after: dict[str, Any]
    reason: str
    status: str
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str
    created_at: datetime


class DisputeIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "納品物が仕様と異なり、修正にも応じてもらえません。"}]
        },
    )

    reason: LongText


class DisputeOut(Schema):
    id: int
    contract_id: int
    milestone_id: int
    opened_by_id: int
    reason: str
    status: str
    worker_share_yen: int | None
    resolution: str
    resolved_at: datetime | None
    created_at: datetime
