"""``tsunagu matrix --category SLUG``: the skill x pay matrix of one category."""

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.insights.estimator import premium_pct
from tsunagu.insights.matrix import category_matrix
from tsunagu.skills.models import Category


class Command(BaseCommand):
    help = (
        "Print one category's skill x pay matrix from completed contracts: per home "
        "skill the pay with and without it, the counts and the log-pay premium with its "
        "standard error and 95% interval, controlling for the job's budget, the "
        "worker's experience and rating and the other skills."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--category", required=True, help="a category slug")
        parser.add_argument(
            "--robust", action="store_true", help="heteroskedasticity-robust (HC1) errors"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--all", action="store_true", help="also list skills nobody in the data holds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            matrix = category_matrix(category=options["category"], robust=options["robust"])
        except Category.DoesNotExist as error:
            raise CommandError(f"no category {options['category']!r}") from error
        rows = [row for row in matrix.rows if options["all"] or row.n_with > 0]

        if options["json"]:
            document = asdict(matrix)
            document["rows"] = [asdict(row) for row in rows]
            self.stdout.write(json.dumps(document, indent=2))
            return

        r_squared = f"{matrix.r_squared:.3f}" if matrix.r_squared is not None else "-"
        self.stdout.write(
            f"{matrix.category}: {matrix.n} completed contracts, R-squared {r_squared}, "
            f"errors: {matrix.covariance}"
        )
        self.stdout.write(
            f"{'skill':<32} {'n_with':>7} {'n_w/o':>7} {'median_with':>12} "
            f"{'median_w/o':>11} {'premium%':>9} {'ci_low%':>8} {'ci_high%':>8}  thin"
        )
        for row in sorted(rows, key=lambda r: -(r.premium_pct or -1e9)):
            low, high = row.ci_low, row.ci_high
            self.stdout.write(
                f"{row.slug:<32} {row.n_with:>7} {row.n_without:>7} "
                f"{_yen(row.pay_with.median_yen):>12} {_yen(row.pay_without.median_yen):>11} "
                f"{_pct(row.premium_pct):>9} {_pct(_premium(low)):>8} {_pct(_premium(high)):>8}"
                f"  {'yes' if row.thin else ''}"
            )


def _premium(log_effect: float | None) -> float | None:
    return premium_pct(log_effect) if log_effect is not None else None


def _pct(value: float | None) -> str:
    return f"{value:+.1f}" if value is not None else "-"


def _yen(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"
