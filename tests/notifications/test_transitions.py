"""Each transition that needs the other side tells that person, and nobody else.

Every test runs the services as the pages and the API do, with the
after-commit callbacks executed, and reads back every notification written
and every mail sent.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ContractFactory, JobFactory, MilestoneFactory, ProposalFactory
from tests.notifications.conftest import notices
from tsunagu.errors import DomainError
from tsunagu.notifications.kinds import Kind
from tsunagu.payments import funding
from tsunagu.payments.models import Payment
from tsunagu.process import services as process
from tsunagu.work import escrow, services
from tsunagu.work.models import InvitationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def milestone(db):
    contract = ContractFactory(price_yen=10_000, milestone=None, title="ロゴ制作")
    return MilestoneFactory(contract=contract, amount_yen=10_000, title="初稿")


def fund(milestone) -> None:
    escrow.milestone_fund(
        milestone=milestone, by=milestone.contract.client, method="card", card_token="tok_visa"
    )


def deliver(milestone):
    return process.delivery_submit(
        milestone=milestone, by=milestone.contract.worker, message="納品します", files=[]
    )


# --- work: proposals and invitations ---------------------------------------------


def test_a_proposal_tells_the_client(
    django_capture_on_commit_callbacks, mailoutbox, project, worker
):
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_submit(job=project, worker=worker, price_yen=40_000, message="得意です")

    assert notices() == [(project.client_id, Kind.PROPOSAL_RECEIVED, f"/jobs/{project.pk}/")]
    assert [mail.to for mail in mailoutbox] == [[project.client.email]]


def test_an_accepted_proposal_tells_the_worker(django_capture_on_commit_callbacks, mailoutbox):
    proposal = ProposalFactory()

    with django_capture_on_commit_callbacks(execute=True):
        contract = services.proposal_accept(proposal=proposal, by=proposal.job.client)

    assert notices() == [(proposal.worker_id, Kind.PROPOSAL_ACCEPTED, f"/contracts/{contract.pk}/")]
    assert [mail.to for mail in mailoutbox] == [[proposal.worker.email]]


def test_a_declined_proposal_tells_the_worker(django_capture_on_commit_callbacks, mailoutbox):
    proposal = ProposalFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_decline(proposal=proposal, by=proposal.job.client)

    assert notices() == [(proposal.worker_id, Kind.PROPOSAL_DECLINED, f"/jobs/{proposal.job_id}/")]
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("kind", "price", "expected"),
    [
        (InvitationKind.SCOUT, None, Kind.SCOUT_RECEIVED),
        (InvitationKind.DIRECT_OFFER, 50_000, Kind.DIRECT_OFFER_RECEIVED),
    ],
)
def test_an_invitation_tells_the_worker(
    django_capture_on_commit_callbacks, mailoutbox, project, worker, kind, price, expected
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_send(
            job=project, by=project.client, worker=worker, kind=kind, offer_price_yen=price
        )

    assert notices() == [(worker.pk, expected, "/mypage/invitations/")]
    assert [mail.to for mail in mailoutbox] == [[worker.email]]


def test_an_accepted_direct_offer_tells_the_client(
    django_capture_on_commit_callbacks, mailoutbox, project, worker
):
    # given a direct offer the worker has been told about
    invitation = services.invitation_send(
        job=project,
        by=project.client,
        worker=worker,
        kind=InvitationKind.DIRECT_OFFER,
        offer_price_yen=50_000,
    )
    before = notices()

    # when the worker accepts it
    with django_capture_on_commit_callbacks(execute=True):
        contract = services.invitation_respond(invitation=invitation, by=worker, accept=True)

    # then the client, and only the client, must now pay
    assert contract is not None
    assert notices()[len(before) :] == [
        (project.client_id, Kind.DIRECT_OFFER_ACCEPTED, f"/contracts/{contract.pk}/")
    ]
    assert [mail.to for mail in mailoutbox] == [[project.client.email]]


def test_a_declined_scout_tells_nobody(django_capture_on_commit_callbacks, project, worker):
    invitation = services.invitation_send(job=project, by=project.client, worker=worker)
    before = notices()

    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_respond(invitation=invitation, by=worker, accept=False)

    assert notices() == before


# --- payments and deliveries ---------------------------------------------------------


def test_a_card_payment_tells_the_worker_to_start(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    with django_capture_on_commit_callbacks(execute=True):
        fund(milestone)

    contract = milestone.contract
    assert notices() == [(contract.worker_id, Kind.MILESTONE_FUNDED, f"/contracts/{contract.pk}/")]
    assert [mail.to for mail in mailoutbox] == [[contract.worker.email]]
    assert "仮払いされました。作業を開始できます" in mailoutbox[0].subject


def test_a_bank_transfer_tells_the_worker_once_the_deposit_is_confirmed(
    django_capture_on_commit_callbacks, milestone, client_user
):
    # given a transfer the client has announced
    with django_capture_on_commit_callbacks(execute=True):
        escrow.milestone_fund(
            milestone=milestone, by=milestone.contract.client, method="bank_transfer"
        )
    assert notices() == []

    # when an operator confirms the deposit
    operator = client_user
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        funding.payment_deposit_confirm(payment=Payment.objects.get(), by=operator)

    # then the worker may start
    assert notices() == [
        (
            milestone.contract.worker_id,
            Kind.MILESTONE_FUNDED,
            f"/contracts/{milestone.contract_id}/",
        )
    ]


def test_a_delivery_asks_the_client_to_review(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    fund(milestone)
    before = notices()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(milestone)

    contract = milestone.contract
    assert notices()[len(before) :] == [
        (contract.client_id, Kind.DELIVERY_SUBMITTED, f"/contracts/{contract.pk}/")
    ]
    assert [mail.to for mail in mailoutbox] == [[contract.client.email]]


def test_a_revision_request_tells_the_worker(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    fund(milestone)
    delivery = deliver(milestone)
    before = notices()

    with django_capture_on_commit_callbacks(execute=True):
        process.delivery_revision_request(
            delivery=delivery, by=milestone.contract.client, reason="色を変えてください"
        )

    contract = milestone.contract
    assert notices()[len(before) :] == [
        (contract.worker_id, Kind.REVISION_REQUESTED, f"/contracts/{contract.pk}/")
    ]
    assert [mail.to for mail in mailoutbox] == [[contract.worker.email]]


def test_an_approval_tells_the_worker_the_payment_is_released(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    fund(milestone)
    delivery = deliver(milestone)
    before = notices()

    with django_capture_on_commit_callbacks(execute=True):
        process.delivery_approve(delivery=delivery, by=milestone.contract.client)

    contract = milestone.contract
    assert notices()[len(before) :] == [
        (contract.worker_id, Kind.DELIVERY_APPROVED, f"/contracts/{contract.pk}/")
    ]
    assert [mail.to for mail in mailoutbox] == [[contract.worker.email]]


def test_approving_a_paid_milestone_directly_tells_the_worker(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    fund(milestone)
    before = notices()

    with django_capture_on_commit_callbacks(execute=True):
        escrow.milestone_approve(milestone=milestone, by=milestone.contract.client)

    contract = milestone.contract
    assert notices()[len(before) :] == [
        (contract.worker_id, Kind.DELIVERY_APPROVED, f"/contracts/{contract.pk}/")
    ]
    assert [mail.to for mail in mailoutbox] == [[contract.worker.email]]


def test_an_automatic_approval_tells_the_worker(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    fund(milestone)
    deliver(milestone)
    before = notices()

    with django_capture_on_commit_callbacks(execute=True):
        approved = process.deliveries_auto_approve(now=timezone.now() + timedelta(days=30))

    contract = milestone.contract
    assert approved == 1
    assert notices()[len(before) :] == [
        (contract.worker_id, Kind.DELIVERY_AUTO_APPROVED, f"/contracts/{contract.pk}/")
    ]
    assert [mail.to for mail in mailoutbox] == [[contract.worker.email]]


# --- refusals --------------------------------------------------------------------------


def test_a_refused_proposal_writes_no_notification_and_mails_nobody(
    django_capture_on_commit_callbacks, mailoutbox, project
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.proposal_submit(
            job=project, worker=project.client, price_yen=40_000, message="自分の仕事"
        )

    assert notices() == []
    assert mailoutbox == []


def test_a_refused_approval_writes_no_notification_and_mails_nobody(
    django_capture_on_commit_callbacks, mailoutbox, milestone, other_worker
):
    fund(milestone)
    delivery = deliver(milestone)
    before, mailed = notices(), len(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        process.delivery_approve(delivery=delivery, by=other_worker)

    assert notices() == before
    assert len(mailoutbox) == mailed


def test_a_declined_card_writes_no_notification(
    django_capture_on_commit_callbacks, mailoutbox, milestone
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        escrow.milestone_fund(
            milestone=milestone,
            by=milestone.contract.client,
            method="card",
            card_token="tok_declined",
        )

    assert notices() == []
    assert mailoutbox == []


def test_a_job_of_another_client_notifies_only_its_own_client(
    django_capture_on_commit_callbacks, worker
):
    mine, theirs = JobFactory(), JobFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_submit(job=mine, worker=worker, price_yen=40_000, message="よろしく")

    assert [recipient for recipient, _kind, _link in notices()] == [mine.client_id]
    assert theirs.client.notifications.count() == 0
