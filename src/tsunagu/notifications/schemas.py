"""Bodies of the notifications API."""

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from tsunagu.notifications.models import Notification


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="A stable code, such as delivery_submitted.")
    text: str = Field(description="What happened, in the request's language.")
    params: dict[str, object] = Field(description="The ids and titles the text names.")
    link: str = Field(description="The page to act on, a path on this site.")
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_text(notification: Notification) -> str:
        return notification.text


class NotificationsOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int = Field(description="How many of the caller's notifications are unread.")


class NotificationsReadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] | None = Field(
        default=None, max_length=100, description="Mark these; without it, mark every one."
    )


class NotificationsReadOut(Schema):
    marked: int
    unread: int
