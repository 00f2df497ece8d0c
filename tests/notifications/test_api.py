"""GET /api/v1/me/notifications and POST /api/v1/me/notifications/read."""

import pytest
from django.test import Client

from tests.api.http import get, post
from tests.web.conftest import signed_in
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import notify

pytestmark = pytest.mark.django_db


def scouted(worker, count: int) -> list[Notification]:
    return [
        notify(
            recipient=worker,
            kind=Kind.SCOUT_RECEIVED,
            link="/mypage/invitations/",
            params={"job_id": number, "job_title": f"案件{number}"},
        )
        for number in range(count)
    ]


def test_the_list_pages_newest_first_with_japanese_text(worker):
    scouted(worker, 5)
    browser = signed_in(worker)

    first = get(browser, "/me/notifications", limit=3).json()
    second = get(browser, "/me/notifications", limit=3, cursor=first["next_cursor"]).json()

    titles = [item["params"]["job_title"] for item in first["items"] + second["items"]]
    assert titles == ["案件4", "案件3", "案件2", "案件1", "案件0"]
    assert second["next_cursor"] is None
    assert first["unread"] == 5
    assert first["items"][0]["text"] == "「案件4」へのスカウトが届きました"
    assert first["items"][0]["kind"] == "scout_received"
    assert first["items"][0]["link"] == "/mypage/invitations/"
    assert first["items"][0]["read_at"] is None


def test_marking_given_ids_read(worker):
    notifications = scouted(worker, 3)
    browser = signed_in(worker)

    body = post(browser, "/me/notifications/read", {"ids": [notifications[0].pk]}).json()

    assert body == {"marked": 1, "unread": 2}
    assert Notification.objects.filter(read_at__isnull=False).get() == notifications[0]


def test_marking_everything_read(worker):
    scouted(worker, 3)

    body = post(signed_in(worker), "/me/notifications/read").json()

    assert body == {"marked": 3, "unread": 0}


def test_another_persons_notifications_are_neither_listed_nor_marked(worker, other_worker):
    theirs = scouted(other_worker, 2)
    browser = signed_in(worker)

    listed = get(browser, "/me/notifications").json()
    marked = post(browser, "/me/notifications/read", {"ids": [n.pk for n in theirs]}).json()

    assert listed == {"items": [], "next_cursor": None, "unread": 0}
    assert marked == {"marked": 0, "unread": 0}
    assert Notification.objects.filter(recipient=other_worker, read_at__isnull=True).count() == 2


def test_signing_in_is_required():
    assert get(Client(), "/me/notifications").status_code == 401
    assert post(Client(), "/me/notifications/read").status_code == 401


def test_the_list_reads_a_fixed_number_of_queries(django_assert_max_num_queries, worker):
    scouted(worker, 30)
    browser = signed_in(worker)

    # the session, the user, the page and the unread count
    with django_assert_max_num_queries(4):
        assert get(browser, "/me/notifications", limit=30).status_code == 200
