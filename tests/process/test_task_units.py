"""The task format: units, claims, answers, their review, the sweep, aggregation."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from tests.db_state import table_counts
from tests.factories import (
    ClientFactory,
    TaskBatchFactory,
    WorkerFactory,
    WorkerSkillFactory,
    skill,
)
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import DomainError
from tsunagu.process import task_units
from tsunagu.process.models import TaskAnswer, TaskAnswerStatus, TaskUnit
from tsunagu.process.sweep import sweep_run
from tsunagu.process.task_units import UnitSpec
from tsunagu.skills.models import Evidence, WorkerSkill
from tsunagu.work import escrow
from tsunagu.work import services as work_services
from tsunagu.work.models import JobSkill, JobStatus, TaskParticipation

ANIMALS = ["犬", "猫", "鳥"]


def spec(text: str = "しっぽを振っている", gold: str | None = None) -> UnitSpec:
    return UnitSpec(payload={"text": text}, choices=list(ANIMALS), gold_answer=gold)


def joined(batch, worker=None):
    worker = worker or WorkerFactory()
    work_services.task_join(job=batch.job, worker=worker)
    return worker


def add_units(batch, count: int, *, redundancy: int = 1, gold: str | None = None):
    return task_units.task_units_add(
        batch=batch,
        by=batch.job.client,
        units=[spec(f"item {n}", gold) for n in range(count)],
        redundancy=redundancy,
    )


def answer_unit(batch, worker, value: str = "犬") -> TaskAnswer:
    claimed = task_units.task_unit_claim(batch=batch, worker=worker)
    return task_units.task_answer_submit(answer=claimed, worker=worker, value=value)


def database_state():
    """Row counts plus the rows the task services change."""
    return (
        table_counts(),
        list(TaskUnit.objects.order_by("pk").values_list("pk", "claims", "consensus_answer")),
        list(TaskAnswer.objects.order_by("pk").values_list("pk", "status", "answer", "reason")),
        list(TaskParticipation.objects.order_by("pk").values_list("pk", "units_done")),
        list(WorkerSkill.objects.order_by("pk").values_list("pk", "evidence", "test_score")),
    )


def funded_batch(**fields):
    """A task batch the client has paid for by card, so workers may claim."""
    batch = TaskBatchFactory(**fields)
    escrow.task_batch_fund(job=batch.job, by=batch.job.client, method="card", card_token="tok")
    return batch


@pytest.fixture
def batch(db):
    return funded_batch(unit_count=20, unit_price_yen=50, per_worker_cap=5)


# --- adding units -----------------------------------------------------------


@pytest.mark.django_db
def test_the_client_adds_units_numbered_after_the_last(batch):
    add_units(batch, 2, redundancy=2)

    added = task_units.task_units_add(
        batch=batch, by=batch.job.client, units=[spec(gold="猫"), spec()], redundancy=3
    )

    assert [unit.position for unit in added] == [3, 4]
    units = list(batch.units.values_list("position", "redundancy", "gold_answer", "claims"))
    assert units == [(1, 2, "", 0), (2, 2, "", 0), (3, 3, "猫", 0), (4, 3, "", 0)]
    assert batch.units.get(position=3).payload == {"text": "しっぽを振っている"}


def _closed(batch):
    batch.job.status = JobStatus.CLOSED
    batch.job.save(update_fields=["status"])
    return {}


ADD_REFUSALS = [
    ("stranger", lambda b: {"by": ClientFactory()}, "not_found", 404),
    ("closed", _closed, "batch_closed", 409),
    ("no units", lambda b: {"units": []}, "units_required", 400),
    ("redundancy 0", lambda b: {"redundancy": 0}, "invalid_redundancy", 400),
    ("redundancy 11", lambda b: {"redundancy": 11}, "invalid_redundancy", 400),
    ("no payload", lambda b: {"units": [UnitSpec({}, ["a", "b"])]}, "invalid_unit", 400),
    ("one choice", lambda b: {"units": [UnitSpec({"t": 1}, ["a"])]}, "invalid_choices", 400),
    ("same choice", lambda b: {"units": [UnitSpec({"t": 1}, ["a", "a"])]}, "invalid_choices", 400),
    ("blank choice", lambda b: {"units": [UnitSpec({"t": 1}, ["a", " "])]}, "invalid_choices", 400),
    ("gold outside", lambda b: {"units": [spec(gold="魚")]}, "invalid_gold_answer", 400),
    ("over budget", lambda b: {"units": [spec()] * 5, "redundancy": 5}, "too_many_units", 422),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code", "status"),
    [case[1:] for case in ADD_REFUSALS],
    ids=[case[0] for case in ADD_REFUSALS],
)
def test_adding_units_is_refused_and_writes_nothing(batch, change, code, status):
    # given: a batch paying for 20 answers
    arguments = {"batch": batch, "by": batch.job.client, "units": [spec()], "redundancy": 1}
    arguments.update(change(batch))
    before = database_state()

    with pytest.raises(DomainError) as refused:
        task_units.task_units_add(**arguments)

    assert (refused.value.code, refused.value.status) == (code, status)
    assert database_state() == before


@pytest.mark.django_db
def test_units_fill_the_budget_and_no_further(batch):
    add_units(batch, 6, redundancy=3)  # 18 of 20 answers

    with pytest.raises(DomainError) as refused:
        add_units(batch, 1, redundancy=3)

    assert refused.value.code == "too_many_units"
    assert refused.value.extra == {"slots_left": 2}
    add_units(batch, 2)
    assert batch.units.count() == 8


# --- claims -----------------------------------------------------------------


@pytest.mark.django_db
def test_claims_go_by_position_up_to_the_redundancy_and_never_repeat(batch):
    # given: two units each answered by two workers
    first, second = add_units(batch, 2, redundancy=2)
    ann, ben, cho = joined(batch), joined(batch), joined(batch)

    # when / then: each worker gets the next unit they have not had
    assert task_units.task_unit_claim(batch=batch, worker=ann).unit == first
    assert task_units.task_unit_claim(batch=batch, worker=ann).unit == second
    assert task_units.task_unit_claim(batch=batch, worker=ben).unit == first
    assert task_units.task_unit_claim(batch=batch, worker=ben).unit == second
    first.refresh_from_db()
    assert first.claims == 2

    # and: nobody gets a third place or a unit twice
    for worker in (cho, ann):
        with pytest.raises(DomainError) as refused:
            task_units.task_unit_claim(batch=batch, worker=worker)
        assert (refused.value.code, refused.value.status) == ("no_units_left", 409)
    assert TaskAnswer.objects.count() == 4


@pytest.mark.django_db
def test_the_cap_counts_live_answers_only(batch):
    # given: a cap of two
    batch.per_worker_cap = 2
    batch.save(update_fields=["per_worker_cap"])
    add_units(batch, 4)
    worker = joined(batch)
    first = answer_unit(batch, worker)
    task_units.task_unit_claim(batch=batch, worker=worker)
    before = database_state()

    # when / then: a third claim is refused
    with pytest.raises(DomainError) as refused:
        task_units.task_unit_claim(batch=batch, worker=worker)
    assert (refused.value.code, refused.value.status) == ("cap_reached", 409)
    assert database_state() == before

    # and: a rejected answer no longer counts against the cap
    task_units.task_answer_review(
        answer=first, by=batch.job.client, approve=False, reason="違います"
    )
    assert task_units.task_unit_claim(batch=batch, worker=worker).unit.position == 3


@pytest.mark.django_db
def test_claims_are_refused_to_workers_who_may_not_work(batch):
    add_units(batch, 3)
    stranger = WorkerFactory()
    qualified = WorkerSkillFactory(skill=skill("excel-vba"), level=3)
    batch.qualification_skill = skill("excel-vba")
    batch.qualification_min_level = 3
    batch.save(update_fields=["qualification_skill", "qualification_min_level"])
    lapsed = joined(batch, qualified.worker)
    WorkerSkill.objects.filter(pk=qualified.pk).update(level=2)  # no longer enough
    before = database_state()

    with pytest.raises(DomainError) as not_joined:
        task_units.task_unit_claim(batch=batch, worker=stranger)
    with pytest.raises(DomainError) as not_qualified:
        task_units.task_unit_claim(batch=batch, worker=lapsed)

    assert (not_joined.value.code, not_joined.value.status) == ("not_joined", 403)
    assert (not_qualified.value.code, not_qualified.value.status) == ("not_qualified", 403)
    assert database_state() == before


@pytest.mark.django_db
def test_a_closed_batch_takes_no_claims(batch):
    add_units(batch, 1)
    worker = joined(batch)
    _closed(batch)
    before = database_state()

    with pytest.raises(DomainError) as refused:
        task_units.task_unit_claim(batch=batch, worker=worker)

    assert (refused.value.code, refused.value.status) == ("batch_closed", 409)
    assert database_state() == before


@pytest.mark.django_db
def test_an_unpaid_batch_takes_no_claims():
    # given: a batch with units and a worker, not paid for
    batch = TaskBatchFactory(unit_count=5, per_worker_cap=5)
    add_units(batch, 1)
    worker = joined(batch)
    before = database_state()

    # when
    with pytest.raises(DomainError) as refused:
        task_units.task_unit_claim(batch=batch, worker=worker)

    # then
    assert (refused.value.code, refused.value.status) == ("batch_not_funded", 409)
    assert database_state() == before


# --- answers and their review -----------------------------------------------


@pytest.mark.django_db
def test_a_worker_answers_a_claimed_unit(batch):
    add_units(batch, 1)
    worker = joined(batch)
    claimed = task_units.task_unit_claim(batch=batch, worker=worker)
    assert claimed.claim_expires_at - claimed.claimed_at == timedelta(hours=24)

    answer = task_units.task_answer_submit(answer=claimed, worker=worker, value="猫")

    answer.refresh_from_db()
    assert (answer.status, answer.answer) == (TaskAnswerStatus.SUBMITTED, "猫")
    assert answer.review_due_at - answer.submitted_at == timedelta(days=7)
    event = AuditEvent.objects.get(machine="task_answer", object_id=answer.pk)
    assert (event.from_state, event.to_state, event.actor) == ("claimed", "submitted", worker)


@pytest.mark.django_db
def test_answers_are_refused_outside_the_rules(batch):
    add_units(batch, 1)
    worker = joined(batch)
    claimed = task_units.task_unit_claim(batch=batch, worker=worker)
    someone_else = WorkerFactory()
    before = database_state()

    with pytest.raises(DomainError) as not_a_choice:
        task_units.task_answer_submit(answer=claimed, worker=worker, value="魚")
    with pytest.raises(DomainError) as not_theirs:
        task_units.task_answer_submit(answer=claimed, worker=someone_else, value="犬")

    assert (not_a_choice.value.code, not_a_choice.value.status) == ("invalid_answer", 400)
    assert (not_theirs.value.code, not_theirs.value.status) == ("not_found", 404)
    assert database_state() == before

    # and: an answer is given once
    task_units.task_answer_submit(answer=claimed, worker=worker, value="犬")
    before = database_state()
    with pytest.raises(DomainError) as twice:
        task_units.task_answer_submit(answer=claimed, worker=worker, value="猫")
    assert (twice.value.code, twice.value.status) == ("illegal_transition", 409)
    assert database_state() == before


@pytest.mark.django_db
def test_the_client_approves_an_answer(batch):
    add_units(batch, 1)
    worker = joined(batch)
    answer = answer_unit(batch, worker)

    task_units.task_answer_review(answer=answer, by=batch.job.client, approve=True)

    answer.refresh_from_db()
    assert answer.status == TaskAnswerStatus.APPROVED
    assert answer.decided_by == batch.job.client
    assert TaskParticipation.objects.get(worker=worker).units_done == 1
    event = AuditEvent.objects.filter(machine="task_answer", object_id=answer.pk).last()
    assert (event.from_state, event.to_state, event.actor) == (
        "submitted",
        "approved",
        batch.job.client,
    )


@pytest.mark.django_db
def test_a_rejection_needs_a_reason_and_frees_the_place(batch):
    # given: one unit answered by one worker
    (unit,) = add_units(batch, 1)
    first, second = joined(batch), joined(batch)
    answer = answer_unit(batch, first, "鳥")
    before = database_state()

    # when / then: no reason, no rejection
    with pytest.raises(DomainError) as refused:
        task_units.task_answer_review(answer=answer, by=batch.job.client, approve=False, reason=" ")
    assert (refused.value.code, refused.value.status) == ("reason_required", 400)
    assert database_state() == before

    # when: rejected with a reason
    task_units.task_answer_review(
        answer=answer, by=batch.job.client, approve=False, reason="写真は犬です"
    )

    # then: the place is free for another worker, the rejected one gets it no more
    answer.refresh_from_db()
    assert (answer.status, answer.reason) == (TaskAnswerStatus.REJECTED, "写真は犬です")
    assert task_units.task_unit_claim(batch=batch, worker=second).unit == unit
    with pytest.raises(DomainError):
        task_units.task_unit_claim(batch=batch, worker=first)
    assert TaskParticipation.objects.get(worker=first).units_done == 0


@pytest.mark.django_db
def test_only_the_client_reviews_and_only_once(batch):
    add_units(batch, 1)
    worker = joined(batch)
    answer = answer_unit(batch, worker)
    stranger_client = ClientFactory()
    before = database_state()

    with pytest.raises(DomainError) as stranger:
        task_units.task_answer_review(answer=answer, by=stranger_client, approve=True)
    with pytest.raises(DomainError) as own:
        task_units.task_answer_review(answer=answer, by=worker, approve=True)
    assert (stranger.value.code, stranger.value.status) == ("not_found", 404)
    assert own.value.code == "not_found"
    assert database_state() == before

    task_units.task_answer_review(answer=answer, by=batch.job.client, approve=True)
    before = database_state()
    with pytest.raises(DomainError) as twice:
        task_units.task_answer_review(answer=answer, by=batch.job.client, approve=False, reason="x")
    assert (twice.value.code, twice.value.status) == ("illegal_transition", 409)
    assert twice.value.extra == {"state": "approved", "allowed": []}
    assert database_state() == before


# --- the sweep --------------------------------------------------------------


@pytest.mark.django_db
def test_an_unreviewed_answer_is_approved_after_the_window_exactly_once(batch):
    add_units(batch, 2)
    worker = joined(batch)
    answer = answer_unit(batch, worker)
    reviewed = answer_unit(batch, worker)
    task_units.task_answer_review(answer=reviewed, by=batch.job.client, approve=True)
    start = timezone.now()

    with time_machine.travel(start + timedelta(days=6, hours=23)):
        assert sweep_run().task_answers_auto_approved == 0
    with time_machine.travel(start + timedelta(days=7, minutes=1)):
        assert sweep_run().task_answers_auto_approved == 1
        assert sweep_run().task_answers_auto_approved == 0

    answer.refresh_from_db()
    assert answer.status == TaskAnswerStatus.AUTO_APPROVED
    assert TaskParticipation.objects.get(worker=worker).units_done == 2
    event = AuditEvent.objects.get(machine="task_answer", to_state="auto_approved")
    assert (event.object_id, event.actor) == (answer.pk, None)


@pytest.mark.django_db
def test_the_review_window_is_a_setting(batch, settings):
    settings.TSUNAGU_TASK_REVIEW_DAYS = 3
    add_units(batch, 1)
    answer = answer_unit(batch, joined(batch))

    assert answer.review_due_at - answer.submitted_at == timedelta(days=3)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert task_units.task_answers_auto_approve() == 1


@pytest.mark.django_db
def test_an_unanswered_claim_expires_and_frees_its_place(batch):
    (unit,) = add_units(batch, 1)
    idle, other = joined(batch), joined(batch)
    claimed = task_units.task_unit_claim(batch=batch, worker=idle)

    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert sweep_run().task_claims_expired == 0
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert sweep_run().task_claims_expired == 1
        assert sweep_run().task_claims_expired == 0

    claimed.refresh_from_db()
    assert claimed.status == TaskAnswerStatus.EXPIRED
    assert task_units.task_unit_claim(batch=batch, worker=other).unit == unit
    with pytest.raises(DomainError) as late:
        task_units.task_answer_submit(answer=claimed, worker=idle, value="犬")
    assert late.value.code == "illegal_transition"


# --- concurrency (PostgreSQL) -----------------------------------------------


def run_together(*calls):
    """Run each call on its own connection, released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except DomainError as error:
            results[index] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent claims and row locks"
)
def test_two_workers_claiming_the_last_place_get_it_once(taxonomy):
    # given: one unit with one place, two joined workers
    batch = funded_batch(unit_count=5, per_worker_cap=5)
    (unit,) = add_units(batch, 1)
    ann, ben = joined(batch), joined(batch)

    # when: both claim at once
    results = run_together(
        lambda: task_units.task_unit_claim(batch=batch, worker=ann).pk,
        lambda: task_units.task_unit_claim(batch=batch, worker=ben).pk,
    )

    # then: one has the unit, the other is told none is left
    assert sorted(results, key=str).count("no_units_left") == 1
    unit.refresh_from_db()
    assert unit.claims == 1
    assert TaskAnswer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent sweeps and row locks"
)
def test_two_sweeps_approve_each_answer_once(taxonomy):
    # given: answers of three workers past their review window
    batch = funded_batch(unit_count=12, per_worker_cap=4)
    add_units(batch, 12)
    workers = [joined(batch) for _ in range(3)]
    for worker in workers:
        for _ in range(4):
            answer_unit(batch, worker)
    later = timezone.now() + timedelta(days=8)

    # when: two sweeps run at the same moment
    results = run_together(
        lambda: task_units.task_answers_auto_approve(now=later),
        lambda: task_units.task_answers_auto_approve(now=later),
    )
    leftover = task_units.task_answers_auto_approve(now=later)  # what both had to skip

    # then: every answer approved once, every worker's count right
    assert sum(results) + leftover == 12
    assert AuditEvent.objects.filter(to_state="auto_approved").count() == 12
    assert list(TaskParticipation.objects.values_list("units_done", flat=True)) == [4, 4, 4]


# --- aggregation and skill evidence -----------------------------------------


@pytest.mark.django_db
def test_a_batch_end_to_end_gives_consensus_scores_and_tested_skills():
    # given: 30 units (10 gold) each answered by 3 of 4 qualified workers
    batch = funded_batch(
        unit_count=90,
        per_worker_cap=30,
        qualification_skill=skill("excel-vba"),
        qualification_min_level=1,
    )
    truth = [ANIMALS[n % 3] for n in range(30)]
    task_units.task_units_add(
        batch=batch,
        by=batch.job.client,
        units=[spec(f"item {n}", truth[n] if n % 3 == 0 else None) for n in range(30)],
        redundancy=3,
    )
    careful, steady, sloppy, careless = (
        WorkerSkillFactory(skill=skill("excel-vba"), level=2).worker for _ in range(4)
    )
    WorkerSkill.objects.filter(worker=steady).update(evidence=Evidence.PROVEN)
    for worker in (careful, steady, sloppy, careless):
        joined(batch, worker)

    def choose(worker, position: int) -> str:
        right = ANIMALS.index(truth[position - 1])
        if worker == careless or (worker == sloppy and position % 5 == 0):
            return ANIMALS[(right + 1) % 3]
        return ANIMALS[right]

    # when: they take turns until every place is filled, and some are approved
    workers = [careful, steady, sloppy, careless]
    while workers:
        for worker in list(workers):
            try:
                claimed = task_units.task_unit_claim(batch=batch, worker=worker)
            except DomainError:
                workers.remove(worker)
                continue
            answer = task_units.task_answer_submit(
                answer=claimed, worker=worker, value=choose(worker, claimed.unit.position)
            )
            if claimed.unit.position % 2:
                task_units.task_answer_review(answer=answer, by=batch.job.client, approve=True)
    quality = task_units.task_batch_aggregate(batch=batch)

    # then: every unit has the true answer as its consensus
    units = list(batch.units.order_by("position"))
    assert quality.units_with_consensus == 30
    assert [unit.consensus_answer for unit in units] == truth
    assert all(unit.consensus_confidence > 0.5 for unit in units)

    # and: the careless worker is flagged; the others are scored and tested
    assert quality.flagged_worker_ids == [careless.pk]
    by_worker = {worker.worker_id: worker for worker in quality.workers}
    assert by_worker[careless.pk].gold_accuracy == 0.0
    assert by_worker[careful.pk].test_score == 100
    assert by_worker[careless.pk].test_score is None
    skills = {
        row.worker_id: (row.evidence, row.test_score)
        for row in WorkerSkill.objects.filter(skill=skill("excel-vba"))
    }
    assert skills[careful.pk] == (Evidence.TESTED, 100)
    assert skills[steady.pk] == (Evidence.PROVEN, 100)  # evidence never weakens
    assert skills[sloppy.pk] == (Evidence.TESTED, by_worker[sloppy.pk].test_score)
    assert 70 <= by_worker[sloppy.pk].test_score <= 90
    assert skills[careless.pk] == (Evidence.DECLARED, None)

    # and: running it again changes nothing
    again = task_units.task_batch_aggregate(batch=batch)
    assert again == quality


@pytest.mark.django_db
def test_without_a_qualification_the_jobs_required_skills_become_tested(batch):
    # given: a job requiring a skill the worker never declared
    JobSkill.objects.create(job=batch.job, skill=skill("excel-vba"), required=True)
    add_units(batch, 12)
    worker = joined(batch)
    batch.per_worker_cap = 12
    batch.save(update_fields=["per_worker_cap"])
    for _ in range(12):
        answer_unit(batch, worker, "猫")

    quality = task_units.task_batch_aggregate(batch=batch)

    # then: the skill is added as tested, with the score
    held = WorkerSkill.objects.get(worker=worker, skill=skill("excel-vba"))
    assert (held.evidence, held.test_score, held.level) == (Evidence.TESTED, 100, 1)
    assert quality.workers[0].gold_accuracy is None  # no gold units here


@pytest.mark.django_db
def test_a_batch_without_answers_aggregates_to_nothing(batch):
    add_units(batch, 3)
    before = database_state()

    quality = task_units.task_batch_aggregate(batch=batch)

    assert quality.units_with_consensus == 0
    assert quality.flagged_worker_ids == []
    assert database_state() == before
