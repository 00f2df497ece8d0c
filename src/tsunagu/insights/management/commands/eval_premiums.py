"""``tsunagu eval-premiums --truth PATH``: the matrix against a demo's planted premiums."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tsunagu.insights.evaluation import premiums_evaluate


class Command(BaseCommand):
    help = (
        "Compute every category's skill x pay matrix and compare it with the planted "
        "premiums of the demo's ground-truth file: the share of true log premiums inside "
        "their 95% intervals, the intervals' median width and the Excel VBA premium in "
        "data entry against its planted factor of 5."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--truth",
            type=Path,
            default=None,
            help="the ground-truth JSON (default: $TSUNAGU_DATA_DIR/demo-truth.json)",
        )
        parser.add_argument("--robust", action="store_true", help="HC1 robust errors")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--details", action="store_true", help="with --json: one entry per planted premium"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        truth = options["truth"] or settings.DATA_DIR / "demo-truth.json"
        result = premiums_evaluate(truth_path=truth, robust=options["robust"])

        if options["json"]:
            document = asdict(result)
            if not options["details"]:
                del document["results"]
            self.stdout.write(json.dumps(document, indent=2))
            return

        self.stdout.write(
            f"planted premiums: {result.planted}, estimated: {result.evaluated}\n"
            f"inside their 95% interval: {result.covered} ({100 * result.coverage:.1f}%)\n"
            f"median interval width (log points): {result.median_ci_width:.3f}, "
            f"median standard error: {result.median_std_error:.3f}, "
            f"RMS of (estimate - truth) / error: {result.z_rms:.2f}\n"
            f"unplanted skills estimated: {result.unplanted_evaluated}, "
            f"interval holds 0: {100 * result.unplanted_zero_covered:.1f}%"
        )
        if result.anchor_factor is None:
            self.stdout.write("data-entry x excel-vba: not estimated")
        else:
            self.stdout.write(
                f"data-entry x excel-vba: {result.anchor_factor:.2f}x "
                f"(planted {result.anchor_true_factor:.2f}x, "
                f"off by {100 * (result.anchor_relative_error or 0):.1f}%)"
            )
