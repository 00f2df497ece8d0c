"""``tsunagu premiums FILE.csv --outcome COLUMN``: the estimator on any CSV file."""

import csv
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.insights.estimator import EstimationError, ols_fit

MISSING = {"", "na", "nan", "."}


class Command(BaseCommand):
    help = (
        "Fit an OLS regression of one CSV column on others and print n, R-squared and "
        "each coefficient with its standard error and 95% confidence interval. "
        "Rows with a missing value in a used column are left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a CSV file with a header row")
        parser.add_argument("--outcome", required=True, help="the column to explain")
        parser.add_argument(
            "--log",
            action="store_true",
            help="fit log(outcome) (it must be positive) and print premium_pct = 100 (e^b - 1)",
        )
        parser.add_argument(
            "--features",
            default=None,
            help="comma-separated columns (default: every other numeric column)",
        )
        parser.add_argument(
            "--robust", action="store_true", help="heteroskedasticity-robust (HC1) errors"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        header, table = _read(options["file"])
        outcome = options["outcome"]
        if outcome not in header:
            raise CommandError(f"no column {outcome!r} in {options['file']}")
        if options["features"]:
            features = [name.strip() for name in options["features"].split(",") if name.strip()]
        else:
            features = [name for name in header if name != outcome and _numeric(table[name])]
        unknown = [name for name in features if name not in header]
        if unknown:
            raise CommandError(f"no column(s) {', '.join(unknown)} in {options['file']}")

        y, x = _complete_rows(table, outcome, features)
        if options["log"]:
            if (y <= 0).any():
                raise CommandError(f"--log needs {outcome} > 0 in every row")
            y = np.log(y)
        try:
            fit = ols_fit(
                y=y, x=x, names=features, robust=options["robust"], log_outcome=options["log"]
            )
        except EstimationError as error:
            raise CommandError(str(error)) from error

        if options["json"]:
            document = {"outcome": outcome, **asdict(fit)}
            self.stdout.write(json.dumps(document, indent=2))
            return
        self.stdout.write(
            f"{'log ' if fit.log_outcome else ''}{outcome}: n = {fit.n}, "
            f"R-squared = {fit.r_squared:.4f}, errors: {fit.covariance}"
        )
        self.stdout.write(
            f"{'feature':<20} {'estimate':>12} {'std_error':>12} {'ci_low':>12} {'ci_high':>12}"
            + (f" {'premium_pct':>12}" if fit.log_outcome else "")
        )
        for c in fit.coefficients:
            line = (
                f"{c.name:<20} {c.estimate:>12.6g} {c.std_error:>12.6g} "
                f"{c.ci_low:>12.6g} {c.ci_high:>12.6g}"
            )
            if c.premium_pct is not None:
                line += f" {c.premium_pct:>12.4g}"
            self.stdout.write(line)


def _read(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader)]
            columns: dict[str, list[str]] = {name: [] for name in header}
            for row in reader:
                padded = row + [""] * (len(header) - len(row))  # a short row: missing values
                for name, value in zip(header, padded, strict=False):
                    columns[name].append(value.strip())
    except (OSError, StopIteration) as error:
        raise CommandError(f"cannot read {path}: {error}") from error
    return header, columns


def _number(value: str) -> float:
    if value.lower() in MISSING:
        return math.nan
    return float(value)


def _numeric(values: list[str]) -> bool:
    try:
        [_number(value) for value in values]
    except ValueError:
        return False
    return True


def _complete_rows(
    table: dict[str, list[str]], outcome: str, features: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The outcome and feature matrix over rows with no missing value in them."""
    try:
        columns = [[_number(v) for v in table[name]] for name in [outcome, *features]]
    except ValueError as error:
        raise CommandError(f"a used column is not numeric: {error}") from error
    data = np.array(columns, dtype=np.float64).T.reshape(-1, 1 + len(features))
    complete = ~np.isnan(data).any(axis=1)
    return data[complete, 0], data[complete, 1:]
