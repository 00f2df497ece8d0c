"""Bodies of the process API: the order board, contract changes, disputes and task units."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from tsunagu.api.limits import LongText, SmallCount, Title, Yen


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


# --- task units -------------------------------------------------------------------

MAX_UNITS_PER_CALL = 1000


class UnitPayloadIn(Schema):
    """What the worker sees: a text, an image's address, or both."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=2000)
    image_url: str | None = Field(default=None, max_length=2000)

    @field_validator("image_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        # Shown to workers as a link: only http(s), never javascript: or data:.
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("image_url must start with https:// or http://")
        return value


class UnitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    payload: UnitPayloadIn
    choices: list[Annotated[str, Field(max_length=100)]] = Field(max_length=20)
    gold_answer: str | None = Field(default=None, max_length=100)


class UnitsAddIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "redundancy": 3,
                    "units": [
                        {"payload": {"text": "しっぽを振っている"}, "choices": ["犬", "猫"]},
                        {
                            "payload": {"image_url": "https://example.jp/cat.jpg"},
                            "choices": ["犬", "猫"],
                            "gold_answer": "猫",
                        },
                    ],
                }
            ]
        },
    )

    units: list[UnitIn] = Field(max_length=MAX_UNITS_PER_CALL)
    redundancy: SmallCount = 1


class UnitOut(Schema):
    """A unit as its client sees it, with its answers counted."""

    id: int
    position: int
    payload: dict[str, Any]
    choices: list[str]
    gold_answer: str
    redundancy: int
    claims: int
    answers_submitted: int
    answers_approved: int
    answers_rejected: int
    consensus_answer: str
    consensus_confidence: float | None
    aggregated_at: datetime | None


class UnitPageOut(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class UnitsAddedOut(Schema):
    added: int
    unit_ids: list[int]


class TaskClaimOut(Schema):
    """The unit a worker is to answer: never its gold answer, nor whether it has one."""

    answer_id: int
    unit_id: int
    payload: dict[str, Any]
    choices: list[str]
    claim_expires_at: datetime
    live_answers: int
    per_worker_cap: int


class TaskAnswerOut(Schema):
    """An answer as its worker sees it."""

    id: int
    unit_id: int
    answer: str
    status: str
    reason: str
    claimed_at: datetime
    claim_expires_at: datetime
    submitted_at: datetime | None
    review_due_at: datetime | None
    decided_at: datetime | None


class TaskAnswerReviewOut(TaskAnswerOut):
    """An answer as the client sees it: who gave it to which unit."""

    worker_id: int
    unit_position: int = Field(alias="unit.position")


class TaskAnswerPageOut(Schema):
    items: list[TaskAnswerReviewOut]
    next_cursor: str | None


class TaskAnswerSubmitIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"value": "猫"}]})

    value: str = Field(max_length=100)


class TaskAnswerReviewIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"approve": True},
                {"approve": False, "reason": "画像は猫ではなく犬です。"},
            ]
        },
    )

    approve: bool
    reason: LongText = ""


class WorkerQualityOut(Schema):
    worker_id: int
    answers: int
    accuracy: float
    gold_answers: int
    gold_accuracy: float | None
    flagged: bool
    test_score: int | None


class BatchQualityOut(Schema):
    units: int
    units_with_consensus: int
    consensus_coverage: float
    flagged_worker_ids: list[int]
    workers: list[WorkerQualityOut]
