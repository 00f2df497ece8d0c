"""The order board: stages, who waits on whom, flags, filters, and a fixed query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    ClientFactory,
    ContractFactory,
    JobFactory,
    MilestoneFactory,
    ProposalFactory,
)
from tsunagu.process import services as process
from tsunagu.process.board import BoardFilter, Party, Stage, order_board
from tsunagu.process.models import Delivery
from tsunagu.work import escrow
from tsunagu.work.models import ContractStatus, JobStatus

pytestmark = pytest.mark.django_db

CARD = "tok_visa"


def contract_of(client, *, due_in_days: int = 10):
    contract = ContractFactory(job__client=client, client=client, milestone=None)
    MilestoneFactory(
        contract=contract,
        amount_yen=10_000,
        due_date=timezone.localdate() + timedelta(days=due_in_days),
    )
    return contract


def order_in(stage: Stage, client):
    """Make one order of ``client`` that stands at ``stage``, through the services."""
    if stage == Stage.RECRUITING:
        return JobFactory(client=client)
    if stage == Stage.CHOOSING:
        return ProposalFactory(job=JobFactory(client=client)).job
    if stage == Stage.CLOSED:
        return JobFactory(client=client, status=JobStatus.CLOSED)
    contract = contract_of(client)
    milestone = contract.milestones.get()
    if stage == Stage.AWAITING_PAYMENT:
        return contract
    escrow.milestone_fund(milestone=milestone, by=client, method="card", card_token=CARD)
    if stage == Stage.IN_PROGRESS:
        return contract
    process.delivery_submit(milestone=milestone, by=contract.worker, message="納品", files=[])
    if stage == Stage.AWAITING_REVIEW:
        return contract
    escrow.milestone_approve(milestone=milestone, by=client)
    if stage == Stage.READY_TO_COMPLETE:
        return contract
    contract.status = ContractStatus.COMPLETED
    contract.save(update_fields=["status"])
    return contract


EVERY_STAGE = [
    Stage.RECRUITING,
    Stage.CHOOSING,
    Stage.CLOSED,
    Stage.AWAITING_PAYMENT,
    Stage.IN_PROGRESS,
    Stage.AWAITING_REVIEW,
    Stage.READY_TO_COMPLETE,
    Stage.COMPLETED,
]


def queries_for_board(client) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        orders = order_board(user=client)
    return len(captured.captured_queries), orders


def test_each_order_shows_its_stage_next_action_and_who_must_act():
    client = ClientFactory()
    for stage in EVERY_STAGE:
        order_in(stage, client)

    orders = order_board(user=client)

    by_stage = {order.stage: order for order in orders}
    assert set(by_stage) == set(EVERY_STAGE)
    assert by_stage[Stage.CHOOSING].proposals == 1
    assert (by_stage[Stage.CHOOSING].next_action, by_stage[Stage.CHOOSING].waiting_on) == (
        "choose_a_proposal",
        Party.CLIENT,
    )
    assert by_stage[Stage.IN_PROGRESS].waiting_on == Party.WORKER
    assert by_stage[Stage.AWAITING_REVIEW].next_action == "review_the_delivery"
    assert by_stage[Stage.AWAITING_REVIEW].due_at is not None


def test_the_board_reads_the_same_number_of_queries_for_20_and_200_orders():
    small, large = ClientFactory(), ClientFactory()
    for index in range(20):
        order_in(EVERY_STAGE[index % len(EVERY_STAGE)], small)
    for index in range(200):
        order_in(EVERY_STAGE[index % len(EVERY_STAGE)], large)

    small_queries, small_orders = queries_for_board(small)
    large_queries, large_orders = queries_for_board(large)

    assert (len(small_orders), len(large_orders)) == (20, 200)
    assert small_queries == large_queries
    assert large_queries <= 15


def test_a_review_past_its_window_is_overdue_and_comes_first():
    client = ClientFactory()
    order_in(Stage.IN_PROGRESS, client)
    late = order_in(Stage.AWAITING_REVIEW, client)
    Delivery.objects.filter(milestone__contract=late).update(
        review_due_at=timezone.now() - timedelta(hours=1)
    )

    first, *_rest = order_board(user=client)

    assert first.contract_id == late.pk
    assert first.overdue


def test_work_not_delivered_with_little_time_left_is_at_risk():
    client = ClientFactory()
    contract = contract_of(client, due_in_days=1)
    milestone = contract.milestones.get()
    escrow.milestone_fund(milestone=milestone, by=client, method="card", card_token=CARD)
    type(milestone).objects.filter(pk=milestone.pk).update(
        updated_at=timezone.now() - timedelta(days=20)
    )

    (order,) = order_board(user=client)

    assert order.stage == Stage.IN_PROGRESS
    assert order.at_risk
    assert not order.overdue


def test_filters_narrow_the_board():
    client = ClientFactory()
    for stage in EVERY_STAGE:
        order_in(stage, client)

    waiting_on_worker = order_board(user=client, only=BoardFilter(waiting_on="worker"))
    awaiting_payment = order_board(user=client, only=BoardFilter(stage="awaiting_payment"))

    assert [order.stage for order in waiting_on_worker] == [Stage.IN_PROGRESS]
    assert [order.stage for order in awaiting_payment] == [Stage.AWAITING_PAYMENT]


def test_a_worker_sees_their_contracts_and_never_the_clients_jobs():
    client = ClientFactory()
    contract = order_in(Stage.IN_PROGRESS, client)
    order_in(Stage.RECRUITING, client)

    orders = order_board(user=contract.worker, as_worker=True)

    assert [order.contract_id for order in orders] == [contract.pk]
    assert orders[0].counterpart == client.display_name
    assert order_board(user=ClientFactory()) == []


def test_the_board_over_the_api_with_a_filter():
    from django.test import Client

    client = ClientFactory()
    for stage in EVERY_STAGE:
        order_in(stage, client)
    browser = Client()
    browser.force_login(client)

    everything = browser.get("/api/v1/me/orders").json()
    mine_to_do = browser.get("/api/v1/me/orders", {"waiting_on": "client"}).json()
    bad = browser.get("/api/v1/me/orders", {"stage": "nonsense"})

    assert len(everything["orders"]) == len(EVERY_STAGE)
    assert everything["counts"]["awaiting_review"] == 1
    assert {order["stage"] for order in mine_to_do["orders"]} == {
        "choosing",
        "awaiting_payment",
        "awaiting_review",
        "ready_to_complete",
    }
    assert bad.status_code == 422
