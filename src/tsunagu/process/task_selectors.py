"""Reads of task batches: a batch's answers as arrays for the aggregation,
and the lists the pages and the API show.

Kept apart from ``tsunagu.process.aggregation`` so that the aggregation stays
free of Django: this module turns rows into dense indices and back.
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import Count, F, Q, QuerySet, Sum
from numpy.typing import NDArray

from tsunagu.accounts.models import User
from tsunagu.process.models import TASK_ANSWER_LIVE, TaskAnswer, TaskAnswerStatus, TaskUnit
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


# --- lists for the pages and the API ----------------------------------------


def task_units_overview(*, batch: TaskBatch) -> QuerySet[TaskUnit]:
    """The batch's units with their answers counted by status, in one query."""
    approved = (TaskAnswerStatus.APPROVED, TaskAnswerStatus.AUTO_APPROVED)
    return TaskUnit.objects.filter(batch=batch).annotate(
        answers_submitted=Count("answers", filter=Q(answers__status=TaskAnswerStatus.SUBMITTED)),
        answers_approved=Count("answers", filter=Q(answers__status__in=approved)),
        answers_rejected=Count("answers", filter=Q(answers__status=TaskAnswerStatus.REJECTED)),
    )


def task_answers_of_batch(*, batch: TaskBatch, status: str | None = None) -> QuerySet[TaskAnswer]:
    """The batch's answers with their unit and worker, ``created_at`` being the claim's time.

    The annotation lets ``tsunagu.api.pagination.paginate`` page through them.
    """
    answers = TaskAnswer.objects.filter(unit__batch=batch)
    if status is not None:
        answers = answers.filter(status=status)
    return answers.select_related("unit", "worker").annotate(created_at=F("claimed_at"))


def task_claim_open(*, batch: TaskBatch, worker: User) -> TaskAnswer | None:
    """The worker's oldest claim in the batch not yet answered, with its unit."""
    return (
        TaskAnswer.objects.filter(unit__batch=batch, worker=worker, status=TaskAnswerStatus.CLAIMED)
        .select_related("unit")
        .order_by("claimed_at", "pk")
        .first()
    )


def task_answers_live_count(*, batch: TaskBatch, worker: User) -> int:
    """The worker's answers that count against the batch's cap per worker."""
    return TaskAnswer.objects.filter(
        unit__batch=batch, worker=worker, status__in=TASK_ANSWER_LIVE
    ).count()


def task_batch_totals(*, batch: TaskBatch) -> dict[str, int]:
    """The batch's units, the answers they take, and its answers by status: two queries."""
    units = TaskUnit.objects.filter(batch=batch).aggregate(
        units=Count("pk"), slots=Sum("redundancy")
    )
    approved = (TaskAnswerStatus.APPROVED, TaskAnswerStatus.AUTO_APPROVED)
    answers = TaskAnswer.objects.filter(unit__batch=batch).aggregate(
        submitted=Count("pk", filter=Q(status=TaskAnswerStatus.SUBMITTED)),
        approved=Count("pk", filter=Q(status__in=approved)),
        rejected=Count("pk", filter=Q(status=TaskAnswerStatus.REJECTED)),
    )
    return {
        "units": units["units"],
        "slots": units["slots"] or 0,
        "submitted": answers["submitted"],
        "approved": answers["approved"],
        "rejected": answers["rejected"],
    }


def task_worker_names(worker_ids: list[int]) -> dict[int, str]:
    """The display names of the workers a batch's quality report names."""
    return dict(User.objects.filter(pk__in=worker_ids).values_list("pk", "display_name"))
