"""Every step of every state machine: allowed ones move and are recorded,
illegal ones are refused with the current state and change nothing."""

import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import (
    BankAccountFactory,
    CompetitionFactory,
    ContractFactory,
    TaskBatchFactory,
    UserFactory,
)
from tsunagu.audit.machines import MACHINES, allowed_next
from tsunagu.audit.models import AuditEvent
from tsunagu.audit.services import IllegalTransition, transition
from tsunagu.payments.models import JournalEntry, Payout
from tsunagu.process.models import ContractChange, Delivery, Dispute, TaskAnswer, TaskUnit
from tsunagu.work.models import CompetitionEntry, Contract, Job, Milestone

pytestmark = pytest.mark.django_db


def subject(machine: str):
    """A fresh row of the machine's model."""
    contract = ContractFactory()
    milestone = contract.milestones.get()
    if machine == "job":
        return contract.job
    if machine == "contract":
        return contract
    if machine == "milestone":
        return milestone
    if machine == "entry":
        competition = CompetitionFactory()
        return CompetitionEntry.objects.create(
            competition=competition, worker=contract.worker, title="案"
        )
    if machine == "task_answer":
        return task_answer(worker=contract.worker)
    if machine == "payout":
        return payout(worker=contract.worker)
    if machine == "contract_change":
        return ContractChange.objects.create(
            contract=contract,
            proposed_by=contract.client,
            kind="end_early",
            decided_at=timezone.now(),
        )
    if machine == "dispute":
        return Dispute.objects.create(
            contract=contract,
            milestone=milestone,
            opened_by=contract.client,
            reason="納品がない",
            worker_share_yen=0,
            resolved_by=contract.client,
            resolved_at=timezone.now(),
        )
    return Delivery.objects.create(
        milestone=milestone,
        submitted_by=contract.worker,
        message="納品",
        review_due_at=timezone.now(),
    )


def task_answer(*, worker) -> TaskAnswer:
    """An answer filled in so that every status satisfies the table's checks."""
    unit = TaskUnit.objects.create(
        batch=TaskBatchFactory(), position=1, payload={"text": "犬"}, choices=["犬", "猫"]
    )
    now = timezone.now()
    return TaskAnswer.objects.create(
        unit=unit,
        worker=worker,
        answer="犬",
        reason="理由",
        claim_expires_at=now,
        submitted_at=now,
        review_due_at=now,
        decided_at=now,
    )


def payout(*, worker) -> Payout:
    """A payout filled in so that every status satisfies the table's checks."""
    now = timezone.now()
    reference = f"user:{worker.pk}"
    return Payout.objects.create(
        worker=worker,
        bank_account=BankAccountFactory(owner=worker),
        amount_yen=5_000,
        fee_yen=100,
        net_yen=4_900,
        withdraw_entry=JournalEntry.objects.create(kind="withdraw", reference=reference),
        settle_entry=JournalEntry.objects.create(kind="payout_paid", reference=reference),
        sent_at=now,
        settled_at=now,
    )


MODELS = {
    "job": Job,
    "contract": Contract,
    "milestone": Milestone,
    "entry": CompetitionEntry,
    "delivery": Delivery,
    "task_answer": TaskAnswer,
    "payout": Payout,
    "contract_change": ContractChange,
    "dispute": Dispute,
}
STEPS = [
    (machine, from_state, to_state)
    for machine, table in MACHINES.items()
    for from_state, to_state in itertools.product(table, table)
]


@pytest.mark.parametrize(("machine", "from_state", "to_state"), STEPS)
def test_each_step_is_taken_or_refused_as_the_machine_says(machine, from_state, to_state):
    # given: a row in from_state
    row = subject(machine)
    MODELS[machine].objects.filter(pk=row.pk).update(status=from_state)
    row.refresh_from_db()
    actor = UserFactory()
    events_before = AuditEvent.objects.count()

    if to_state in MACHINES[machine][from_state]:
        # when / then: the step is taken and recorded
        with transaction.atomic():
            transition(machine=machine, obj=row, to=to_state, by=actor, reason="test")
        row.refresh_from_db()
        assert row.status == to_state
        event = AuditEvent.objects.latest("id")
        assert (event.machine, event.object_id) == (machine, row.pk)
        assert (event.from_state, event.to_state, event.actor) == (from_state, to_state, actor)
    else:
        # when / then: refused, naming the state and the way on
        with pytest.raises(IllegalTransition) as refused:
            transition(machine=machine, obj=row, to=to_state, by=actor)
        assert refused.value.status == 409
        assert refused.value.extra == {
            "state": from_state,
            "allowed": allowed_next(machine, from_state),
        }
        row.refresh_from_db()
        assert row.status == from_state
        assert AuditEvent.objects.count() == events_before


def test_audit_events_cannot_be_changed_or_deleted():
    row = subject("contract")
    transition(machine="contract", obj=row, to="completed", by=None)
    event = AuditEvent.objects.get()

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
