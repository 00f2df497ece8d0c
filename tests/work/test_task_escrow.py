"""Paying for a task batch before work starts, per approved answer, and the rest back.

Worked example: a unit price of ¥100 is ¥110 with tax; the flat task fee is
floor(110 x 20%) = ¥22 plus ¥2 tax, so the worker gets ¥86 per answer.
"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from tests.factories import TaskBatchFactory, WorkerFactory
from tsunagu.errors import DomainError
from tsunagu.payments.models import (
    AccountKind,
    EntryKind,
    Hold,
    HoldState,
    JournalEntry,
    Payment,
    PaymentStatus,
)
from tsunagu.payments.selectors import account_balance, ledger_check, platform_balance
from tsunagu.process import task_units
from tsunagu.process.models import TaskAnswer, TaskAnswerStatus
from tsunagu.process.sweep import sweep_run
from tsunagu.process.task_units import UnitSpec
from tsunagu.work import escrow
from tsunagu.work import services as work_services
from tsunagu.work.models import JobStatus
from tsunagu.work.statements import client_receipts, worker_statement

CARD = "tok_visa"
NET, FEE, FEE_TAX, GROSS = 86, 22, 2, 110


def balance(worker) -> int:
    return account_balance(kind=AccountKind.WORKER_BALANCE, reference=f"user:{worker.pk}")


def card_external() -> int:
    return account_balance(kind=AccountKind.EXTERNAL, reference="provider:card")


def assert_ledger_ok() -> None:
    assert ledger_check().problems == []


def new_batch(*, units: int = 10, cap: int = 10, fund: bool = True):
    batch = TaskBatchFactory(unit_count=units, unit_price_yen=100, per_worker_cap=cap)
    if fund:
        escrow.task_batch_fund(job=batch.job, by=batch.job.client, method="card", card_token=CARD)
    task_units.task_units_add(
        batch=batch,
        by=batch.job.client,
        units=[UnitSpec(payload={"n": n}, choices=["a", "b"]) for n in range(units)],
    )
    return batch


def submitted(batch, worker=None) -> TaskAnswer:
    worker = worker or WorkerFactory()
    if not batch.participants.filter(worker=worker).exists():
        work_services.task_join(job=batch.job, worker=worker)
    claimed = task_units.task_unit_claim(batch=batch, worker=worker)
    return task_units.task_answer_submit(answer=claimed, worker=worker, value="a")


def review(answer, *, approve: bool = True) -> TaskAnswer:
    batch = answer.unit.batch
    return task_units.task_answer_review(
        answer=answer, by=batch.job.client, approve=approve, reason="" if approve else "違います"
    )


@pytest.mark.django_db
def test_the_client_pays_units_times_price_with_tax_into_one_hold():
    # when
    batch = new_batch(units=10)

    # then: ¥1,000 plus 10% tax, held for task:<id>
    payment = Payment.objects.get(reference=f"task:{batch.pk}")
    assert (payment.amount_yen, payment.status) == (1_100, PaymentStatus.SUCCEEDED)
    hold = Hold.objects.get(reference=f"task:{batch.pk}")
    assert (hold.amount_yen, hold.state, hold.released_yen) == (1_100, HoldState.FUNDED, 0)
    assert card_external() == -1_100
    assert_ledger_ok()


@pytest.mark.django_db
def test_each_approved_answer_pays_the_unit_price_less_the_flat_fee():
    # given
    batch = new_batch(units=10)
    worker = WorkerFactory()
    answers = [submitted(batch, worker) for _ in range(3)]

    # when
    for answer in answers:
        review(answer)

    # then
    assert balance(worker) == 3 * NET
    assert platform_balance(kind=AccountKind.FEE_REVENUE) == 3 * FEE
    assert platform_balance(kind=AccountKind.FEE_TAX) == 3 * FEE_TAX
    hold = Hold.objects.get(reference=f"task:{batch.pk}")
    assert (hold.state, hold.released_yen) == (HoldState.FUNDED, 3 * GROSS)
    assert account_balance(kind=AccountKind.HOLD, reference=hold.reference) == 1_100 - 3 * GROSS
    assert JournalEntry.objects.filter(kind=EntryKind.RELEASE_PART).count() == 3
    assert_ledger_ok()


@pytest.mark.django_db
def test_a_rejected_answer_is_not_paid():
    # given
    batch = new_batch(units=2)
    worker = WorkerFactory()

    # when
    review(submitted(batch, worker), approve=False)

    # then
    assert balance(worker) == 0
    assert Hold.objects.get(reference=f"task:{batch.pk}").released_yen == 0
    assert_ledger_ok()


@pytest.mark.django_db
def test_an_auto_approved_answer_is_paid_once():
    # given
    batch = new_batch(units=2)
    worker = WorkerFactory()
    answer = submitted(batch, worker)

    # when: the review window passes and the sweep runs twice
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        sweep_run()
        sweep_run()

    # then
    answer.refresh_from_db()
    assert answer.status == TaskAnswerStatus.AUTO_APPROVED
    assert balance(worker) == NET
    assert JournalEntry.objects.filter(kind=EntryKind.RELEASE_PART).count() == 1
    assert_ledger_ok()


@pytest.mark.django_db
def test_closing_refunds_the_unused_units_exactly_and_expires_open_claims():
    # given: 10 units paid, 3 approved, 1 claimed and never answered
    batch = new_batch(units=10)
    worker = WorkerFactory()
    for _ in range(3):
        review(submitted(batch, worker))
    claim = task_units.task_unit_claim(batch=batch, worker=worker)

    # when
    task_units.task_batch_close(job=batch.job, by=batch.job.client)

    # then: the client's card gets back all but the three paid answers
    assert card_external() == -3 * GROSS
    hold = Hold.objects.get(reference=f"task:{batch.pk}")
    assert (hold.state, hold.released_yen) == (HoldState.CLOSED, 3 * GROSS)
    assert account_balance(kind=AccountKind.HOLD, reference=hold.reference) == 0
    assert hold.settled_entry.kind == EntryKind.CLOSE
    claim.refresh_from_db()
    assert claim.status == TaskAnswerStatus.EXPIRED
    batch.job.refresh_from_db()
    assert batch.job.status == JobStatus.CLOSED
    payment = Payment.objects.get(reference=hold.reference)
    assert payment.status == PaymentStatus.SUCCEEDED  # partly refunded
    assert balance(worker) == 3 * NET
    assert_ledger_ok()


@pytest.mark.django_db
def test_closing_a_batch_nobody_worked_on_refunds_it_all():
    # given
    batch = new_batch(units=4)

    # when
    task_units.task_batch_close(job=batch.job, by=batch.job.client)

    # then
    assert card_external() == 0
    hold = Hold.objects.get(reference=f"task:{batch.pk}")
    assert hold.state == HoldState.REFUNDED
    assert Payment.objects.get(reference=hold.reference).status == PaymentStatus.REFUNDED
    assert_ledger_ok()


@pytest.mark.django_db
def test_closing_waits_for_answers_under_review_and_happens_once():
    # given
    batch = new_batch(units=2)
    answer = submitted(batch)

    # when / then: an answer awaits review
    with pytest.raises(DomainError) as waiting:
        task_units.task_batch_close(job=batch.job, by=batch.job.client)
    assert (waiting.value.code, waiting.value.status) == ("answers_awaiting_review", 409)

    review(answer)
    task_units.task_batch_close(job=batch.job, by=batch.job.client)
    with pytest.raises(DomainError) as again:
        task_units.task_batch_close(job=batch.job, by=batch.job.client)
    assert again.value.code == "batch_closed"
    assert card_external() == -GROSS
    assert_ledger_ok()


@pytest.mark.django_db
def test_claims_wait_for_the_payment():
    # given: a batch with units, not paid for
    batch = new_batch(units=2, fund=False)
    worker = WorkerFactory()
    work_services.task_join(job=batch.job, worker=worker)

    # when
    with pytest.raises(DomainError) as refused:
        task_units.task_unit_claim(batch=batch, worker=worker)

    # then
    assert (refused.value.code, refused.value.status) == ("batch_not_funded", 409)
    assert not TaskAnswer.objects.exists()


@pytest.mark.django_db
def test_the_workers_statement_shows_each_answer_and_the_receipt_the_batch():
    # given
    batch = new_batch(units=3)
    worker = WorkerFactory()
    answers = [submitted(batch, worker) for _ in range(2)]
    for answer in answers:
        review(answer)
    today = timezone.localdate()

    # when
    statement = worker_statement(worker=worker, year=today.year, month=today.month)
    receipts = client_receipts(client=batch.job.client, year=today.year, month=today.month)

    # then
    positions = sorted(answer.unit.position for answer in answers)
    assert [line.item_title for line in statement.releases] == [
        f"{batch.job.title} #{position}" for position in positions
    ]
    assert [(line.price_yen, line.fee_yen, line.net_yen) for line in statement.releases] == [
        (100, FEE, NET)
    ] * 2
    assert statement.net_total_yen == 2 * NET
    assert [(r.amount_yen, r.consumption_tax_yen) for r in receipts] == [(330, 30)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_approvals_at_once_are_both_paid(taxonomy):
    # given: two answers of two workers awaiting review
    batch = new_batch(units=2)
    ann, ben = WorkerFactory(), WorkerFactory()
    answers = [submitted(batch, ann), submitted(batch, ben)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def approve(answer):
        try:
            barrier.wait()
            review(answer)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=approve, args=(answer,)) for answer in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: both paid, the hold emptied exactly and settled by the last part
    assert errors == []
    assert (balance(ann), balance(ben)) == (NET, NET)
    hold = Hold.objects.get(reference=f"task:{batch.pk}")
    assert (hold.state, hold.released_yen) == (HoldState.CLOSED, 2 * GROSS)
    assert account_balance(kind=AccountKind.HOLD, reference=hold.reference) == 0
    assert_ledger_ok()
