"""Contract changes: one side proposes, the other answers; accepted changes apply at once,
with the terms before and after recorded, and the money moves when it must."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.db_state import table_counts
from tests.factories import (
    ContractFactory,
    MilestoneFactory,
    OrganizationFactory,
    UserFactory,
    category,
)
from tsunagu.accounts.models import MemberRole, Membership
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import DomainError
from tsunagu.payments.fees import release_breakdown
from tsunagu.payments.models import AccountKind, Hold, HoldState, PaymentStatus
from tsunagu.payments.selectors import account_balance, ledger_check
from tsunagu.process import changes, disputes
from tsunagu.process import services as process
from tsunagu.process.board import Party, Stage, order_board
from tsunagu.process.models import ChangeStatus, ContractChange, Delivery, DeliveryStatus
from tsunagu.work import escrow
from tsunagu.work.models import ContractStatus, Milestone, MilestoneStatus

pytestmark = pytest.mark.django_db

CARD = "tok_visa"


def contract_with(*amounts: int, **fields):
    contract = ContractFactory(price_yen=sum(amounts), milestone=None, **fields)
    milestones = [
        MilestoneFactory(contract=contract, position=position, amount_yen=amount)
        for position, amount in enumerate(amounts, start=1)
    ]
    return contract, milestones


def pay(milestone) -> None:
    escrow.milestone_fund(
        milestone=milestone, by=milestone.contract.client, method="card", card_token=CARD
    )
    milestone.refresh_from_db()


def worker_balance(contract) -> int:
    return account_balance(kind=AccountKind.WORKER_BALANCE, reference=f"user:{contract.worker_id}")


def card_refunded() -> int:
    """What went back to the card provider's account (its balance rises by each refund)."""
    return account_balance(kind=AccountKind.EXTERNAL, reference="provider:card")


def refused(code: str, call, **kwargs) -> DomainError:
    """Assert ``call`` is refused with ``code`` and writes nothing."""
    before = table_counts()
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert error.value.code == code
    assert table_counts() == before
    return error.value


# --- proposing and answering -----------------------------------------------------------


def test_adding_a_milestone_raises_the_price_and_records_the_terms():
    contract, _ms = contract_with(10_000)

    change = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="add_milestone",
        title="追加の修正",
        amount_yen=5_000,
        due_date=timezone.localdate() + timedelta(days=10),
        reason="仕様追加のため",
    )
    accepted = changes.contract_change_accept(change=change, by=contract.client)

    contract.refresh_from_db()
    added = contract.milestones.get(position=2)
    assert accepted.status == ChangeStatus.ACCEPTED
    assert accepted.decided_by == contract.client
    assert contract.price_yen == 15_000
    assert (added.title, added.amount_yen, added.status) == ("追加の修正", 5_000, "pending")
    assert sum(m.amount_yen for m in contract.milestones.all()) == contract.price_yen
    assert accepted.terms_before == {"contract_price_yen": 10_000}
    assert accepted.terms_after["contract_price_yen"] == 15_000
    assert AuditEvent.objects.filter(machine="contract_change", to_state="accepted").count() == 1


def test_changing_the_price_of_an_unpaid_milestone_moves_the_contract_price():
    contract, (_first, second) = contract_with(10_000, 20_000)

    change = changes.contract_change_propose(
        contract=contract,
        by=contract.client,
        kind="change_price",
        milestone=second,
        amount_yen=25_000,
    )
    changes.contract_change_accept(change=change, by=contract.worker)

    contract.refresh_from_db()
    second.refresh_from_db()
    assert (second.amount_yen, contract.price_yen) == (25_000, 35_000)
    assert change.terms_before == {
        "milestone_id": second.pk,
        "amount_yen": 20_000,
        "contract_price_yen": 30_000,
    }


def test_changing_deadlines_of_a_milestone_and_of_the_contract():
    contract, (milestone,) = contract_with(10_000)
    later = timezone.localdate() + timedelta(days=30)

    first = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="change_deadline",
        milestone=milestone,
        due_date=later,
    )
    changes.contract_change_accept(change=first, by=contract.client)
    second = changes.contract_change_propose(
        contract=contract, by=contract.client, kind="change_deadline", due_date=later
    )
    changes.contract_change_accept(change=second, by=contract.worker)

    milestone.refresh_from_db()
    contract.refresh_from_db()
    assert milestone.due_date == later
    assert contract.delivery_due == later
    assert second.terms_after == {"milestone_id": None, "due_date": later.isoformat()}


def test_a_manager_of_the_clients_organization_answers_for_the_client():
    organization = OrganizationFactory()
    manager = UserFactory()
    Membership.objects.create(organization=organization, user=manager, role=MemberRole.ADMIN)
    contract, (milestone,) = contract_with(10_000, organization=organization)
    change = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="change_price",
        milestone=milestone,
        amount_yen=12_000,
    )

    changes.contract_change_accept(change=change, by=manager)

    contract.refresh_from_db()
    assert contract.price_yen == 12_000


def test_declining_and_withdrawing_leave_the_contract_as_it_was():
    contract, (milestone,) = contract_with(10_000)
    first = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="change_price",
        milestone=milestone,
        amount_yen=12_000,
    )

    changes.contract_change_decline(change=first, by=contract.client, reason="予算外です")
    second = changes.contract_change_propose(
        contract=contract, by=contract.worker, kind="end_early"
    )
    changes.contract_change_withdraw(change=second, by=contract.worker)

    first.refresh_from_db()
    contract.refresh_from_db()
    assert (first.status, first.decision_reason) == (ChangeStatus.DECLINED, "予算外です")
    assert ContractChange.objects.get(pk=second.pk).status == ChangeStatus.WITHDRAWN
    assert (contract.price_yen, contract.status) == (10_000, ContractStatus.ACTIVE)


# --- refusals ------------------------------------------------------------------------------


def test_who_may_propose_and_answer():
    contract, (milestone,) = contract_with(10_000)
    stranger = UserFactory()
    change = changes.contract_change_propose(
        contract=contract,
        by=contract.client,
        kind="change_price",
        milestone=milestone,
        amount_yen=9_000,
    )

    refused(
        "not_found",
        changes.contract_change_propose,
        contract=contract,
        by=stranger,
        kind="end_early",
    )
    refused("own_change", changes.contract_change_accept, change=change, by=contract.client)
    refused("own_change", changes.contract_change_decline, change=change, by=contract.client)
    refused("not_found", changes.contract_change_accept, change=change, by=stranger)
    refused("not_the_proposer", changes.contract_change_withdraw, change=change, by=contract.worker)
    assert (
        refused(
            "own_change", changes.contract_change_accept, change=change, by=contract.client
        ).status
        == 403
    )


def test_one_open_change_per_contract_and_a_decided_change_stays_decided():
    contract, (_milestone,) = contract_with(10_000)
    change = changes.contract_change_propose(
        contract=contract, by=contract.client, kind="end_early"
    )

    refused(
        "change_open",
        changes.contract_change_propose,
        contract=contract,
        by=contract.worker,
        kind="end_early",
    )
    changes.contract_change_decline(change=change, by=contract.worker)
    refused("change_not_open", changes.contract_change_accept, change=change, by=contract.worker)
    refused("change_not_open", changes.contract_change_withdraw, change=change, by=contract.client)


@pytest.mark.parametrize(
    ("kind", "terms", "code"),
    [
        ("nonsense", {}, "invalid_kind"),
        ("add_milestone", {"title": " ", "amount_yen": 1_000}, "title_required"),
        ("add_milestone", {"title": "追加", "amount_yen": 0}, "invalid_amount"),
        (
            "add_milestone",
            {"title": "追加", "amount_yen": 1_000, "due_date": "past"},
            "invalid_date",
        ),
        ("change_price", {"amount_yen": 1_000}, "milestone_required"),
        ("change_price", {"milestone": True, "amount_yen": 10_000}, "no_change"),
        ("change_deadline", {"milestone": True}, "invalid_date"),
        ("cancel_with_split", {"milestone": True, "worker_share_yen": 1}, "milestone_not_funded"),
    ],
)
def test_terms_that_make_no_sense_are_refused(kind, terms, code):
    contract, (milestone,) = contract_with(10_000)
    if terms.pop("milestone", False):
        terms["milestone"] = milestone
    if terms.get("due_date") == "past":
        terms["due_date"] = timezone.localdate() - timedelta(days=1)

    refused(
        code,
        changes.contract_change_propose,
        contract=contract,
        by=contract.worker,
        kind=kind,
        **terms,
    )


def test_the_price_of_a_paid_milestone_cannot_change():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)

    refused(
        "milestone_not_pending",
        changes.contract_change_propose,
        contract=contract,
        by=contract.worker,
        kind="change_price",
        milestone=milestone,
        amount_yen=12_000,
    )


def test_a_change_proposed_against_terms_that_moved_on_is_outdated():
    contract, (milestone,) = contract_with(10_000)
    early_end = changes.contract_change_propose(
        contract=contract, by=contract.worker, kind="end_early"
    )
    pay(milestone)  # the milestone the end would cancel is paid for meanwhile

    refused("change_outdated", changes.contract_change_accept, change=early_end, by=contract.client)


def test_a_price_change_of_a_milestone_paid_meanwhile_is_refused():
    contract, (milestone,) = contract_with(10_000)
    change = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="change_price",
        milestone=milestone,
        amount_yen=12_000,
    )
    pay(milestone)

    refused(
        "milestone_not_pending", changes.contract_change_accept, change=change, by=contract.client
    )


def test_a_change_of_an_inactive_contract_is_refused():
    contract, _ms = contract_with(10_000)
    ContractFactory._meta.model.objects.filter(pk=contract.pk).update(status="completed")
    contract.refresh_from_db()

    refused(
        "contract_not_active",
        changes.contract_change_propose,
        contract=contract,
        by=contract.worker,
        kind="end_early",
    )


# --- ending early ---------------------------------------------------------------------------


def test_ending_early_refunds_paid_work_cancels_the_rest_and_completes_what_was_approved():
    contract, (done, paid, unpaid) = contract_with(10_000, 20_000, 30_000)
    pay(done)
    escrow.milestone_approve(milestone=done, by=contract.client)
    pay(paid)

    change = changes.contract_change_propose(
        contract=contract, by=contract.client, kind="end_early"
    )
    changes.contract_change_accept(change=change, by=contract.worker)

    contract.refresh_from_db()
    statuses = dict(contract.milestones.values_list("pk", "status"))
    assert statuses == {
        done.pk: MilestoneStatus.APPROVED,
        paid.pk: MilestoneStatus.CANCELLED,
        unpaid.pk: MilestoneStatus.CANCELLED,
    }
    assert contract.status == ContractStatus.COMPLETED
    assert Hold.objects.get(reference=f"milestone:{paid.pk}").state == HoldState.REFUNDED
    assert card_refunded() == -11_000  # ¥22,000 of the ¥33,000 paid came back
    assert worker_balance(contract) == 8_580
    assert change.terms_after == {
        "contract_status": "completed",
        "cancelled": [unpaid.pk],
        "refunded": [paid.pk],
    }
    assert contract.worker.worker_profile.completed_contracts == 1
    assert ledger_check().problems == []


def test_ending_early_with_nothing_approved_cancels_the_contract():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)

    change = changes.contract_change_propose(
        contract=contract, by=contract.worker, kind="end_early"
    )
    changes.contract_change_accept(change=change, by=contract.client)

    contract.refresh_from_db()
    milestone.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
    assert milestone.status == MilestoneStatus.CANCELLED
    assert card_refunded() == 0
    assert worker_balance(contract) == 0
    assert ledger_check().problems == []


def test_ending_early_waits_for_a_delivery_to_be_reviewed():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)
    process.delivery_submit(milestone=milestone, by=contract.worker, message="納品", files=[])

    refused(
        "delivery_awaiting_review",
        changes.contract_change_propose,
        contract=contract,
        by=contract.client,
        kind="end_early",
    )


def test_ending_early_waits_for_a_pending_bank_transfer_to_be_cancelled():
    contract, (milestone,) = contract_with(10_000)
    escrow.milestone_fund(milestone=milestone, by=contract.client, method="bank_transfer")

    refused(
        "payment_pending",
        changes.contract_change_propose,
        contract=contract,
        by=contract.client,
        kind="end_early",
    )


# --- cancelling with a split -------------------------------------------------------------


def test_a_cancellation_with_a_split_pays_the_worker_their_share_and_refunds_the_rest():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)

    change = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="cancel_with_split",
        milestone=milestone,
        worker_share_yen=4_000,
        reason="途中までの作業分",
    )
    changes.contract_change_accept(change=change, by=contract.client)

    milestone.refresh_from_db()
    expected = release_breakdown(
        price_yen=4_000,
        cumulative_before_yen=0,
        is_task=False,
        withholding=False,
        on=timezone.localdate(),
    )
    assert milestone.status == MilestoneStatus.CANCELLED
    assert worker_balance(contract) == expected.worker_net == 3_432
    assert card_refunded() == -4_400  # ¥6,600 of the ¥11,000 went back to the card
    assert Hold.objects.get(reference=f"milestone:{milestone.pk}").state == HoldState.SPLIT
    assert change.terms_after["client_share_yen"] == 6_000
    assert ledger_check().problems == []


def test_a_split_follows_the_fee_bands_and_withholding_of_the_contract():
    organization = OrganizationFactory(withholds_income_tax=True)
    contract, (first, second) = contract_with(
        100_000, 50_000, organization=organization, job__category=category("design")
    )
    pay(first)
    escrow.milestone_approve(milestone=first, by=contract.client)
    after_first = worker_balance(contract)
    pay(second)

    change = changes.contract_change_propose(
        contract=contract,
        by=contract.client,
        kind="cancel_with_split",
        milestone=second,
        worker_share_yen=20_000,
    )
    changes.contract_change_accept(change=change, by=contract.worker)

    expected = release_breakdown(
        price_yen=20_000,
        cumulative_before_yen=110_000,
        is_task=False,
        withholding=True,
        on=timezone.localdate(),
    )
    assert expected.withholding > 0
    assert worker_balance(contract) - after_first == expected.worker_net
    assert ledger_check().problems == []


def test_a_split_of_nothing_refunds_the_whole_payment_and_a_delivery_is_withdrawn():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)
    delivery = process.delivery_submit(
        milestone=milestone, by=contract.worker, message="納品", files=[]
    )

    change = changes.contract_change_propose(
        contract=contract,
        by=contract.client,
        kind="cancel_with_split",
        milestone=milestone,
        worker_share_yen=0,
    )
    changes.contract_change_accept(change=change, by=contract.worker)

    delivery.refresh_from_db()
    milestone.refresh_from_db()
    assert delivery.status == DeliveryStatus.WITHDRAWN
    assert milestone.status == MilestoneStatus.CANCELLED
    assert card_refunded() == 0
    payment = milestone.contract.client.payments.get()
    assert payment.status == PaymentStatus.REFUNDED
    assert ledger_check().problems == []


def test_a_split_of_the_whole_price_is_an_approval_not_a_cancellation():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)

    refused(
        "invalid_split",
        changes.contract_change_propose,
        contract=contract,
        by=contract.worker,
        kind="cancel_with_split",
        milestone=milestone,
        worker_share_yen=10_000,
    )


def test_no_change_while_a_dispute_is_open():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)
    change = changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="cancel_with_split",
        milestone=milestone,
        worker_share_yen=5_000,
    )
    disputes.dispute_open(milestone=milestone, by=contract.client, reason="納品されていない")

    refused("dispute_open", changes.contract_change_accept, change=change, by=contract.client)
    changes.contract_change_withdraw(change=change, by=contract.worker)
    refused(
        "dispute_open",
        changes.contract_change_propose,
        contract=contract,
        by=contract.worker,
        kind="end_early",
    )


def test_the_board_asks_the_other_side_to_answer_a_change():
    contract, (milestone,) = contract_with(10_000)
    changes.contract_change_propose(
        contract=contract,
        by=contract.worker,
        kind="change_price",
        milestone=milestone,
        amount_yen=12_000,
    )

    (as_client,) = order_board(user=contract.client)
    (as_worker,) = order_board(user=contract.worker, as_worker=True)

    assert (as_client.next_action, as_client.waiting_on) == ("answer_the_change", Party.CLIENT)
    assert as_client.stage == Stage.AWAITING_PAYMENT
    assert as_worker.waiting_on == Party.CLIENT


# --- the API ---------------------------------------------------------------------------------


def test_proposing_and_accepting_over_the_api():
    contract, (milestone,) = contract_with(10_000)
    pay(milestone)
    worker, client = Client(), Client()
    worker.force_login(contract.worker)
    client.force_login(contract.client)

    proposed = worker.post(
        f"/api/v1/contracts/{contract.pk}/changes",
        {"kind": "cancel_with_split", "milestone_id": milestone.pk, "worker_share_yen": 5_000},
        content_type="application/json",
    )
    change_id = proposed.json()["id"]
    without_key = client.post(f"/api/v1/changes/{change_id}/accept")
    accepted = client.post(
        f"/api/v1/changes/{change_id}/accept", headers={"Idempotency-Key": "accept-1"}
    )
    again = client.post(
        f"/api/v1/changes/{change_id}/accept", headers={"Idempotency-Key": "accept-1"}
    )
    listed = worker.get(f"/api/v1/contracts/{contract.pk}/changes").json()
    stranger = Client()
    stranger.force_login(UserFactory())
    hidden = stranger.get(f"/api/v1/contracts/{contract.pk}/changes")

    assert proposed.status_code == 201
    assert proposed.json()["terms_after"]["worker_share_yen"] == 5_000
    assert without_key.status_code == 400
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert again.json() == accepted.json()
    assert [change["id"] for change in listed] == [change_id]
    assert hidden.status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).status == MilestoneStatus.CANCELLED
    assert ledger_check().problems == []


def test_declining_and_withdrawing_over_the_api():
    contract, (_milestone,) = contract_with(10_000)
    worker, client = Client(), Client()
    worker.force_login(contract.worker)
    client.force_login(contract.client)

    first = worker.post(
        f"/api/v1/contracts/{contract.pk}/changes",
        {"kind": "end_early"},
        content_type="application/json",
    ).json()
    declined = client.post(
        f"/api/v1/changes/{first['id']}/decline",
        {"reason": "続けたい"},
        content_type="application/json",
    )
    second = worker.post(
        f"/api/v1/contracts/{contract.pk}/changes",
        {"kind": "end_early"},
        content_type="application/json",
    ).json()
    withdrawn = worker.post(f"/api/v1/changes/{second['id']}/withdraw")
    unknown_field = worker.post(
        f"/api/v1/contracts/{contract.pk}/changes",
        {"kind": "end_early", "price": 1},
        content_type="application/json",
    )

    assert declined.json()["status"] == "declined"
    assert withdrawn.json()["status"] == "withdrawn"
    assert unknown_field.status_code == 422
    assert not Delivery.objects.exists()
