"""``tsunagu learning --worker ID``: the skills a worker would gain most by learning."""

import json
from dataclasses import asdict
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.insights.learning import learning_recommendations


class Command(BaseCommand):
    help = (
        "Print a worker's missing skills ranked by the expected monthly pay uplift in "
        "the worker's categories (premium from the skill x pay matrix times the worker's "
        "monthly pay there), with the 95% interval and the open jobs the worker would "
        "newly fit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--worker", type=int, required=True, help="the worker's user id")
        parser.add_argument("--limit", type=int, default=5, help="rows to print (default 5)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            worker = user_model.objects.get(pk=options["worker"])
        except user_model.DoesNotExist as error:
            raise CommandError(f"no user {options['worker']}") from error
        rows = learning_recommendations(worker=worker, limit=options["limit"])

        if options["json"]:
            self.stdout.write(json.dumps([asdict(row) for row in rows], indent=2))
            return

        self.stdout.write(
            f"{'skill':<32} {'category':<20} {'premium%':>9} {'uplift/month':>13} "
            f"{'ci_low':>10} {'ci_high':>10} {'open_jobs':>9}  thin"
        )
        for row in rows:
            self.stdout.write(
                f"{row.skill:<32} {row.category:<20} {_pct(row.premium_pct):>9} "
                f"{_yen(row.uplift_monthly_yen):>13} {_yen(row.uplift_ci_low_yen):>10} "
                f"{_yen(row.uplift_ci_high_yen):>10} {row.open_jobs_newly_fit:>9}"
                f"  {'yes' if row.thin else ''}"
            )


def _pct(value: float | None) -> str:
    return f"{value:+.1f}" if value is not None else "-"


def _yen(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"
