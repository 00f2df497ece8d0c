"""Message threads: questions before a proposal, and each contract's talk.

A proposer asks the client a question first with ``question_share``; the
client answers within a day. Every contract has its thread (the contract
service always opens one): the client's kick-off and the worker's reply,
a progress note half way, then the delivery and the approval when the
contract is completed. Only messages whose day has come exist.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.contracts import COMPLETED, ContractTimes

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

WORKER_SIDE, CLIENT_SIDE = 0, 1
QUESTION, ANSWER, KICKOFF, KICKOFF_REPLY, PROGRESS, DELIVERY, APPROVAL = range(7)
QUESTION_SHARE = 0.2


@dataclass(frozen=True)
class Messages:
    """Messages of one kind of thread; ``owner`` is the proposal or contract row."""

    owner: IntArray
    sender: IntArray  # WORKER_SIDE or CLIENT_SIDE
    kind: IntArray
    created: FloatArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.owner)


def question_threads_draw(
    *, posted: FloatArray, created: FloatArray, horizon: float, rng: np.random.Generator
) -> tuple[IntArray, Messages]:
    """The proposals whose worker asked first, and the (job, worker) messages.

    ``posted`` and ``created`` are per proposal: its job's posting day and
    its own; the question falls between the two.
    """
    asked = np.flatnonzero(rng.random(len(created)) < QUESTION_SHARE)
    span = created[asked] - posted[asked]
    question = posted[asked] + span * rng.uniform(0.3, 0.95, len(asked))
    answer = question + rng.uniform(0.02, 0.8, len(asked))
    messages = _messages(
        [
            (asked, WORKER_SIDE, QUESTION, question),
            (asked, CLIENT_SIDE, ANSWER, answer),
        ],
        horizon,
        rng,
    )
    return asked.astype(np.int64), messages


def contract_messages_draw(
    times: ContractTimes, horizon: float, rng: np.random.Generator
) -> Messages:
    """Messages in every contract's thread, grouped by contract, oldest first."""
    rows = np.arange(len(times))
    completed = rows[times.status == COMPLETED]
    start = times.start
    halfway = start + times.planned * 0.5
    going = rows[np.isnan(times.ended) | (times.ended > halfway)]
    return _messages(
        [
            (rows, CLIENT_SIDE, KICKOFF, start + 0.05),
            (rows, WORKER_SIDE, KICKOFF_REPLY, start + rng.uniform(0.1, 0.6, len(rows))),
            (going, WORKER_SIDE, PROGRESS, halfway[going]),
            (completed, WORKER_SIDE, DELIVERY, times.ended[completed] - 0.3),
            (completed, CLIENT_SIDE, APPROVAL, times.ended[completed]),
        ],
        horizon,
        rng,
    )


def _messages(
    parts: list[tuple[IntArray, int, int, FloatArray]],
    horizon: float,
    rng: np.random.Generator,
) -> Messages:
    owner = np.concatenate([rows for rows, _, _, _ in parts])
    sender = np.concatenate([np.full(len(rows), side) for rows, side, _, _ in parts])
    kind = np.concatenate([np.full(len(rows), kind) for rows, _, kind, _ in parts])
    created = np.concatenate([day for _, _, _, day in parts])
    exists = created <= horizon
    order = np.flatnonzero(exists)[np.lexsort((created[exists], owner[exists]))]
    return Messages(
        owner=owner[order].astype(np.int64),
        sender=sender[order].astype(np.int64),
        kind=kind[order].astype(np.int64),
        created=created[order],
        text_seed=rng.integers(0, 2**31, len(order)),
    )
