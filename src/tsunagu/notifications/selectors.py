"""Reads of notifications: a person's list and their unread count."""

from django.db.models import QuerySet

from tsunagu.accounts.models import User
from tsunagu.notifications.models import Notification


def notifications_of(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (one query, on the index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
