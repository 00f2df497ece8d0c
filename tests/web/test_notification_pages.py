"""The header's bell and マイページ's notifications: counts, reading, and privacy."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.web.conftest import signed_in, text_of
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import notify

pytestmark = pytest.mark.django_db

PAGE = "/mypage/notifications/"
READ = "/mypage/notifications/read/"


def scouted(person, count: int, title: str = "データ入力") -> list[Notification]:
    return [
        notify(
            recipient=person,
            kind=Kind.SCOUT_RECEIVED,
            link="/mypage/invitations/",
            params={"job_id": number, "job_title": f"{title}{number}"},
        )
        for number in range(count)
    ]


def bell_of(response) -> str:
    """The words of the header's bell."""
    header = re.search(r'<a class="bell".*?</a>', response.content.decode(), flags=re.S)
    assert header is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", header[0])).strip()


def test_the_bell_counts_unread_notifications(worker):
    first, *_others = scouted(worker, 3)
    Notification.objects.filter(pk=first.pk).update(read_at=timezone.now())

    response = signed_in(worker).get("/")

    assert bell_of(response) == "通知 2 （未読2件）"


def test_the_bell_is_quiet_without_unread_notifications(worker):
    assert bell_of(signed_in(worker).get("/")) == "通知"


def test_the_bell_costs_one_query_and_none_for_visitors(worker):
    scouted(worker, 25)

    with CaptureQueriesContext(connection) as signed:
        signed_in(worker).get("/mypage/")
    with CaptureQueriesContext(connection) as anonymous:
        page = Client().get("/")

    touching = [
        q["sql"] for q in signed.captured_queries if "notifications_notification" in q["sql"]
    ]
    assert len(touching) == 1
    assert not any("notifications_notification" in q["sql"] for q in anonymous.captured_queries)
    assert 'class="bell"' not in page.content.decode()


def test_the_list_shows_the_newest_first_with_links(worker):
    scouted(worker, 3)

    page = signed_in(worker).get(PAGE)

    words = text_of(page)
    assert words.index("「データ入力2」へのスカウトが届きました") < words.index(
        "「データ入力0」へのスカウトが届きました"
    )
    assert page.content.decode().count('href="/mypage/invitations/"') >= 3
    assert "未読 3件" in words


def test_marking_one_read(worker):
    first, second = scouted(worker, 2)
    browser = signed_in(worker)

    response = browser.post(READ, {"id": first.pk, "next": PAGE})

    assert response.status_code == 302
    assert response["Location"] == PAGE
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert bell_of(browser.get(PAGE)) == "通知 1 （未読1件）"


def test_marking_all_read(worker):
    scouted(worker, 4)
    browser = signed_in(worker)

    response = browser.post(READ, follow=True)

    assert "すべての通知を既読にしました。" in text_of(response)
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    assert bell_of(response) == "通知"


def test_marking_read_needs_a_post(worker):
    scouted(worker, 1)

    assert signed_in(worker).get(READ).status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_another_persons_notifications_are_never_shown_nor_marked(worker, other_worker):
    # given notifications for someone else
    theirs = scouted(other_worker, 2, title="秘密の案件")
    browser = signed_in(worker)

    # when another person lists theirs and tries to mark those read
    page = browser.get(PAGE)
    browser.post(READ, {"id": [n.pk for n in theirs]})

    # then nothing of the other person's shows, and nothing changed
    assert "秘密の案件" not in text_of(page)
    assert "通知はまだありません。" in text_of(page)
    assert Notification.objects.filter(recipient=other_worker, read_at__isnull=True).count() == 2


def test_the_list_needs_signing_in():
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_list_is_linked_from_the_menu(worker):
    page = signed_in(worker).get("/mypage/").content.decode()

    assert f'href="{PAGE}"' in page


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_does_not_query_per_notification(django_assert_max_num_queries, worker, count):
    scouted(worker, count)
    browser = signed_in(worker)

    # session, user, the page's count and rows, the bell
    with django_assert_max_num_queries(5):
        assert browser.get(PAGE).status_code == 200
