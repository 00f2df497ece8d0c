"""The notifications API: the caller's notifications and marking them read."""

from django.http import HttpRequest
from ninja import Router

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, paginate
from tsunagu.notifications.schemas import (
    NotificationsOut,
    NotificationsReadIn,
    NotificationsReadOut,
)
from tsunagu.notifications.selectors import notifications_of, unread_count
from tsunagu.notifications.services import notifications_mark_read

router = Router(tags=["notifications"])


@router.get(
    "/me/notifications",
    auth=SESSION,
    response=NotificationsOut,
    operation_id="my_notification_list",
    summary="My notifications, newest first, with the unread count",
)
def my_notification_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> dict[str, object]:
    user = signed_in_user(request)
    page = paginate(notifications_of(user), cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor, "unread": unread_count(user)}


@router.post(
    "/me/notifications/read",
    auth=SESSION,
    response=NotificationsReadOut,
    operation_id="my_notifications_read",
    summary="Mark my notifications read: the given ids, or all of them",
)
def my_notifications_read(request: HttpRequest, payload: NotificationsReadIn) -> dict[str, int]:
    user = signed_in_user(request)
    marked = notifications_mark_read(user=user, ids=payload.ids)
    return {"marked": marked, "unread": unread_count(user)}
