"""The task format: units, claims, answers, their review, and quality control.

A client adds units to a task batch, each answered by ``redundancy``
workers; a worker who joined the batch claims the next unit that still needs
answers, answers it with one of its choices, and the client approves or
rejects the answer (with a reason). An answer left unreviewed
``TSUNAGU_TASK_REVIEW_DAYS`` is approved by the sweep, and a claim left
unanswered ``TSUNAGU_TASK_CLAIM_HOURS`` expires, freeing its place.
``task_batch_aggregate`` gives each unit a consensus answer (Dawid-Skene,
anchored on the gold units), scores each worker and records the score as
skill evidence.

The batch's ``unit_count`` is the number of answers its budget pays for
(units x unit price), so the units' redundancies add up to at most that.
The client pays for the whole batch before work starts
(``work.escrow.task_batch_fund``); claims wait for that payment. Each
approved answer is paid its unit price out of the batch's hold
(``work.escrow.task_answer_pay``), and ``task_batch_close`` refunds the
units never paid for.

Lock order, the same in every function: the batch, a worker's
participation, the unit, the answer, the worker's skills. Every status
change of an answer is recorded by ``tsunagu.audit.services.transition``.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import transition
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.process.aggregation import careless_workers, dawid_skene, worker_scores
from tsunagu.process.models import (
    TASK_ANSWER_LIVE,
    TaskAnswer,
    TaskAnswerStatus,
    TaskUnit,
)
from tsunagu.process.task_selectors import task_batch_labels
from tsunagu.skills.models import Evidence, WorkerSkill
from tsunagu.work import escrow
from tsunagu.work.access import access_job_manage
from tsunagu.work.models import Job, JobStatus, TaskBatch, TaskParticipation

logger = logging.getLogger(__name__)

MAX_REDUNDANCY = 10
MAX_ANSWER_LENGTH = 100  # TaskUnit.gold_answer and TaskAnswer.answer
# A worker is scored on gold units once they answered this many, and their
# score becomes skill evidence once they answered this many units in all.
MIN_GOLD_ANSWERS = 5
MIN_ANSWERS_FOR_EVIDENCE = 10
# Careless: gold accuracy below chance + a quarter of the way to perfect.
CARELESS_MARGIN = 0.25


def task_review_days() -> int:
    return int(getattr(settings, "TSUNAGU_TASK_REVIEW_DAYS", 7))


def task_claim_hours() -> int:
    return int(getattr(settings, "TSUNAGU_TASK_CLAIM_HOURS", 24))


@dataclass(frozen=True)
class UnitSpec:
    """One unit to add: what the worker sees, the answers allowed, the gold answer."""

    payload: dict[str, Any]
    choices: list[str]
    gold_answer: str | None = None


# --- units ----------------------------------------------------------------


def _check_unit(spec: UnitSpec) -> None:
    if not isinstance(spec.payload, dict) or not spec.payload:
        raise DomainError(_("Give each unit something to show."), code="invalid_unit")
    choices = spec.choices
    if (
        not isinstance(choices, list)
        or len(choices) < 2
        or len(set(choices)) != len(choices)
        or any(not isinstance(c, str) or not c.strip() for c in choices)
        or any(len(c) > MAX_ANSWER_LENGTH for c in choices)
    ):
        raise DomainError(
            _("Give each unit at least two different answers to choose from."),
            code="invalid_choices",
            field="choices",
        )
    if spec.gold_answer is not None and spec.gold_answer not in choices:
        raise DomainError(
            _("A gold answer must be one of the unit's choices."),
            code="invalid_gold_answer",
            field="gold_answer",
        )


@transaction.atomic
def task_units_add(
    *, batch: TaskBatch, by: User, units: list[UnitSpec], redundancy: int = 1
) -> list[TaskUnit]:
    """The client adds units, each to be answered by ``redundancy`` workers.

    Units are numbered after the batch's last. Locks the batch row, so two
    additions cannot together exceed the answers the budget pays for.
    Refusals: 404 to anyone who cannot manage the job, 409 ``batch_closed``,
    400 ``units_required``, ``invalid_redundancy``, ``invalid_unit``,
    ``invalid_choices``, ``invalid_gold_answer``, 422 ``too_many_units``
    (with ``slots_left``).
    """
    batch = TaskBatch.objects.select_for_update(of=("self",)).select_related("job").get(pk=batch.pk)
    if not access_job_manage(by, batch.job):
        raise NotFound(_("No such job."))
    if batch.job.status != JobStatus.OPEN:
        raise Conflict(_("This batch is closed."), code="batch_closed")
    if not units:
        raise DomainError(_("Add at least one unit."), code="units_required")
    if not 1 <= redundancy <= MAX_REDUNDANCY:
        raise DomainError(
            _("Each unit is answered by 1 to %(n)d workers.") % {"n": MAX_REDUNDANCY},
            code="invalid_redundancy",
            field="redundancy",
        )
    for spec in units:
        _check_unit(spec)
    existing = batch.units.aggregate(slots=Sum("redundancy"), last=Max("position"))
    slots_left = batch.unit_count - (existing["slots"] or 0)
    if len(units) * redundancy > slots_left:
        raise RuleViolation(
            _("This batch's budget pays for %(n)d more answers.") % {"n": slots_left},
            code="too_many_units",
            extra={"slots_left": slots_left},
        )

    first = (existing["last"] or 0) + 1
    return TaskUnit.objects.bulk_create(
        TaskUnit(
            batch=batch,
            position=first + offset,
            payload=spec.payload,
            choices=spec.choices,
            gold_answer=spec.gold_answer or "",
            redundancy=redundancy,
        )
        for offset, spec in enumerate(units)
    )


# --- claims and answers ---------------------------------------------------


@transaction.atomic
def task_unit_claim(*, batch: TaskBatch, worker: User) -> TaskAnswer:
    """Give the worker the next unit, by position, that still needs answers.

    Never a unit the worker answered or claimed before, never more than a
    unit's ``redundancy`` workers, never more live answers (claimed,
    submitted, approved) than the batch's cap per worker. Locks the worker's
    participation (their claims run one at a time), then the unit. Units
    another claim holds locked are passed over; only when none is free does
    the claim wait for them, so a place freed meanwhile is not missed.
    Refusals: 403 ``not_joined``, 409 ``batch_closed``, 409
    ``batch_not_funded`` until the client has paid for the batch, 403
    ``not_qualified``, 409 ``cap_reached``, 409 ``no_units_left``.
    """
    batch = TaskBatch.objects.select_related("job").get(pk=batch.pk)
    participation = (
        TaskParticipation.objects.select_for_update().filter(batch=batch, worker=worker).first()
    )
    if participation is None:
        raise PermissionDenied(_("Join this batch first."), code="not_joined")
    if batch.job.status != JobStatus.OPEN:
        raise Conflict(_("This batch is closed."), code="batch_closed")
    # TODO(#3): read without a lock, so a claim racing the batch's close may
    # still be made; its answer then cannot be paid (``hold_settled``) and is
    # refused at approval.
    if not escrow.task_batch_funded(batch):
        raise Conflict(_("The client has not paid for this batch yet."), code="batch_not_funded")
    if batch.qualification_skill_id is not None:
        qualified = WorkerSkill.objects.filter(
            worker=worker,
            skill_id=batch.qualification_skill_id,
            level__gte=batch.qualification_min_level,
        ).exists()
        if not qualified:
            raise PermissionDenied(
                _("This batch asks for a skill you have not shown yet."), code="not_qualified"
            )
    live = TaskAnswer.objects.filter(
        unit__batch=batch, worker=worker, status__in=TASK_ANSWER_LIVE
    ).count()
    if live >= batch.per_worker_cap:
        raise Conflict(_("You have reached this batch's limit per worker."), code="cap_reached")
    unit = _next_unit(batch, worker)
    # The conditional UPDATE is the last word on the unit's places, whatever
    # the database's locking; the CHECK constraint is the backstop.
    if unit is None or not TaskUnit.objects.filter(pk=unit.pk, claims__lt=F("redundancy")).update(
        claims=F("claims") + 1
    ):
        raise Conflict(_("No units are left for you in this batch."), code="no_units_left")

    now = timezone.now()
    answer = TaskAnswer.objects.create(
        unit=unit,
        worker=worker,
        claimed_at=now,
        claim_expires_at=now + timedelta(hours=task_claim_hours()),
    )
    logger.info("process: task unit %s claimed by worker %s", unit.pk, worker.pk)
    return answer


def _next_unit(batch: TaskBatch, worker: User) -> TaskUnit | None:
    open_units = (
        TaskUnit.objects.filter(batch=batch, claims__lt=F("redundancy"))
        .exclude(answers__worker=worker)
        .order_by("position")
    )
    unit = open_units.select_for_update(skip_locked=True).first()
    if unit is None:
        # Every free unit may be locked by a claim about to commit or roll
        # back: wait for them; PostgreSQL re-checks the filter on the rows
        # it waited for.
        unit = open_units.select_for_update().first()
    return unit


@transaction.atomic
def task_answer_submit(*, answer: TaskAnswer, worker: User, value: str) -> TaskAnswer:
    """The worker answers a claimed unit with one of its choices.

    The client's review window (``TSUNAGU_TASK_REVIEW_DAYS``) starts now. A
    claim past its time may still be answered until the sweep expires it.
    Locks the answer. Refusals: 404 to anyone but the claiming worker, 409
    ``illegal_transition`` unless claimed, 400 ``invalid_answer``.
    """
    answer = (
        TaskAnswer.objects.select_for_update(of=("self",)).select_related("unit").get(pk=answer.pk)
    )
    if answer.worker_id != worker.pk:
        raise NotFound(_("No such answer."))
    if answer.status == TaskAnswerStatus.CLAIMED and value not in answer.unit.choices:
        raise DomainError(
            _("Choose one of the unit's answers."), code="invalid_answer", field="value"
        )

    now = timezone.now()
    answer.answer = value
    answer.submitted_at = now
    answer.review_due_at = now + timedelta(days=task_review_days())
    transition(
        machine="task_answer",
        obj=answer,
        to=TaskAnswerStatus.SUBMITTED,
        by=worker,
        also_update=("answer", "submitted_at", "review_due_at"),
    )
    return answer


@transaction.atomic
def task_answer_review(
    *, answer: TaskAnswer, by: User, approve: bool, reason: str = ""
) -> TaskAnswer:
    """The client approves or rejects a submitted answer; a rejection needs a reason.

    An approval counts the unit as done for the worker and pays them the
    unit price out of the batch's hold (``work.escrow.task_answer_pay``); a
    rejection frees the answer's place on the unit for another worker.
    Locks the participation or the unit, then the answer, then the hold.
    Refusals: 404 to anyone who cannot manage the job, 400
    ``reason_required``, 409 ``illegal_transition`` unless submitted, and
    the ledger's (409 ``hold_settled`` once the batch was closed).
    """
    found = TaskAnswer.objects.select_related("unit__batch__job").get(pk=answer.pk)
    batch = found.unit.batch
    if not access_job_manage(by, batch.job):
        raise NotFound(_("No such answer."))
    if not approve and not reason.strip():
        raise DomainError(
            _("Tell the worker why the answer is rejected."),
            code="reason_required",
            field="reason",
        )

    # Locked before the answer, as everywhere: an approval counts the unit
    # done on the participation, a rejection frees a place on the unit.
    if approve:
        TaskParticipation.objects.select_for_update().filter(
            batch=batch, worker_id=found.worker_id
        ).first()
    else:
        TaskUnit.objects.select_for_update().get(pk=found.unit_id)
    answer = TaskAnswer.objects.select_for_update().get(pk=found.pk)
    answer.decided_at = timezone.now()
    answer.decided_by = by
    answer.reason = reason.strip()
    transition(
        machine="task_answer",
        obj=answer,
        to=TaskAnswerStatus.APPROVED if approve else TaskAnswerStatus.REJECTED,
        by=by,
        reason=reason,
        also_update=("decided_at", "decided_by", "reason"),
    )
    if approve:
        _answer_approved(answer, batch_id=batch.pk)
    else:
        TaskUnit.objects.filter(pk=answer.unit_id).update(claims=F("claims") - 1)
    return answer


def _answer_approved(answer: TaskAnswer, *, batch_id: int) -> None:
    """What follows an approval, by the client or the sweep; the caller holds the locks.

    The unit is counted done and the worker paid its price out of the
    batch's hold (once per answer: the ledger's key is the answer's).
    """
    TaskParticipation.objects.filter(batch_id=batch_id, worker_id=answer.worker_id).update(
        units_done=F("units_done") + 1
    )
    escrow.task_answer_pay(answer=answer)
    logger.info("process: task answer %s approved and paid", answer.pk)


# --- closing a batch ------------------------------------------------------


# TODO(#4): closing or completing the job through work.services does not close its batch;
# the client calls this. The sweep should close batches whose job has ended.
@ledger_transaction
def task_batch_close(*, job: Job, by: User | None) -> TaskBatch:
    """Close a task batch: open claims expire, the unused units are refunded.

    The client closes it (or an operator's tool, with ``by`` None), while
    the job is open or after it was closed or completed. Claims not yet
    answered expire; answers awaiting review must be decided first (the
    sweep approves them after the review window). What the batch's hold has
    left goes back to the client (``work.escrow.task_batch_settle``) and the
    job closes. Locks the batch, then the units and the claims, then the
    payment and the hold. Refusals: 404 to anyone who cannot manage the
    job, 409 ``batch_closed`` when there is nothing left to close, 409
    ``answers_awaiting_review`` (with ``submitted``).
    """
    batch = TaskBatch.objects.select_for_update(of=("self",)).select_related("job").get(job=job)
    if by is not None and not access_job_manage(by, batch.job):
        raise NotFound(_("No such job."))
    if batch.job.status != JobStatus.OPEN and not escrow.task_batch_funded(batch):
        raise Conflict(_("This batch is closed."), code="batch_closed")

    open_claims = TaskAnswer.objects.filter(unit__batch=batch, status=TaskAnswerStatus.CLAIMED)
    list(
        TaskUnit.objects.select_for_update()
        .filter(pk__in=open_claims.values("unit_id"))
        .order_by("pk")
    )
    claims = list(open_claims.select_for_update().order_by("pk"))
    for answer in claims:
        transition(
            machine="task_answer",
            obj=answer,
            to=TaskAnswerStatus.EXPIRED,
            by=by,
            reason="batch closed",
        )
    for unit_id, freed in Counter(answer.unit_id for answer in claims).items():
        TaskUnit.objects.filter(pk=unit_id).update(claims=F("claims") - freed)

    submitted = TaskAnswer.objects.filter(
        unit__batch=batch, status=TaskAnswerStatus.SUBMITTED
    ).count()
    if submitted:
        raise Conflict(
            _("Approve or reject the answers awaiting review before closing the batch."),
            code="answers_awaiting_review",
            extra={"submitted": submitted},
        )

    escrow.task_batch_settle(batch=batch, by=by)
    logger.info("process: task batch %s closed, %d claims expired", batch.pk, len(claims))
    return batch


# --- the sweep's steps ----------------------------------------------------


def task_answers_auto_approve(*, now: datetime | None = None) -> int:
    """Approve every answer whose review window has passed; returns how many.

    Each answer is approved in its own transaction with ``SKIP LOCKED`` on
    the worker's participation and the answer, so two sweeps at once share
    the work and approve each answer exactly once; an answer decided
    meanwhile is left alone, and one whose rows are busy waits for the next
    sweep.
    """
    now = now or timezone.now()
    due = list(
        TaskAnswer.objects.filter(
            status=TaskAnswerStatus.SUBMITTED, review_due_at__lte=now
        ).values_list("pk", "unit__batch_id", "worker_id")
    )
    approved = 0
    for answer_id, batch_id, worker_id in due:
        try:
            if _auto_approve_one(answer_id, batch_id=batch_id, worker_id=worker_id, now=now):
                approved += 1
        except DomainError as error:  # one bad row must not stop the sweep
            logger.error("process: task answer %s not auto-approved: %s", answer_id, error.code)
    if approved:
        logger.info("process: %d task answers approved after the review window", approved)
    return approved


@transaction.atomic
def _auto_approve_one(answer_id: int, *, batch_id: int, worker_id: int, now: datetime) -> bool:
    participation = (
        TaskParticipation.objects.select_for_update(skip_locked=True)
        .filter(batch_id=batch_id, worker_id=worker_id)
        .first()
    )
    if participation is None:
        return False  # another sweep, a claim or a review holds it: next sweep
    answer = (
        TaskAnswer.objects.select_for_update(skip_locked=True)
        .filter(pk=answer_id, status=TaskAnswerStatus.SUBMITTED, review_due_at__lte=now)
        .first()
    )
    if answer is None:
        return False  # decided meanwhile, or another sweep holds it
    answer.decided_at = now
    transition(
        machine="task_answer",
        obj=answer,
        to=TaskAnswerStatus.AUTO_APPROVED,
        by=None,
        reason="review window passed",
        also_update=("decided_at",),
    )
    _answer_approved(answer, batch_id=batch_id)
    return True


def task_claims_expire(*, now: datetime | None = None) -> int:
    """Expire claims left unanswered past their time; returns how many.

    Each in its own transaction, the unit then the answer locked with ``SKIP
    LOCKED``; the unit's place is freed for another worker.
    """
    now = now or timezone.now()
    due = list(
        TaskAnswer.objects.filter(
            status=TaskAnswerStatus.CLAIMED, claim_expires_at__lte=now
        ).values_list("pk", "unit_id")
    )
    expired = 0
    for answer_id, unit_id in due:
        try:
            if _expire_one(answer_id, unit_id=unit_id, now=now):
                expired += 1
        except DomainError as error:
            logger.error("process: task claim %s not expired: %s", answer_id, error.code)
    return expired


@transaction.atomic
def _expire_one(answer_id: int, *, unit_id: int, now: datetime) -> bool:
    unit = TaskUnit.objects.select_for_update(skip_locked=True).filter(pk=unit_id).first()
    if unit is None:
        return False
    answer = (
        TaskAnswer.objects.select_for_update(skip_locked=True)
        .filter(pk=answer_id, status=TaskAnswerStatus.CLAIMED, claim_expires_at__lte=now)
        .first()
    )
    if answer is None:
        return False
    transition(
        machine="task_answer",
        obj=answer,
        to=TaskAnswerStatus.EXPIRED,
        by=None,
        reason="claim not answered in time",
    )
    TaskUnit.objects.filter(pk=unit.pk).update(claims=F("claims") - 1)
    return True


# --- quality control ------------------------------------------------------


@dataclass(frozen=True)
class WorkerQuality:
    """One worker's score in a batch.

    ``accuracy`` counts the worker's answers that match each unit's gold
    answer where it has one, else its consensus; ``gold_accuracy`` only the
    gold units (None below ``MIN_GOLD_ANSWERS``). ``test_score`` is the
    score recorded as skill evidence, None when none was recorded.
    """

    worker_id: int
    answers: int
    accuracy: float
    gold_answers: int
    gold_accuracy: float | None
    flagged: bool
    test_score: int | None


@dataclass(frozen=True)
class BatchQuality:
    units_with_consensus: int
    workers: list[WorkerQuality] = field(default_factory=list)

    @property
    def flagged_worker_ids(self) -> list[int]:
        """Workers whose gold answers are too close to guessing."""
        return [worker.worker_id for worker in self.workers if worker.flagged]


@transaction.atomic
def task_batch_aggregate(*, batch: TaskBatch, now: datetime | None = None) -> BatchQuality:
    """Give each unit a consensus answer and each worker an accuracy.

    Counts submitted and approved answers. Dawid-Skene, with the gold units
    held at their known answers, sets each unit's ``consensus_answer`` and
    its probability; a unit nobody answered keeps none. A worker with
    ``MIN_GOLD_ANSWERS`` gold answers whose gold accuracy is too close to
    guessing is flagged (only reported: their answers stand). Every other
    worker with ``MIN_ANSWERS_FOR_EVIDENCE`` answers gets their accuracy as
    a test score on the batch's qualification skill, or else on the job's
    required skills: evidence becomes ``tested`` unless already ``proven``,
    and the best score is kept. The caller authorizes; safe to run again.
    Locks the batch, then the units, then the workers' skills.
    """
    now = now or timezone.now()
    batch = TaskBatch.objects.select_for_update(of=("self",)).select_related("job").get(pk=batch.pk)
    data = task_batch_labels(batch=batch)
    if not data.unit_ids or not len(data.labels):
        return BatchQuality(units_with_consensus=0)

    result = dawid_skene(
        data.labels,
        n_classes=len(data.classes),
        n_units=len(data.unit_ids),
        n_workers=len(data.worker_ids),
        allowed=data.allowed,
        known=data.gold,
    )
    consensus = result.consensus
    units = list(TaskUnit.objects.select_for_update().filter(batch=batch).order_by("position"))
    for index, unit in enumerate(units):
        answered = consensus[index] >= 0
        unit.consensus_answer = data.classes[consensus[index]] if answered else ""
        confidence = float(result.posterior[index, consensus[index]]) if answered else None
        unit.consensus_confidence = confidence
        unit.aggregated_at = now
    TaskUnit.objects.bulk_update(
        units, ["consensus_answer", "consensus_confidence", "aggregated_at"], batch_size=500
    )

    # Gold units' consensus is their gold answer (held in the EM), so scoring
    # against the consensus scores against gold wherever there is gold.
    scores = worker_scores(
        data.labels,
        reference=consensus,
        is_gold=data.is_gold,
        n_choices=data.n_choices,
        n_workers=len(data.worker_ids),
    )
    flagged = careless_workers(scores, min_gold_answers=MIN_GOLD_ANSWERS, margin=CARELESS_MARGIN)
    to_record = {
        worker_id: round(float(scores.accuracy[index]) * 100)
        for index, worker_id in enumerate(data.worker_ids)
        if scores.answers[index] >= MIN_ANSWERS_FOR_EVIDENCE and not flagged[index]
    }
    _skills_record_tested(batch, to_record, now=now)

    workers = [
        WorkerQuality(
            worker_id=worker_id,
            answers=int(scores.answers[index]),
            accuracy=float(scores.accuracy[index]),
            gold_answers=int(scores.gold_answers[index]),
            gold_accuracy=(
                float(scores.gold_accuracy[index])
                if scores.gold_answers[index] >= MIN_GOLD_ANSWERS
                else None
            ),
            flagged=bool(flagged[index]),
            test_score=to_record.get(worker_id),
        )
        for index, worker_id in enumerate(data.worker_ids)
    ]
    quality = BatchQuality(units_with_consensus=int(np.sum(consensus >= 0)), workers=workers)
    if quality.flagged_worker_ids:
        logger.warning(
            "process: batch %s flags %d careless workers",
            batch.pk,
            len(quality.flagged_worker_ids),
        )
    return quality


def _skills_record_tested(batch: TaskBatch, scores: dict[int, int], *, now: datetime) -> None:
    """Record each worker's score on the batch's skills as ``tested`` evidence."""
    if batch.qualification_skill_id is not None:
        skill_ids = [batch.qualification_skill_id]
    else:
        skill_ids = list(
            batch.job.job_skills.filter(required=True).values_list("skill_id", flat=True)
        )
    if not skill_ids or not scores:
        return

    held = list(
        WorkerSkill.objects.select_for_update()
        .filter(worker_id__in=scores, skill_id__in=skill_ids)
        .order_by("pk")
    )
    for row in held:
        if row.evidence != Evidence.PROVEN:  # evidence never weakens
            row.evidence = Evidence.TESTED
        row.test_score = max(row.test_score or 0, scores[row.worker_id])
        row.updated_at = now  # bulk_update skips auto_now
    WorkerSkill.objects.bulk_update(held, ["evidence", "test_score", "updated_at"])

    have = {(row.worker_id, row.skill_id) for row in held}
    WorkerSkill.objects.bulk_create(
        WorkerSkill(
            worker_id=worker_id,
            skill_id=skill_id,
            evidence=Evidence.TESTED,
            test_score=score,
            created_at=now,
        )
        for worker_id, score in scores.items()
        for skill_id in skill_ids
        if (worker_id, skill_id) not in have
    )
