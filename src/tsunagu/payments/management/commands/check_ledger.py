"""``tsunagu check-ledger``: verify the whole ledger, exit non-zero on a problem."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from tsunagu.payments.selectors import ledger_check


class Command(BaseCommand):
    help = (
        "Check that every journal entry balances, the ledger sums to zero, cached "
        "balances match their postings, no account is wrongly negative and every "
        "hold settled at most once. Prints each problem; exits 1 if there is any."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                # One snapshot for every query, so concurrent posts cannot show
                # as drift between two of them. (SQLite's transaction already
                # reads one snapshot.)
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            result = ledger_check()

        if not result.ok:
            for problem in result.problems:
                self.stdout.write(problem)
            raise CommandError(f"ledger check failed: {len(result.problems)} problem(s)")

        self.stdout.write(
            f"ledger OK: {result.entries} entries, {result.postings} postings, "
            f"{result.accounts} accounts, {result.holds} holds, balanced to 0 yen"
        )
