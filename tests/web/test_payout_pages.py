"""マイページ's money out: registering and deactivating bank accounts (振込先口座),
asking for payouts and following them (出金)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import BankAccountFactory, UserFactory, WorkerFactory
from tests.payments.conftest import ON, simple_breakdown
from tests.web.conftest import signed_in, text_of
from tsunagu.accounts.models import IdentityStatus
from tsunagu.payments import services
from tsunagu.payments.fees import price_with_tax
from tsunagu.payments.models import BankAccount, Payout, PayoutStatus
from tsunagu.payments.payouts import (
    payout_mark_failed,
    payout_mark_paid,
    payout_mark_sent,
    payout_problems,
    payout_request,
)

pytestmark = pytest.mark.django_db

EARNED = simple_breakdown(10_000).worker_net  # ¥8,580
DETAILS = {
    "bank_code": "0005",
    "branch_code": "123",
    "account_type": "ordinary",
    "account_number": "7654321",
    "holder_name": "スズキ ハナコ",
}


@pytest.fixture(autouse=True)
def _payout_rules(settings):
    settings.TSUNAGU_PAYOUT_MINIMUM_YEN = 1_000
    settings.TSUNAGU_PAYOUT_TRANSFER_FEE_YEN = 100
    settings.TSUNAGU_PAYOUT_REVIEW_DAYS = 7


def earn(worker, reference: str = "milestone:1", price: int = 10_000) -> None:
    services.hold_fund(
        reference=reference,
        amount_yen=price_with_tax(price_yen=price, on=ON),
        dedupe_key=f"fund:{reference}",
    )
    services.hold_release(
        reference=reference,
        worker_reference=f"user:{worker.pk}",
        breakdown=simple_breakdown(price),
        dedupe_key=f"release:{reference}",
    )


@pytest.fixture
def earner(db):
    worker = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    earn(worker)
    return worker


@pytest.fixture
def known_account(earner):
    """Registered a month ago: payouts to it need no review."""
    return BankAccountFactory(owner=earner, created_at=timezone.now() - timedelta(days=30))


def payout_form(account, amount, token: str = "0" * 32) -> dict[str, str]:
    return {"bank_account": str(account.pk), "amount_yen": str(amount), "token": token}


# --- 振込先口座 ---------------------------------------------------------------------------


def test_a_worker_registers_a_bank_account_and_sees_it_masked(worker):
    # given
    browser = signed_in(worker)

    # when
    response = browser.post("/mypage/bank-accounts/", DETAILS, follow=True)

    # then
    assert response.redirect_chain == [("/mypage/bank-accounts/", 302)]
    text = text_of(response)
    assert "口座を登録しました" in text
    assert "0005-123 普通 ***4321" in text
    assert "7654321" not in text and "スズキ" not in text
    assert BankAccount.objects.get().owner == worker


def test_a_refused_bank_account_shows_the_reason_on_its_field(worker, nothing_written):
    # given
    browser = signed_in(worker)

    # when: a three-digit bank code
    with nothing_written():
        response = browser.post("/mypage/bank-accounts/", DETAILS | {"bank_code": "123"})

    # then: the service's refusal, with its status, next to the field
    assert response.status_code == 422
    assert "金融機関コードは4桁です" in text_of(response)
    assert 'class="field has-error"' in response.content.decode()


def test_a_holder_name_in_kanji_is_refused(worker, nothing_written):
    with nothing_written():
        response = signed_in(worker).post(
            "/mypage/bank-accounts/", DETAILS | {"holder_name": "鈴木花子"}
        )

    assert response.status_code == 422
    assert "カタカナ" in text_of(response)


def test_a_worker_stops_using_an_account(earner, known_account):
    # when
    response = signed_in(earner).post(f"/mypage/bank-accounts/{known_account.pk}/deactivate/")

    # then
    assert response.status_code == 302
    known_account.refresh_from_db()
    assert not known_account.is_active
    assert "使用停止" in text_of(signed_in(earner).get("/mypage/bank-accounts/"))


def test_anothers_account_cannot_be_deactivated(worker, known_account):
    response = signed_in(worker).post(f"/mypage/bank-accounts/{known_account.pk}/deactivate/")

    assert response.status_code == 404
    known_account.refresh_from_db()
    assert known_account.is_active


# --- 出金 -----------------------------------------------------------------------------


def test_the_payout_page_shows_the_balance_and_the_terms(earner, known_account):
    response = signed_in(earner).get("/mypage/payouts/")

    assert response.status_code == 200
    text = text_of(response)
    assert "出金可能な残高 ¥8,580" in text
    assert "最低出金額 ¥1,000" in text
    assert "振込手数料（1回） ¥100" in text
    assert "0001-001 普通 ***4567" in text


def test_without_an_account_the_page_asks_for_one_first(earner):
    text = text_of(signed_in(earner).get("/mypage/payouts/"))

    assert "まず振込先口座を登録してください" in text


def test_a_worker_requests_a_payout_once_even_if_the_form_is_sent_twice(earner, known_account):
    # given
    browser = signed_in(earner)

    # when: the same form posted twice (a double click)
    first = browser.post("/mypage/payouts/", payout_form(known_account, 5_000))
    second = browser.post("/mypage/payouts/", payout_form(known_account, 5_000), follow=True)

    # then: one payout, listed as requested, the balance down by its amount
    assert first.status_code == 302
    payout = Payout.objects.get()
    assert (payout.amount_yen, payout.status) == (5_000, PayoutStatus.APPROVED)
    text = text_of(second)
    assert "出金を申請しました" in text
    assert "¥5,000 ¥100 ¥4,900 申請中" in text
    assert "出金可能な残高 ¥3,580" in text
    assert payout_problems() == []


def test_a_payout_below_the_minimum_is_refused_on_the_form(earner, known_account, nothing_written):
    with nothing_written():
        response = signed_in(earner).post("/mypage/payouts/", payout_form(known_account, 999))

    assert response.status_code == 422
    assert "出金できるのは1,000円からです" in text_of(response)


def test_a_payout_beyond_the_balance_is_refused_on_the_form(earner, known_account, nothing_written):
    with nothing_written():
        response = signed_in(earner).post(
            "/mypage/payouts/", payout_form(known_account, EARNED + 1)
        )

    assert response.status_code == 422
    assert "残高が不足しています" in text_of(response)


def test_anothers_account_is_not_a_choice(earner, worker):
    theirs = BankAccountFactory(owner=worker)

    response = signed_in(earner).post("/mypage/payouts/", payout_form(theirs, 5_000))

    assert response.status_code == 400
    assert not Payout.objects.exists()


def test_the_list_shows_each_payout_in_the_workers_words(earner, known_account):
    # given: payouts in every state a worker sees
    earn(earner, reference="milestone:2", price=100_000)
    operator = UserFactory(is_staff=True)
    new_account = BankAccountFactory(owner=earner, number="2222222")

    def ask(amount, account=known_account):
        return payout_request(
            worker=earner, bank_account=account, amount_yen=amount, dedupe_key=f"p{amount}"
        )

    ask(1_001)
    ask(1_002, account=new_account)
    payout_mark_sent(payout=ask(1_003), by=operator)
    payout_mark_paid(payout=payout_mark_sent(payout=ask(1_004), by=operator), by=operator)
    payout_mark_failed(payout=ask(1_005), by=operator, reason="口座番号の誤り")

    # when
    text = text_of(signed_in(earner).get("/mypage/payouts/"))

    # then
    assert "¥1,001 ¥100 ¥901 申請中" in text
    assert "¥1,002 ¥100 ¥902 審査中" in text
    assert "¥1,003 ¥100 ¥903 送金済み" in text
    assert "¥1,004 ¥100 ¥904 支払完了" in text
    assert "¥1,005 ¥100 ¥905 失敗 口座番号の誤り （残高に戻りました）" in text


def test_the_payout_list_does_not_query_per_payout(
    earner, known_account, django_assert_max_num_queries
):
    # given
    for amount in range(1_000, 1_008):
        payout_request(
            worker=earner, bank_account=known_account, amount_yen=amount, dedupe_key=f"q{amount}"
        )
    browser = signed_in(earner)

    # then
    with django_assert_max_num_queries(14):
        assert browser.get("/mypage/payouts/").status_code == 200


def test_the_nav_and_the_statement_link_to_the_payout_page(earner):
    body = signed_in(earner).get("/mypage/statement/").content.decode()

    assert body.count('href="/mypage/payouts/"') == 2
    assert 'href="/mypage/bank-accounts/"' in body


def test_the_pages_need_a_sign_in(client):
    for path in ["/mypage/payouts/", "/mypage/bank-accounts/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
