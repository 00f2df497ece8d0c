"""``tsunagu purge-idempotency-keys``: forget keys past their retention."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.api.idempotency import IDEMPOTENCY_RETENTION, idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than the retention (at least 24 hours)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=IDEMPOTENCY_RETENTION.total_seconds() / 3600,
            help="Keep keys this many hours (default 24; never less).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            deleted = idempotency_keys_purge(older_than=timedelta(hours=options["hours"]))
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"purged {deleted} idempotency key(s)")
