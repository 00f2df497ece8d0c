"""Scratch databases for benches: never the application's own tables.

``scratch_database`` builds a new, migrated database on the configured
server (PostgreSQL: ``<NAME>_<suffix>`` next to the configured database;
SQLite: a file in a temporary directory, with the configured options) and
points the default connection at it. It uses Django's documented test
database machinery (``create_test_db`` / ``destroy_test_db``), the same path
``manage.py test`` takes, so the schema is exactly what the migrations make.

``pgbench_database`` creates and drops the separate database pgbench
initialises its own tables in.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql
from psycopg.conninfo import make_conninfo

# PostgreSQL truncates identifiers beyond this many bytes.
MAX_IDENTIFIER = 63


def scratch_name(configured: str, suffix: str) -> str:
    """The PostgreSQL database name used beside ``configured``."""
    return f"{configured}_{suffix}"[:MAX_IDENTIFIER]


@contextmanager
def scratch_database(*, suffix: str, keep: bool = False) -> Iterator[str]:
    """Point the default connection at a new, migrated database; drop it afterwards.

    Yields the scratch database's name (a file path on SQLite). Any existing
    database of that name is dropped first. With ``keep`` it stays for
    inspection. On leaving, the connection points at the configured
    database again. Child processes reach the same database by setting
    ``NAME`` to the yielded value before they connect.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    settings_dict = connection.settings_dict
    configured = settings_dict["NAME"]
    old_test = dict(settings_dict["TEST"])
    directory: Path | None = None

    if connection.vendor == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="tsunagu-bench-"))
        name = str(directory / f"{suffix}.sqlite3")
    else:
        name = scratch_name(str(configured), suffix)
    settings_dict["TEST"] = {**old_test, "NAME": name}

    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        yield name
    finally:
        connection.close()
        connection.creation.destroy_test_db(configured, verbosity=0, keepdb=keep)
        settings_dict["TEST"] = old_test
        if directory is not None and not keep:
            shutil.rmtree(directory, ignore_errors=True)


def server_params(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq connection parameters of the configured PostgreSQL server."""
    params = {
        "host": str(settings_dict.get("HOST") or ""),
        "port": str(settings_dict.get("PORT") or ""),
        "user": str(settings_dict.get("USER") or ""),
        "password": str(settings_dict.get("PASSWORD") or ""),
    }
    return {key: value for key, value in params.items() if value}


@contextmanager
def pgbench_database(*, name: str, settings_dict: dict[str, Any]) -> Iterator[str]:
    """Create the empty database ``name`` on the configured server; drop it afterwards."""
    conninfo = make_conninfo("", dbname="postgres", **server_params(settings_dict))
    statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(statement)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(statement)
