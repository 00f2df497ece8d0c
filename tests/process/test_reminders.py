"""The sweep warns both sides once when a delivery date passes, and the client
when a payment the freelance act requires falls due."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import ContractFactory, MilestoneFactory
from tsunagu.notifications.models import Notification
from tsunagu.process import services as process
from tsunagu.process.sweep import sweep_run
from tsunagu.work import escrow

pytestmark = pytest.mark.django_db


def paid_milestone(*, due_in_days: int):
    contract = ContractFactory(price_yen=10_000, milestone=None)
    milestone = MilestoneFactory(
        contract=contract,
        amount_yen=10_000,
        due_date=timezone.localdate() + timedelta(days=due_in_days),
    )
    escrow.milestone_fund(milestone=milestone, by=contract.client, method="card", card_token="t")
    milestone.refresh_from_db()
    return milestone


def warnings(kind: str) -> list[tuple[int, int]]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient_id", "params__milestone_id")
    )


def test_a_passed_delivery_date_warns_both_sides_once():
    late = paid_milestone(due_in_days=-1)
    paid_milestone(due_in_days=3)  # not yet due: no warning

    first = sweep_run().warnings_sent
    second = sweep_run().warnings_sent

    contract = late.contract
    assert warnings("delivery_overdue") == sorted(
        [(contract.client_id, late.pk), (contract.worker_id, late.pk)]
    )
    assert (first, second) == (2, 0)


def test_delivered_work_is_not_called_overdue():
    milestone = paid_milestone(due_in_days=-1)
    process.delivery_submit(
        milestone=milestone, by=milestone.contract.worker, message="納品", files=[]
    )

    sweep_run()

    assert warnings("delivery_overdue") == []


def test_the_client_is_warned_before_the_payment_falls_due():
    milestone = paid_milestone(due_in_days=30)
    contract = milestone.contract
    delivery = process.delivery_submit(
        milestone=milestone, by=contract.worker, message="納品", files=[]
    )
    process.delivery_revision_request(delivery=delivery, by=contract.client, reason="修正")

    with time_machine.travel(timezone.now() + timedelta(days=contract.payment_due_days - 3)):
        sweep_run()
        sweep_run()

    assert warnings("payment_due_soon") == [(contract.client_id, milestone.pk)]


def test_the_warning_mail_names_the_date(mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    late = paid_milestone(due_in_days=-2)

    with django_capture_on_commit_callbacks(execute=True):
        sweep_run()

    due = late.due_date.isoformat()
    assert len(mailoutbox) == 2
    assert all(due in mail.body for mail in mailoutbox)
    assert all("納期" in mail.subject for mail in mailoutbox)
