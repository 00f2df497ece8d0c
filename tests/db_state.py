"""A fingerprint of every table, to show that a refused request wrote nothing."""

from django.apps import apps
from django.db import connection


def table_counts() -> dict[str, int]:
    """Row count of every project table (and auth/sessions), by table name."""
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label in {"sessions", "admin"}:
                continue
            table = model._meta.db_table
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - our own table names
            counts[table] = cursor.fetchone()[0]
    return counts


def database_snapshot() -> dict[str, object]:
    """Counts plus the latest update stamp of the rows services change."""
    from tsunagu.accounts.models import User, WorkerProfile
    from tsunagu.work.models import Job, Proposal

    snapshot: dict[str, object] = dict(table_counts())
    snapshot["job_states"] = list(
        Job.objects.order_by("pk").values_list("pk", "status", "updated_at")
    )
    snapshot["proposal_states"] = list(Proposal.objects.order_by("pk").values_list("pk", "status"))
    snapshot["users"] = list(User.objects.order_by("pk").values_list("pk", "updated_at"))
    snapshot["profiles"] = list(
        WorkerProfile.objects.order_by("pk").values_list("pk", "updated_at", "rating_count")
    )
    return snapshot
