"""Bodies of the process API: the order board."""

from datetime import datetime

from ninja import Schema


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
