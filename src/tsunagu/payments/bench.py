"""``tsunagu bench ledger``: escrow releases per second, against pgbench.

What it measures. For each number of clients C (default 1, 4 and 8), C
client processes (``multiprocessing`` with spawn: each runs
``django.setup()`` and opens its own connection) first fund holds through
``services.hold_fund`` for ``--seconds``, then, all starting together,
release them through ``services.hold_release`` for at most ``--seconds``,
one transaction per release. (A milestone's approval calls the same service
inside its own transaction, with the milestone's writes around it; that
path is not what this bench measures.) The rate is the releases of all
clients over the longest client's release time. Releases pay a pool of
workers per client and the platform's fee and fee-tax accounts, as in
production: those are striped over 16 rows each (``ledger.platform_stripe``),
so releases contend for them only when two land on one stripe at once.
Funding and releasing take the services' one-statement path on PostgreSQL
(see ``tsunagu.payments.ledger``).

On PostgreSQL it also runs ``pgbench -c C -j 2 -T <pgbench-seconds> -M
prepared`` at scale ``--pgbench-scale`` (default 10) on the same server in
the same run, right after the releases at that C, and reports the ratio.
The server's settings are left as they are (``synchronous_commit`` is
reported, never changed).

Where its data goes. Never into the configured database's tables: the
bench creates a scratch database on the configured server,
``<NAME>_bench_ledger``, migrated from scratch (on SQLite a temporary file
with the configured options), runs ``check-ledger`` on it at the end and
drops it (``--keep-database`` keeps it). A separate database rather than
namespaced references in the real one, because a bench that writes
thousands of entries into a production ledger would stay in it forever:
the ledger is append-only. pgbench gets its own scratch database,
``<NAME>_pgbench``, created and dropped by the command.
"""

import io
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.core.management import CommandError, call_command
from django.core.management.base import CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from tsunagu.bench.database import pgbench_database, scratch_database, scratch_name
from tsunagu.bench.pgbench import pgbench_init, pgbench_tps
from tsunagu.bench.registry import Progress
from tsunagu.payments.fees import release_breakdown

help = "Escrow releases per second at 1, 4 and 8 client processes; pgbench on PostgreSQL."

# The target: at 4 clients, at least a quarter of pgbench's TPS.
TARGET_CLIENTS = 4
TARGET_RATIO = 0.25

PRICE_YEN = 10_000
FEE_DATE = date(2026, 4, 1)
WORKERS_PER_CLIENT = 20
# How long the parent waits for a client before it gives the run up.
CLIENT_TIMEOUT_SECONDS = 300


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--clients",
        default="1,4,8",
        help="Comma-separated numbers of client processes (default 1,4,8).",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="Seconds of funding, then at most as many of releasing, per number of clients.",
    )
    parser.add_argument(
        "--pgbench-seconds",
        type=int,
        default=30,
        help="pgbench -T for each number of clients (default 30; PostgreSQL only).",
    )
    parser.add_argument("--pgbench-scale", type=int, default=10, help="pgbench -i -s (default 10).")
    parser.add_argument(
        "--no-pgbench", action="store_true", help="Skip pgbench even on PostgreSQL."
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="Keep the scratch database for inspection instead of dropping it.",
    )


def run(options: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run the bench; the returned dict is what the command prints as JSON."""
    clients = _client_counts(options["clients"])
    seconds = float(options["seconds"])
    connection = connections[DEFAULT_DB_ALIAS]
    vendor = connection.vendor
    use_pgbench = vendor == "postgresql" and not options["no_pgbench"]
    settings_dict = dict(connection.settings_dict)

    result: dict[str, Any] = {
        "bench": "ledger",
        "clients": clients,
        "seconds": seconds,
        "releases_per_second": {},
        "runs": {},
        "pgbench": None,
        "ratio": None,
        "target": None,
    }

    with scratch_database(suffix="bench_ledger", keep=options["keep_database"]) as database:
        progress(f"scratch database {database} migrated")
        result["database"] = _server_facts()

        pgbench: dict[str, Any] | None = None
        scratch = _pgbench_scratch(
            enabled=use_pgbench,
            settings_dict=settings_dict,
            scale=options["pgbench_scale"],
            progress=progress,
        )
        with scratch as pgbench_db:
            if pgbench_db is not None:
                pgbench = {
                    "scale": options["pgbench_scale"],
                    "seconds": options["pgbench_seconds"],
                    "mode": "prepared",
                    "threads": 2,
                    "tps": {},
                }
            for count in clients:
                progress(f"{count} client(s): funding, then releasing for up to {seconds} s")
                measured = _release_run(database=database, clients=count, seconds=seconds)
                result["runs"][str(count)] = measured
                result["releases_per_second"][str(count)] = measured["releases_per_second"]
                progress(f"{count} client(s): {measured['releases_per_second']} releases/s")

                if pgbench is not None and pgbench_db is not None:
                    tps = pgbench_tps(
                        database=pgbench_db,
                        clients=count,
                        seconds=options["pgbench_seconds"],
                        settings_dict=settings_dict,
                    )
                    pgbench["tps"][str(count)] = round(tps, 1)
                    progress(f"{count} client(s): pgbench {tps:.1f} TPS")

        if pgbench is not None:
            result["pgbench"] = pgbench
            result["ratio"] = {
                key: round(rate / pgbench["tps"][key], 3) if pgbench["tps"][key] else None
                for key, rate in result["releases_per_second"].items()
            }
            at_target = result["ratio"].get(str(TARGET_CLIENTS))
            result["target"] = {
                "clients": TARGET_CLIENTS,
                "min_ratio": TARGET_RATIO,
                "ratio": at_target,
                "met": at_target is not None and at_target >= TARGET_RATIO,
            }

        result["check_ledger"] = _check_ledger()
        progress(f"check-ledger: {result['check_ledger']['output']}")

    return result


def _client_counts(value: str) -> list[int]:
    try:
        counts = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--clients takes numbers separated by commas, not {value!r}") from None
    if not counts or any(count < 1 for count in counts):
        raise CommandError("--clients needs one or more positive numbers")
    return counts


@contextmanager
def _pgbench_scratch(
    *, enabled: bool, settings_dict: dict[str, Any], scale: int, progress: Progress
) -> Iterator[str | None]:
    """pgbench's initialised scratch database, or ``None`` when pgbench is off."""
    if not enabled:
        yield None
        return
    name = scratch_name(str(settings_dict["NAME"]), "pgbench")
    with pgbench_database(name=name, settings_dict=settings_dict) as database:
        progress(f"pgbench -i -s {scale} into {database}")
        pgbench_init(database=database, scale=scale, settings_dict=settings_dict)
        yield database


def _server_facts() -> dict[str, Any]:
    connection = connections[DEFAULT_DB_ALIAS]
    facts: dict[str, Any] = {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('server_version')")
            facts["server_version"] = cursor.fetchone()[0]
            for setting in ("synchronous_commit", "fsync", "max_connections"):
                cursor.execute("SELECT current_setting(%s)", [setting])
                facts[setting] = cursor.fetchone()[0]
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            facts["server_version"] = cursor.fetchone()[0]
            cursor.execute("PRAGMA journal_mode")
            facts["journal_mode"] = cursor.fetchone()[0]
    return facts


def _check_ledger() -> dict[str, Any]:
    out = io.StringIO()
    try:
        call_command("check_ledger", stdout=out)
    except CommandError as error:
        return {"ok": False, "output": out.getvalue() + str(error)}
    return {"ok": True, "output": out.getvalue().strip()}


def _release_run(*, database: str, clients: int, seconds: float) -> dict[str, Any]:
    """Start ``clients`` processes, let them fund then release; sum what they report."""
    context = multiprocessing.get_context("spawn")
    # The parent is the extra party: it lets the phases start together.
    ready = context.Barrier(clients + 1, timeout=CLIENT_TIMEOUT_SECONDS)
    reports: Any = context.Queue()
    processes = [
        context.Process(
            target=_client,
            args=(index, clients, database, seconds, ready, reports),
            name=f"bench-ledger-{clients}-{index}",
        )
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    try:
        try:
            ready.wait()  # every client is set up: funding starts
            ready.wait()  # every client has funded: releasing starts
        except threading.BrokenBarrierError:
            pass  # a client failed and broke the barrier; its report says why
        outcomes = [reports.get(timeout=CLIENT_TIMEOUT_SECONDS) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=CLIENT_TIMEOUT_SECONDS)

    failures = [outcome["error"] for outcome in outcomes if outcome.get("error")]
    if failures:
        raise CommandError(f"a bench client failed: {failures[0]}")

    released = sum(outcome["released"] for outcome in outcomes)
    funded = sum(outcome["funded"] for outcome in outcomes)
    release_seconds = max(outcome["release_seconds"] for outcome in outcomes)
    fund_seconds = max(outcome["fund_seconds"] for outcome in outcomes)
    return {
        "clients": clients,
        "funded": funded,
        "funds_per_second": round(funded / fund_seconds, 1) if fund_seconds else 0.0,
        "released": released,
        "release_seconds": round(release_seconds, 3),
        "releases_per_second": round(released / release_seconds, 1) if release_seconds else 0.0,
        "refused": sum(outcome["refused"] for outcome in outcomes),
    }


def _client(
    index: int, clients: int, database: str, seconds: float, ready: Any, reports: Any
) -> None:
    """One client process: set Django up, fund for ``seconds``, then release.

    Reports one dict on ``reports``; an unexpected error is reported as
    ``error`` rather than left to kill the process silently, so the parent
    never waits on a barrier that cannot fill.
    """
    report: dict[str, Any] = {"funded": 0, "released": 0, "refused": 0}
    report.update(fund_seconds=0.0, release_seconds=0.0)
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
        import django

        django.setup()
        from django.conf import settings

        # Two INFO lines per release would measure the terminal, and bury the
        # progress lines; warnings (a retry given up) still show.
        logging.getLogger("tsunagu.payments").setLevel(logging.WARNING)

        settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"] = database
        connections[DEFAULT_DB_ALIAS].settings_dict["NAME"] = database
        connections[DEFAULT_DB_ALIAS].ensure_connection()

        _client_work(index=index, clients=clients, seconds=seconds, ready=ready, report=report)
    except BaseException as error:  # handed to the parent below
        report["error"] = f"{type(error).__name__}: {error}"
        ready.abort()
    finally:
        connections.close_all()
        reports.put(report)


def _client_work(
    *, index: int, clients: int, seconds: float, ready: Any, report: dict[str, Any]
) -> None:
    from tsunagu.errors import DomainError
    from tsunagu.payments import services

    breakdown = release_breakdown(
        price_yen=PRICE_YEN, cumulative_before_yen=0, is_task=False, withholding=False, on=FEE_DATE
    )
    # Each client pays in through its own provider account: funding is setup,
    # and one shared external row would only slow the setup down.
    source = f"provider:bench-{clients}-{index}"
    references: list[str] = []

    ready.wait()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        reference = f"bench:{clients}:{index}:{len(references)}"
        services.hold_fund(
            reference=reference,
            amount_yen=breakdown.gross_with_tax,
            source=source,
            dedupe_key=f"fund:{reference}",
        )
        references.append(reference)
    report["funded"] = len(references)
    report["fund_seconds"] = time.perf_counter() - started

    ready.wait()
    started = time.perf_counter()
    for number, reference in enumerate(references):
        if time.perf_counter() - started >= seconds:
            break
        try:
            services.hold_release(
                reference=reference,
                worker_reference=f"user:bench-{index}-{number % WORKERS_PER_CLIENT}",
                breakdown=breakdown,
                dedupe_key=f"release:{reference}",
            )
        except DomainError:
            report["refused"] += 1
        else:
            report["released"] += 1
    report["release_seconds"] = time.perf_counter() - started
