"""Disputes: a side opens one over a paid milestone, the money stays held, the sweep leaves
the delivery alone, and an operator resolves it with a split in the back office."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.db_state import table_counts
from tests.factories import ContractFactory, MilestoneFactory, UserFactory
from tsunagu.accounts.models import User
from tsunagu.errors import DomainError
from tsunagu.payments.models import AccountKind, Hold, HoldState
from tsunagu.payments.selectors import account_balance, ledger_check
from tsunagu.process import disputes
from tsunagu.process import services as process
from tsunagu.process.board import Party, Stage, order_board
from tsunagu.process.models import DeliveryStatus, Dispute, DisputeStatus
from tsunagu.process.sweep import sweep_run
from tsunagu.work import escrow
from tsunagu.work.models import MilestoneStatus
from tsunagu.work.services import contract_complete

pytestmark = pytest.mark.django_db

CARD = "tok_visa"


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(
        email="operator@example.test", password="operator-pass-9", display_name="運営"
    )


def paid_milestone(amount: int = 10_000):
    contract = ContractFactory(price_yen=amount, milestone=None)
    milestone = MilestoneFactory(contract=contract, amount_yen=amount)
    escrow.milestone_fund(milestone=milestone, by=contract.client, method="card", card_token=CARD)
    milestone.refresh_from_db()
    return contract, milestone


def worker_balance(contract) -> int:
    return account_balance(kind=AccountKind.WORKER_BALANCE, reference=f"user:{contract.worker_id}")


def card_account() -> int:
    return account_balance(kind=AccountKind.EXTERNAL, reference="provider:card")


def refused(code: str, call, **kwargs) -> DomainError:
    before = table_counts()
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert error.value.code == code
    assert table_counts() == before
    return error.value


# --- opening -------------------------------------------------------------------------------


def test_either_side_opens_a_dispute_over_a_paid_milestone():
    contract, milestone = paid_milestone()

    dispute = disputes.dispute_open(milestone=milestone, by=contract.worker, reason="検収されない")

    assert (dispute.status, dispute.contract, dispute.opened_by) == (
        DisputeStatus.OPEN,
        contract,
        contract.worker,
    )
    disputes.dispute_withdraw(dispute=dispute, by=contract.worker)
    second = disputes.dispute_open(milestone=milestone, by=contract.client, reason="納品がない")
    assert second.status == DisputeStatus.OPEN


def test_opening_refusals():
    contract, milestone = paid_milestone()
    unpaid = MilestoneFactory(contract=contract, position=2, amount_yen=5_000)

    refused(
        "reason_required",
        disputes.dispute_open,
        milestone=milestone,
        by=contract.client,
        reason=" ",
    )
    refused("not_found", disputes.dispute_open, milestone=milestone, by=UserFactory(), reason="x")
    refused(
        "milestone_not_funded",
        disputes.dispute_open,
        milestone=unpaid,
        by=contract.client,
        reason="x",
    )
    dispute = disputes.dispute_open(milestone=milestone, by=contract.client, reason="納品がない")
    refused(
        "dispute_exists", disputes.dispute_open, milestone=milestone, by=contract.worker, reason="x"
    )
    refused("not_the_opener", disputes.dispute_withdraw, dispute=dispute, by=contract.worker)
    refused("not_found", disputes.dispute_withdraw, dispute=dispute, by=UserFactory())


def test_no_release_while_a_dispute_is_open():
    contract, milestone = paid_milestone()
    disputes.dispute_open(milestone=milestone, by=contract.worker, reason="検収されない")

    refused("dispute_open", escrow.milestone_approve, milestone=milestone, by=contract.client)
    refused("dispute_open", contract_complete, contract=contract, by=contract.client)
    assert Hold.objects.get(reference=f"milestone:{milestone.pk}").state == HoldState.FUNDED


def test_the_sweep_does_not_approve_a_disputed_delivery():
    contract, milestone = paid_milestone()
    delivery = process.delivery_submit(
        milestone=milestone, by=contract.worker, message="納品", files=[]
    )
    dispute = disputes.dispute_open(milestone=milestone, by=contract.client, reason="仕様と違う")

    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert sweep_run().deliveries_auto_approved == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUBMITTED
    assert worker_balance(contract) == 0

    # once withdrawn, the sweep approves it as usual
    disputes.dispute_withdraw(dispute=dispute, by=contract.client)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert sweep_run().deliveries_auto_approved == 1
    assert worker_balance(contract) == 8_580


# --- resolving --------------------------------------------------------------------------


def test_an_operator_splits_the_money_and_the_milestone_is_cancelled(operator):
    contract, milestone = paid_milestone()
    delivery = process.delivery_submit(
        milestone=milestone, by=contract.worker, message="納品", files=[]
    )
    dispute = disputes.dispute_open(
        milestone=milestone, by=contract.client, reason="半分しか納品されていない"
    )

    disputes.dispute_resolve(
        dispute=dispute, by=operator, worker_share_yen=5_000, resolution="半分ずつ"
    )

    dispute.refresh_from_db()
    milestone.refresh_from_db()
    delivery.refresh_from_db()
    assert (dispute.status, dispute.worker_share_yen, dispute.resolved_by) == (
        DisputeStatus.RESOLVED,
        5_000,
        operator,
    )
    assert milestone.status == MilestoneStatus.CANCELLED
    assert delivery.status == DeliveryStatus.WITHDRAWN
    assert worker_balance(contract) == 4_290  # ¥5,500 less 20% fee (¥1,100) and its tax (¥110)
    assert card_account() == -5_500  # ¥5,500 of the ¥11,000 went back to the card
    assert Hold.objects.get(reference=f"milestone:{milestone.pk}").state == HoldState.SPLIT
    assert ledger_check().problems == []


def test_the_whole_price_to_the_worker_approves_the_milestone_and_its_delivery(operator):
    contract, milestone = paid_milestone()
    delivery = process.delivery_submit(
        milestone=milestone, by=contract.worker, message="納品", files=[]
    )
    dispute = disputes.dispute_open(milestone=milestone, by=contract.worker, reason="検収されない")

    disputes.dispute_resolve(
        dispute=dispute, by=operator, worker_share_yen=10_000, resolution="納品済み"
    )

    milestone.refresh_from_db()
    delivery.refresh_from_db()
    assert milestone.status == MilestoneStatus.APPROVED
    assert delivery.status == DeliveryStatus.APPROVED
    assert worker_balance(contract) == 8_580
    assert ledger_check().problems == []


def test_nothing_to_the_worker_refunds_the_client_in_full(operator):
    contract, milestone = paid_milestone()
    dispute = disputes.dispute_open(
        milestone=milestone, by=contract.client, reason="着手されていない"
    )

    disputes.dispute_resolve(
        dispute=dispute, by=operator, worker_share_yen=0, resolution="全額返金"
    )

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.CANCELLED
    assert worker_balance(contract) == 0
    assert card_account() == 0
    assert Hold.objects.get(reference=f"milestone:{milestone.pk}").state == HoldState.REFUNDED
    assert ledger_check().problems == []


def test_resolving_refusals(operator):
    contract, milestone = paid_milestone()
    dispute = disputes.dispute_open(milestone=milestone, by=contract.client, reason="納品がない")

    error = refused(
        "forbidden",
        disputes.dispute_resolve,
        dispute=dispute,
        by=contract.client,
        worker_share_yen=0,
        resolution="x",
    )
    assert error.status == 403
    refused(
        "resolution_required",
        disputes.dispute_resolve,
        dispute=dispute,
        by=operator,
        worker_share_yen=0,
        resolution=" ",
    )
    refused(
        "invalid_split",
        disputes.dispute_resolve,
        dispute=dispute,
        by=operator,
        worker_share_yen=10_001,
        resolution="x",
    )
    disputes.dispute_resolve(dispute=dispute, by=operator, worker_share_yen=0, resolution="返金")
    refused(
        "dispute_not_open",
        disputes.dispute_resolve,
        dispute=dispute,
        by=operator,
        worker_share_yen=0,
        resolution="x",
    )


# --- back office, board and API -----------------------------------------------------


def test_an_operator_resolves_a_dispute_in_the_back_office(client, operator):
    contract, milestone = paid_milestone()
    dispute = disputes.dispute_open(milestone=milestone, by=contract.client, reason="納品がない")
    client.force_login(operator)
    url = reverse("admin:process_dispute_changelist")

    form = client.post(url, {"action": "resolve", "_selected_action": [dispute.pk]})
    done = client.post(
        url,
        {
            "action": "resolve",
            "_selected_action": [dispute.pk],
            "apply": "1",
            "worker_share_yen": "2500",
            "resolution": "一部のみ納品",
        },
    )

    dispute.refresh_from_db()
    assert form.status_code == 200
    assert "worker_share_yen" in form.content.decode()
    assert done.status_code == 302
    assert (dispute.status, dispute.worker_share_yen) == (DisputeStatus.RESOLVED, 2_500)
    assert ledger_check().problems == []


def test_the_board_shows_a_dispute_waiting_on_the_operator():
    contract, milestone = paid_milestone()
    disputes.dispute_open(milestone=milestone, by=contract.worker, reason="検収されない")

    (as_client,) = order_board(user=contract.client)
    (as_worker,) = order_board(user=contract.worker, as_worker=True)

    assert (as_client.stage, as_client.waiting_on, as_client.next_action) == (
        Stage.DISPUTED,
        Party.OPERATOR,
        "wait_for_the_operator",
    )
    assert as_worker.stage == Stage.DISPUTED
    assert as_client.milestone_id == milestone.pk


def test_opening_and_withdrawing_over_the_api():
    contract, milestone = paid_milestone()
    browser = Client()
    browser.force_login(contract.client)

    opened = browser.post(
        f"/api/v1/milestones/{milestone.pk}/disputes",
        {"reason": "納品がない"},
        content_type="application/json",
    )
    twice = browser.post(
        f"/api/v1/milestones/{milestone.pk}/disputes",
        {"reason": "納品がない"},
        content_type="application/json",
    )
    withdrawn = browser.post(f"/api/v1/disputes/{opened.json()['id']}/withdraw")

    assert opened.status_code == 201
    assert opened.json()["status"] == "open"
    assert twice.status_code == 409
    assert twice.json()["code"] == "dispute_exists"
    assert withdrawn.json()["status"] == "withdrawn"
    assert not Dispute.objects.filter(status="open").exists()
