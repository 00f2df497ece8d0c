"""マイページ's order board: each order in the viewer's words, flags, filters, the chart."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ClientFactory
from tests.process.test_board import EVERY_STAGE, contract_of, order_in
from tests.web.conftest import signed_in, text_of
from tsunagu.process.board import Stage
from tsunagu.process.models import Delivery
from tsunagu.work import escrow

pytestmark = pytest.mark.django_db

BOARD = "/mypage/orders/"
UNDER_WAY = [stage for stage in Stage if stage not in (Stage.COMPLETED, Stage.CLOSED)]


@pytest.fixture
def client_with_every_stage():
    client = ClientFactory(display_name="発注 花子")
    for stage in EVERY_STAGE:
        order_in(stage, client)
    return client


def row_of(page: str, title_fragment: str) -> str:
    """The words of the table row whose link is ``title_fragment``'s order."""
    for row in re.findall(r"<tr class=\"board-row.*?</tr>", page, flags=re.S):
        if title_fragment in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    raise AssertionError(f"no row for {title_fragment}")


def test_the_client_reads_what_to_do_next_in_japanese(client_with_every_stage):
    page = signed_in(client_with_every_stage).get(BOARD)

    words = text_of(page)
    assert page.status_code == 200
    assert "案件ボード" in words
    for phrase in (
        "仮払いしてください",
        "ワーカーの納品待ち",
        "検収してください",
        "提案を選んでください",
        "契約を完了してください",
        "提案をお待ちください",
    ):
        assert phrase in words
    for stage in ("募集中", "選考中", "仮払い待ち", "作業中", "検収待ち", "完了手続き待ち"):
        assert stage in words


def test_the_worker_side_speaks_to_the_worker(client_with_every_stage):
    contract = order_in(Stage.IN_PROGRESS, ClientFactory(display_name="依頼 太郎"))
    browser = signed_in(contract.worker)

    words = text_of(browser.get(BOARD, {"side": "worker"}))

    assert "納品してください" in words
    assert "依頼 太郎" in words
    assert "発注 花子" not in words  # another client's orders never show


def test_a_worker_waiting_for_payment_reads_whose_move_it_is():
    contract = order_in(Stage.AWAITING_PAYMENT, ClientFactory())

    words = text_of(signed_in(contract.worker).get(BOARD, {"side": "worker"}))

    assert "クライアントの仮払い待ち" in words
    assert "仮払いしてください" not in words


def test_overdue_and_at_risk_orders_say_so_in_words_and_come_first():
    # given an order whose review window has passed and one with little time left
    client = ClientFactory()
    order_in(Stage.AWAITING_PAYMENT, client)
    late = order_in(Stage.AWAITING_REVIEW, client)
    Delivery.objects.filter(milestone__contract=late).update(
        review_due_at=timezone.now() - timedelta(hours=1)
    )
    tight = contract_of(client, due_in_days=1)
    milestone = tight.milestones.get()
    escrow.milestone_fund(milestone=milestone, by=client, method="card", card_token="tok_visa")
    type(milestone).objects.filter(pk=milestone.pk).update(
        updated_at=timezone.now() - timedelta(days=20)
    )

    # when the client opens the board
    page = signed_in(client).get(BOARD).content.decode()

    # then each flag is a word next to the due date, most urgent first
    rows = re.findall(r'<tr class="board-row[^"]*"', page)
    assert rows[:2] == [
        '<tr class="board-row board-row-overdue"',
        '<tr class="board-row board-row-at-risk"',
    ]
    assert "期限超過" in row_of(page, f"/contracts/{late.pk}/")
    assert "期限間近" in row_of(page, f"/contracts/{tight.pk}/")


def test_due_dates_are_shown_in_tokyo_time():
    client = ClientFactory()
    contract = order_in(Stage.AWAITING_REVIEW, client)
    Delivery.objects.filter(milestone__contract=contract).update(
        review_due_at=timezone.now().replace(year=2030, month=1, day=31, hour=16, minute=30)
    )

    page = signed_in(client).get(BOARD).content.decode()

    # 16:30 UTC is 01:30 the next morning in Tokyo
    assert "2030年2月1日1:30" in row_of(page, f"/contracts/{contract.pk}/")


def test_each_order_links_to_its_contract_or_job(client_with_every_stage):
    page = signed_in(client_with_every_stage).get(BOARD).content.decode()

    contracts = client_with_every_stage.contracts_as_client.all()
    jobs_without = client_with_every_stage.jobs_posted.filter(contracts__isnull=True)
    for contract in contracts:
        assert f'href="/contracts/{contract.pk}/"' in page
    for job in jobs_without:
        assert f'href="/jobs/{job.pk}/"' in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "awaiting_payment"}, ["仮払い待ち"]),
        ({"waiting": "other"}, ["作業中"]),
        (
            {"waiting": "me"},
            ["選考中", "仮払い待ち", "検収待ち", "完了手続き待ち"],
        ),
    ],
)
def test_filters_narrow_the_list_but_not_the_chart(client_with_every_stage, params, expected):
    page = signed_in(client_with_every_stage).get(BOARD, params).content.decode()

    badges = re.findall(r'<span class="badge badge-stage [^"]*">([^<]+)</span>', page)
    assert sorted(badges) == sorted(expected)
    assert page.count('class="chart-bar ') == len(UNDER_WAY)


def test_only_flagged_orders(client_with_every_stage):
    late = order_in(Stage.AWAITING_REVIEW, client_with_every_stage)
    Delivery.objects.filter(milestone__contract=late).update(
        review_due_at=timezone.now() - timedelta(hours=1)
    )

    page = signed_in(client_with_every_stage).get(BOARD, {"flagged": "on"}).content.decode()

    assert re.findall(r'href="(/contracts/\d+/)"', page) == [f"/contracts/{late.pk}/"]
    assert f"{len(EVERY_STAGE) + 1}件中1件の案件" in re.sub(r"<[^>]+>", "", page)


def test_a_bad_filter_is_ignored(client_with_every_stage):
    response = signed_in(client_with_every_stage).get(BOARD, {"stage": "nonsense", "page": "x"})

    assert response.status_code == 200
    assert len(re.findall(r'<tr class="board-row', response.content.decode())) == len(EVERY_STAGE)


def test_htmx_gets_the_results_alone(client_with_every_stage):
    response = signed_in(client_with_every_stage).get(
        BOARD, {"stage": "in_progress"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board-results"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_chart_draws_the_stages_under_way_and_counts_the_finished(client_with_every_stage):
    page = signed_in(client_with_every_stage).get(BOARD).content.decode()

    chart = re.search(r"<svg class=\"chart board-chart\".*?</svg>", page, flags=re.S)
    assert chart is not None
    bars = re.findall(r'<rect class="chart-bar stage-bar-(\w+)[^"]*"[^>]*width="(\d+)"', chart[0])
    assert [stage for stage, _width in bars] == [str(stage) for stage in UNDER_WAY]
    assert all(int(width) > 0 for stage, width in bars if stage in EVERY_STAGE)
    assert "終了した案件： 完了 1件 終了 1件" in text_of(
        signed_in(client_with_every_stage).get(BOARD)
    )
    # styled by classes alone: the policy allows no inline style or script
    assert "style=" not in page
    assert "<script>" not in page


def test_an_empty_board_says_what_will_appear():
    words = text_of(signed_in(ClientFactory()).get(BOARD))

    assert "発注した案件はまだありません。" in words


def test_the_board_needs_signing_in():
    response = Client().get(BOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_board_is_linked_from_my_page_and_its_menu(client_user):
    browser = signed_in(client_user)

    dashboard = browser.get("/mypage/").content.decode()
    invitations = browser.get("/mypage/invitations/").content.decode()

    assert f'href="{BOARD}"' in dashboard
    assert "案件ボードを開く" in dashboard
    assert f'href="{BOARD}"' in invitations


def queries_for(browser, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(BOARD, params).status_code == 200
    return len(captured.captured_queries)


def test_the_page_reads_the_same_number_of_queries_for_20_and_200_orders():
    small, large = ClientFactory(), ClientFactory()
    for index in range(20):
        order_in(EVERY_STAGE[index % len(EVERY_STAGE)], small)
    for index in range(200):
        order_in(EVERY_STAGE[index % len(EVERY_STAGE)], large)

    unfiltered = (queries_for(signed_in(small)), queries_for(signed_in(large)))
    filtered = (
        queries_for(signed_in(small), flagged="on", waiting="me"),
        queries_for(signed_in(large), flagged="on", waiting="me"),
    )

    assert unfiltered[0] == unfiltered[1]
    assert filtered[0] == filtered[1]
    assert unfiltered[1] <= 15
    assert filtered[1] <= 20
