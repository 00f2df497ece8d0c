"""The header's bell: the signed-in person's unread notifications, counted once."""

from functools import cached_property

from django.http import HttpRequest

from tsunagu.accounts.models import User
from tsunagu.notifications.selectors import unread_count


class Bell:
    """Counts on first use, so a page that shows no bell reads nothing."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user)


def notification_bell(request: HttpRequest) -> dict[str, Bell]:
    """``bell`` for signed-in people; nothing (and no query) for anyone else."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}
