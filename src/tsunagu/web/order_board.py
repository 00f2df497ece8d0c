"""What the order board page shows: each order in the viewer's words, and the chart.

The board's selector says what must happen next and which party must do
it; here that becomes a sentence for the person looking: a client reads
"仮払いしてください" when the payment is theirs to make and
"ワーカーの納品待ち" while the worker works.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.process.board import Order, Party, Stage, board_counts
from tsunagu.web.forms.board import STAGE_LABELS, WORKER_STAGES

# What the viewer reads in "next action": their own move, the other side's
# (named), or what nobody in particular has to do. Codes come from the board;
# one it does not know yet reads as a plain "your turn" / "waiting".
YOUR_MOVE: dict[str, Promise] = {
    "choose_a_proposal": pgettext_lazy("next action", "Choose a proposal"),
    "pay_for_the_milestone": pgettext_lazy("next action", "Pay into escrow"),
    "deliver": pgettext_lazy("next action", "Deliver the work"),
    "review_the_delivery": pgettext_lazy("next action", "Review the delivery"),
    "complete_the_contract": pgettext_lazy("next action", "Complete the contract"),
    "answer_the_change": pgettext_lazy("next action", "Answer the proposed change"),
}
WAITING_FOR: dict[tuple[str, str], Promise] = {
    (Party.CLIENT, "pay_for_the_milestone"): pgettext_lazy(
        "next action", "Waiting for the client's payment"
    ),
    (Party.CLIENT, "review_the_delivery"): pgettext_lazy(
        "next action", "Waiting for the client's review"
    ),
    (Party.CLIENT, "complete_the_contract"): pgettext_lazy(
        "next action", "Waiting for the client to complete the contract"
    ),
    (Party.CLIENT, "answer_the_change"): pgettext_lazy(
        "next action", "Waiting for the client's answer to the change"
    ),
    (Party.WORKER, "deliver"): pgettext_lazy("next action", "Waiting for the worker's delivery"),
    (Party.WORKER, "answer_the_change"): pgettext_lazy(
        "next action", "Waiting for the worker's answer to the change"
    ),
}
NOBODYS_MOVE: dict[str, Promise] = {
    "wait_for_proposals": pgettext_lazy("next action", "Wait for proposals"),
    "review_each_other": pgettext_lazy("next action", "Leave a review"),
    "wait_for_the_operator": pgettext_lazy("next action", "Waiting for the operator's decision"),
}
YOUR_TURN = pgettext_lazy("next action", "Your turn")
THEIR_TURN = pgettext_lazy("next action", "Waiting for the other side")
NOTHING_TO_DO = pgettext_lazy("next action", "Nothing to do")

DUE_LABELS: dict[str, Promise] = {
    Stage.RECRUITING: _("Proposals until"),
    Stage.CHOOSING: _("Proposals until"),
    Stage.AWAITING_PAYMENT: _("Pay by"),
    Stage.IN_PROGRESS: _("Deliver by"),
    Stage.AWAITING_REVIEW: _("Review by"),
}

FINISHED = (Stage.COMPLETED, Stage.CLOSED)

# The chart's geometry, in SVG user units (the viewBox scales it to the page).
# Narrow, so that its 13-unit text stays legible when a phone shrinks it.
CHART_WIDTH = 440
LABEL_WIDTH = 130
BAR_MAX = 260
ROW_HEIGHT = 30
BAR_HEIGHT = 18


@dataclass(frozen=True)
class BoardRow:
    order: Order
    stage_label: Promise | str
    action: Promise
    my_turn: bool
    due_label: Promise | None
    link: str


@dataclass(frozen=True)
class StageBar:
    stage: str
    label: Promise | str
    count: int
    y: int  # top of the row
    width: int
    current: bool

    @property
    def bar_y(self) -> int:
        return self.y + (ROW_HEIGHT - BAR_HEIGHT) // 2

    @property
    def text_y(self) -> int:
        return self.y + ROW_HEIGHT // 2 + 5

    @property
    def count_x(self) -> int:
        return LABEL_WIDTH + self.width + 8


@dataclass(frozen=True)
class FinishedCount:
    stage: str
    label: Promise | str
    count: int


@dataclass(frozen=True)
class StageChart:
    """Bars for the stages still under way; finished orders are only counted."""

    bars: list[StageBar]
    finished: list[FinishedCount]
    total: int
    open_total: int
    height: int
    width: int = CHART_WIDTH
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def board_rows(orders: Sequence[Order], *, as_worker: bool) -> list[BoardRow]:
    me = Party.WORKER if as_worker else Party.CLIENT
    other = Party.CLIENT if as_worker else Party.WORKER
    return [
        BoardRow(
            order=order,
            stage_label=stage_label(order.stage),
            action=_action(order, me=me, other=other),
            my_turn=order.waiting_on == me,
            due_label=DUE_LABELS.get(order.stage),
            link=_link(order),
        )
        for order in orders
    ]


def stage_chart(orders: Sequence[Order], *, as_worker: bool, current: str | None) -> StageChart:
    """A bar per stage still under way, scaled to the largest; the finished ones counted.

    Completed and closed orders pile up over the years; drawn beside the
    few that need someone, they would flatten every other bar.
    """
    counts = board_counts(list(orders))
    stages = WORKER_STAGES if as_worker else list(Stage)
    under_way = [stage for stage in stages if stage not in FINISHED]
    largest = max((counts.get(stage, 0) for stage in under_way), default=0)
    bars = [
        StageBar(
            stage=stage,
            label=stage_label(stage),
            count=counts.get(stage, 0),
            y=index * ROW_HEIGHT,
            width=round(BAR_MAX * counts.get(stage, 0) / largest) if largest else 0,
            current=stage == current,
        )
        for index, stage in enumerate(under_way)
    ]
    finished = [
        FinishedCount(stage=stage, label=stage_label(stage), count=counts.get(stage, 0))
        for stage in stages
        if stage in FINISHED
    ]
    return StageChart(
        bars=bars,
        finished=finished,
        total=len(orders),
        open_total=sum(bar.count for bar in bars),
        height=len(bars) * ROW_HEIGHT,
    )


def stage_label(stage: str) -> Promise | str:
    return STAGE_LABELS.get(stage, stage)


def _action(order: Order, *, me: Party, other: Party) -> Promise:
    if order.waiting_on == me:
        return YOUR_MOVE.get(order.next_action, YOUR_TURN)
    if order.waiting_on == other:
        return WAITING_FOR.get((other, order.next_action), THEIR_TURN)
    return NOBODYS_MOVE.get(order.next_action, NOTHING_TO_DO)


def _link(order: Order) -> str:
    if order.contract_id is not None:
        return reverse("web:contract_detail", args=[order.contract_id])
    return reverse("web:job_detail", args=[order.job_id])
