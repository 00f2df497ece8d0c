"""``tsunagu bench ledger`` with tiny settings: one JSON object of the right shape."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tsunagu.payments.models import JournalEntry


@pytest.mark.django_db(transaction=True)
def test_the_ledger_bench_prints_one_json_object(capsys):
    # given: the configured database, which the bench must leave alone
    configured = connection.settings_dict["NAME"]
    out = StringIO()

    # when
    call_command(
        "bench",
        "ledger",
        "--json",
        "--clients=1,2",
        "--seconds=0.3",
        "--pgbench-seconds=1",
        "--pgbench-scale=1",
        stdout=out,
    )

    # then: exactly one JSON object on stdout, progress on stderr
    result = json.loads(out.getvalue())
    assert "releases/s" in capsys.readouterr().err
    assert result["bench"] == "ledger"
    assert result["clients"] == [1, 2]
    assert set(result["releases_per_second"]) == {"1", "2"}
    for clients in ("1", "2"):
        run = result["runs"][clients]
        assert run["released"] > 0
        assert run["refused"] == 0
        assert run["releases_per_second"] == result["releases_per_second"][clients]
    assert result["check_ledger"]["ok"] is True
    assert result["check_ledger"]["output"].startswith("ledger OK")
    assert result["database"]["vendor"] == connection.vendor

    if connection.vendor == "postgresql":
        assert set(result["pgbench"]["tps"]) == {"1", "2"}
        assert all(tps > 0 for tps in result["pgbench"]["tps"].values())
        assert set(result["ratio"]) == {"1", "2"}
        assert result["database"]["synchronous_commit"] == "on"
        assert result["target"]["clients"] == 4  # not run here: no ratio at 4
        assert result["target"]["met"] is False
    else:
        assert result["pgbench"] is None
        assert result["ratio"] is None

    # and the configured database is untouched, and connected to again
    assert connection.settings_dict["NAME"] == configured
    assert not JournalEntry.objects.exists()


def test_the_bench_refuses_a_malformed_client_list():
    with pytest.raises(CommandError, match="--clients"):
        call_command("bench", "ledger", "--clients=one", stdout=StringIO())
