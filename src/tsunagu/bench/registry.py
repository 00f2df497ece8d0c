"""The benches ``tsunagu bench <name>`` knows, each in the app it measures.

A bench is a module with a ``help`` line, ``add_arguments(parser)`` and
``run(options, progress)``; ``run`` returns the one JSON-ready dict the
command prints, and reports progress only through ``progress`` (stderr).
Adding a bench is one line here and a module in its own app; the registry
names modules by dotted path so that the command imports only the bench
asked for.
"""

import importlib
from collections.abc import Callable
from typing import Any, Protocol, cast

from django.core.management.base import CommandParser

Progress = Callable[[str], None]


class Bench(Protocol):
    help: str

    def add_arguments(self, parser: CommandParser) -> None: ...

    def run(self, options: dict[str, Any], progress: Progress) -> dict[str, Any]: ...


BENCHES: dict[str, str] = {
    "ledger": "tsunagu.payments.bench",
    "matching": "tsunagu.matching.bench",
}


def bench_named(name: str) -> Bench:
    """The bench module registered as ``name`` (``KeyError`` if there is none)."""
    return cast(Bench, importlib.import_module(BENCHES[name]))
