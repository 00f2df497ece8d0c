"""The contract page's money and deliveries: paying a milestone in advance (仮払い)
by card, bank transfer or invoice, delivering, reviewing, and what was released."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ContractFactory, MilestoneFactory, OrganizationFactory
from tests.web.conftest import signed_in, text_of
from tsunagu.payments.models import AccountKind, Payment, PaymentStatus
from tsunagu.payments.selectors import account_balance
from tsunagu.process.models import Delivery, DeliveryStatus
from tsunagu.work import escrow
from tsunagu.work.models import MilestoneStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.TSUNAGU_PRIVATE_DIR = tmp_path / "private"
    return settings.TSUNAGU_PRIVATE_DIR


@pytest.fixture
def milestone(worker):
    """A ¥10,000 milestone awaiting payment, on an individual client's contract."""
    contract = ContractFactory(worker=worker, price_yen=10_000, milestone=None)
    return MilestoneFactory(contract=contract, amount_yen=10_000, title="初稿")


@pytest.fixture
def funded(milestone):
    escrow.milestone_fund(
        milestone=milestone, by=milestone.contract.client, method="card", card_token="tok_visa"
    )
    milestone.refresh_from_db()
    return milestone


def page(browser, milestone):
    return text_of(browser.get(f"/contracts/{milestone.contract_id}/"))


def worker_balance(milestone) -> int:
    return account_balance(
        kind=AccountKind.WORKER_BALANCE, reference=f"user:{milestone.contract.worker_id}"
    )


def deliver(milestone, message: str = "初稿をお送りします。"):
    return signed_in(milestone.contract.worker).post(
        f"/milestones/{milestone.pk}/deliveries/",
        {"message": message, "files": [SimpleUploadedFile("draft.pdf", PDF)]},
    )


# --- paying in advance -----------------------------------------------------------------


def test_the_client_sees_the_amount_with_tax_and_the_pay_button(milestone):
    text = page(signed_in(milestone.contract.client), milestone)

    assert "仮払い待ち" in text
    assert "¥10,000" in text
    assert "¥11,000" in text
    assert "仮払いする" in text
    assert "テスト用カード" in text
    assert "請求書払い" not in text  # an individual's contract


def test_the_client_pays_by_card_and_the_milestone_is_funded(milestone):
    # given the client on the contract page
    browser = signed_in(milestone.contract.client)

    # when they pay by card
    response = browser.post(
        f"/milestones/{milestone.pk}/fund/",
        {"method": "card", "card_token": "tok_visa"},
        follow=True,
    )

    # then the milestone is funded with ¥11,000 and the page says work may start
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.FUNDED
    assert Payment.objects.get().amount_yen == 11_000
    text = text_of(response)
    assert "仮払いが完了しました" in text
    assert "作業中" in text
    assert "仮払いする" not in text


def test_a_bank_transfer_shows_the_code_amount_and_deadline(milestone):
    browser = signed_in(milestone.contract.client)

    response = browser.post(
        f"/milestones/{milestone.pk}/fund/", {"method": "bank_transfer"}, follow=True
    )

    payment = Payment.objects.get()
    milestone.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert milestone.status == MilestoneStatus.PENDING
    text = text_of(response)
    assert payment.provider_reference in text
    assert "¥11,000" in text
    assert f"{payment.due_on.year}年{payment.due_on.month}月{payment.due_on.day}日" in text
    assert "振込をキャンセルする" in text


def test_the_client_cancels_a_bank_transfer_and_may_pay_again(milestone):
    # given a bank transfer awaiting the deposit
    browser = signed_in(milestone.contract.client)
    browser.post(f"/milestones/{milestone.pk}/fund/", {"method": "bank_transfer"})
    payment = Payment.objects.get()

    # when the client cancels it
    response = browser.post(
        f"/milestones/{milestone.pk}/payments/{payment.pk}/cancel/", follow=True
    )

    # then it is cancelled and the pay button is back
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    text = text_of(response)
    assert payment.provider_reference not in text
    assert "仮払いする" in text


def test_a_declined_card_is_refused_with_402_and_nothing_written(milestone, nothing_written):
    browser = signed_in(milestone.contract.client)

    with nothing_written():
        response = browser.post(
            f"/milestones/{milestone.pk}/fund/", {"method": "card", "card_token": "tok_declined"}
        )

    assert response.status_code == 402
    assert "カードが承認されませんでした。" in text_of(response)


def test_a_card_payment_needs_a_token(milestone, nothing_written):
    browser = signed_in(milestone.contract.client)

    with nothing_written():
        response = browser.post(
            f"/milestones/{milestone.pk}/fund/", {"method": "card", "card_token": " "}
        )

    assert response.status_code == 400


def test_an_invoice_is_refused_for_an_individual(milestone, nothing_written):
    browser = signed_in(milestone.contract.client)

    with nothing_written():
        response = browser.post(f"/milestones/{milestone.pk}/fund/", {"method": "invoice"})

    assert response.status_code == 422
    assert "月末締めの請求書払いは法人のみご利用いただけます。" in text_of(response)


def test_an_organization_pays_by_invoice(client_user, worker):
    # given a contract of the client's organization
    organization = OrganizationFactory(owner=client_user)
    contract = ContractFactory(
        job__client=client_user,
        job__organization=organization,
        worker=worker,
        organization=organization,
        price_yen=10_000,
        milestone=None,
    )
    milestone = MilestoneFactory(contract=contract, amount_yen=10_000)
    browser = signed_in(client_user)
    assert "請求書払い" in page(browser, milestone)

    # when the client chooses the monthly invoice
    browser.post(f"/milestones/{milestone.pk}/fund/", {"method": "invoice"})

    # then the milestone is funded at once
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.FUNDED


def test_a_milestone_already_paid_for_is_refused_with_409(funded):
    response = signed_in(funded.contract.client).post(
        f"/milestones/{funded.pk}/fund/", {"method": "card", "card_token": "tok_visa"}
    )

    assert response.status_code == 409


# --- delivering and reviewing --------------------------------------------------------


def test_the_worker_delivers_and_the_client_approves(funded):
    # given a funded ¥10,000 milestone: the worker sees the delivery form
    assert "納品する" in page(signed_in(funded.contract.worker), funded)
    assert "納品する" not in page(signed_in(funded.contract.client), funded)

    # when the worker uploads a delivery through the page
    response = deliver(funded)

    # then the client sees it with its file and the review deadline
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    client = signed_in(funded.contract.client)
    text = page(client, funded)
    assert "検収待ち" in text
    assert "初稿をお送りします。" in text
    assert "draft.pdf" in text
    assert "14日以内に検収がない場合は自動で承認されます" in text
    file = delivery.files.get()
    assert client.get(f"/delivery-files/{file.pk}/").status_code == 200

    # when the client approves it
    response = client.post(f"/deliveries/{delivery.pk}/approve/", follow=True)

    # then the worker's balance rises by ¥8,580 and the page shows the release
    assert worker_balance(funded) == 8580
    funded.refresh_from_db()
    assert funded.status == MilestoneStatus.APPROVED
    text = text_of(response)
    assert "完了" in text
    assert "ワーカーへの支払い" in text
    worker_text = page(signed_in(funded.contract.worker), funded)
    assert "¥8,580" in worker_text
    assert "¥2,200" in worker_text


def test_the_client_asks_for_a_revision_with_a_reason(funded):
    # given a delivery awaiting review
    deliver(funded)
    delivery = Delivery.objects.get()
    client = signed_in(funded.contract.client)

    # when the client asks for a revision with a reason
    response = client.post(
        f"/deliveries/{delivery.pk}/revision/", {"reason": "表紙の色を変えてください。"}
    )

    # then the milestone is back in progress and the worker reads the reason
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REVISION_REQUESTED
    text = page(signed_in(funded.contract.worker), funded)
    assert "修正依頼中" in text
    assert "表紙の色を変えてください。" in text
    assert "納品する" in text


def test_a_revision_without_a_reason_is_refused(funded, nothing_written):
    deliver(funded)
    delivery = Delivery.objects.get()

    with nothing_written():
        response = signed_in(funded.contract.client).post(
            f"/deliveries/{delivery.pk}/revision/", {"reason": ""}
        )

    assert response.status_code == 400


def test_the_client_approves_a_funded_milestone_without_a_delivery(funded):
    response = signed_in(funded.contract.client).post(
        f"/milestones/{funded.pk}/approve/", follow=True
    )

    funded.refresh_from_db()
    assert funded.status == MilestoneStatus.APPROVED
    assert worker_balance(funded) == 8580
    assert "検収し、支払いを確定しました。" in text_of(response)


def test_approving_an_unpaid_milestone_is_refused_with_409(milestone, nothing_written):
    with nothing_written():
        response = signed_in(milestone.contract.client).post(f"/milestones/{milestone.pk}/approve/")

    assert response.status_code == 409
    assert "検収できるのは仮払い済みのマイルストーンのみです。" in text_of(response)


# --- who may act --------------------------------------------------------------------


def test_only_the_parties_see_the_actions(funded, other_worker, nothing_written):
    # given a delivery awaiting review
    deliver(funded)
    delivery = Delivery.objects.get()
    file = delivery.files.get()
    stranger = signed_in(other_worker)

    # then a stranger gets 404 for every page and action, and nothing changes
    with nothing_written():
        assert stranger.get(f"/contracts/{funded.contract_id}/").status_code == 404
        assert stranger.get(f"/delivery-files/{file.pk}/").status_code == 404
        assert stranger.post(f"/deliveries/{delivery.pk}/approve/").status_code == 404
        assert (
            stranger.post(f"/deliveries/{delivery.pk}/revision/", {"reason": "x"}).status_code
            == 404
        )
        assert stranger.post(f"/milestones/{funded.pk}/approve/").status_code == 404
        assert (
            stranger.post(
                f"/milestones/{funded.pk}/fund/", {"method": "card", "card_token": "t"}
            ).status_code
            == 404
        )


def test_the_worker_cannot_pay_or_approve(milestone, nothing_written):
    worker = signed_in(milestone.contract.worker)
    assert "仮払いする" not in page(worker, milestone)
    assert "クライアントの仮払いをお待ちください" in page(worker, milestone)

    with nothing_written():
        response = worker.post(
            f"/milestones/{milestone.pk}/fund/", {"method": "card", "card_token": "tok_visa"}
        )

    assert response.status_code == 404


def test_the_client_cannot_deliver(funded, nothing_written):
    with nothing_written():
        response = signed_in(funded.contract.client).post(
            f"/milestones/{funded.pk}/deliveries/",
            {"message": "x", "files": [SimpleUploadedFile("a.pdf", PDF)]},
        )

    assert response.status_code == 404
