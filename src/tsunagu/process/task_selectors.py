"""Reads of task batches: a batch's answers as arrays for the aggregation.

Kept apart from ``tsunagu.process.aggregation`` so that the aggregation stays
free of Django: this module turns rows into dense indices and back.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.process.models import TaskAnswer, TaskAnswerStatus, TaskUnit
from tsunagu.work.models import TaskBatch

# Answers the aggregation counts: a rejected answer was judged wrong by the
# client and an unanswered claim says nothing.
AGGREGATED_STATUSES = (
    TaskAnswerStatus.SUBMITTED,
    TaskAnswerStatus.APPROVED,
    TaskAnswerStatus.AUTO_APPROVED,
)


@dataclass(frozen=True)
class BatchLabels:
    """A batch's answers as ``(unit, worker, class)`` index rows.

    ``unit_ids``, ``worker_ids`` and ``classes`` map the indices back to unit
    and user primary keys and answer texts. Classes are every choice the
    batch's units offer, in order of first appearance (units by position);
    ``allowed[u, k]`` says whether unit ``u`` offers class ``k``.
    """

    unit_ids: list[int]
    worker_ids: list[int]
    classes: list[str]
    labels: NDArray[np.int64]
    allowed: NDArray[np.bool_]
    gold: dict[int, int]

    @property
    def n_choices(self) -> NDArray[np.int64]:
        counts: NDArray[np.int64] = self.allowed.sum(axis=1).astype(np.int64)
        return counts

    @property
    def is_gold(self) -> NDArray[np.bool_]:
        mask = np.zeros(len(self.unit_ids), dtype=bool)
        mask[list(self.gold)] = True
        return mask


def task_batch_labels(*, batch: TaskBatch) -> BatchLabels:
    """The batch's units and counted answers, in two queries."""
    units = list(
        TaskUnit.objects.filter(batch=batch)
        .order_by("position")
        .values_list("pk", "choices", "gold_answer")
    )
    classes: dict[str, int] = {}
    for _pk, choices, _gold in units:
        for choice in choices:
            classes.setdefault(choice, len(classes))
    unit_index = {pk: index for index, (pk, _choices, _gold) in enumerate(units)}

    allowed = np.zeros((len(units), len(classes)), dtype=bool)
    gold: dict[int, int] = {}
    for index, (_pk, choices, gold_answer) in enumerate(units):
        allowed[index, [classes[choice] for choice in choices]] = True
        if gold_answer:
            gold[index] = classes[gold_answer]

    answers = TaskAnswer.objects.filter(
        unit__batch=batch, status__in=AGGREGATED_STATUSES
    ).values_list("unit_id", "worker_id", "answer")
    worker_index: dict[int, int] = {}
    rows = []
    for unit_id, worker_id, answer in answers.order_by("worker_id", "unit_id"):
        if answer not in classes:
            continue  # the unit's choices were checked on submission; never expected
        worker = worker_index.setdefault(worker_id, len(worker_index))
        rows.append((unit_index[unit_id], worker, classes[answer]))

    return BatchLabels(
        unit_ids=[pk for pk, _choices, _gold in units],
        worker_ids=list(worker_index),
        classes=list(classes),
        labels=np.array(rows, dtype=np.int64).reshape(-1, 3),
        allowed=allowed,
        gold=gold,
    )
