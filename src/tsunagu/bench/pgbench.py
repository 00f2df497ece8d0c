"""Running PostgreSQL's own pgbench as the yardstick for a bench.

pgbench's TPC-B-like transaction (three updates, a select and an insert)
on the same server, at the same number of clients, tells how much of the
server's write capacity a bench reaches. It always runs in a scratch
database (``tsunagu.bench.database.pgbench_database``).
"""

import os
import re
import shutil
import subprocess
from typing import Any

from tsunagu.bench.database import server_params

TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)

# pgbench's own flag for each libpq parameter.
FLAGS = {"host": "-h", "port": "-p", "user": "-U"}


class PgbenchError(RuntimeError):
    """pgbench is missing, failed, or printed no TPS."""


def pgbench_path() -> str:
    path = shutil.which("pgbench") or shutil.which("pgbench", path="/usr/bin")
    if path is None:
        raise PgbenchError("pgbench is not installed (Debian: postgresql-client)")
    return path


def _run(args: list[str], settings_dict: dict[str, Any], database: str) -> str:
    params = server_params(settings_dict)
    command = [pgbench_path(), *args]
    for key, flag in FLAGS.items():
        if key in params:
            command += [flag, params[key]]
    command.append(database)
    env = dict(os.environ)
    if "password" in params:
        env["PGPASSWORD"] = params["password"]
    # A fixed program with arguments built here, no shell.
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise PgbenchError(f"pgbench {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def pgbench_init(*, database: str, scale: int, settings_dict: dict[str, Any]) -> None:
    """``pgbench -i -s <scale>``: create and fill pgbench's tables in ``database``."""
    _run(["-i", "-q", "-s", str(scale)], settings_dict, database)


def pgbench_tps(
    *, database: str, clients: int, seconds: int, settings_dict: dict[str, Any]
) -> float:
    """TPS of ``pgbench -c <clients> -j 2 -T <seconds> -M prepared``.

    pgbench refuses more threads than clients, so one client runs one thread.
    """
    threads = min(2, clients)
    out = _run(
        ["-c", str(clients), "-j", str(threads), "-T", str(seconds), "-M", "prepared"],
        settings_dict,
        database,
    )
    match = TPS.search(out)
    if match is None:
        raise PgbenchError(f"pgbench printed no TPS: {out[-500:]}")
    return float(match.group(1))
