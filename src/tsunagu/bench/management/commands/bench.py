"""``tsunagu bench <name>``: run one benchmark, print one JSON object.

Exactly one JSON object goes to stdout, so the output can be piped into
``jq`` or stored as is; progress and diagnostics go to stderr. The benches
themselves are listed in ``tsunagu.bench.registry``.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tsunagu.bench.registry import BENCHES, bench_named


class Command(BaseCommand):
    help = "Run a benchmark and print its result as one JSON object on stdout."
    # A bench builds its own scratch database; the checks would only open a
    # connection to the configured one first.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        benches = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
        for name in sorted(BENCHES):
            bench = bench_named(name)
            sub = benches.add_parser(name, help=bench.help, description=bench.help)
            sub.add_argument(
                "--json",
                action="store_true",
                help="Accepted for clarity: the result is always one JSON object on stdout.",
            )
            bench.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        bench = bench_named(options["bench"])

        def progress(message: str) -> None:
            self.stderr.write(f"bench {options['bench']}: {message}", style_func=str)
            self.stderr.flush()

        result = bench.run(options, progress)
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
