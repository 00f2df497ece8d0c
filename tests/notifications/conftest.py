"""Notifications run their mail task at once, and a look at what was written."""

import pytest

from tsunagu.notifications.models import Notification

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = IMMEDIATE


def notices() -> list[tuple[int, str, str]]:
    """Every notification written: (recipient id, kind, link), oldest first."""
    return list(
        Notification.objects.order_by("created_at", "pk").values_list(
            "recipient_id", "kind", "link"
        )
    )
