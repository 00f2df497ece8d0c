"""``tsunagu bench matching`` with tiny settings: one JSON object of the right shape."""

import json
from io import StringIO

from django.core.management import call_command


def test_the_matching_bench_prints_one_json_object(capsys):
    # given
    out = StringIO()

    # when
    call_command(
        "bench", "matching", "--json", "--workers=3000", "--jobs=12", "--recall-jobs=4", stdout=out
    )

    # then: exactly one JSON object on stdout, progress on stderr
    result = json.loads(out.getvalue())
    assert "building the index" in capsys.readouterr().err
    assert result["bench"] == "matching"
    assert result["workers"] == 3000
    assert result["jobs"] == 12
    for key in ("engine_ms", "brute_force_ms"):
        assert set(result[key]) == {"p50", "p99", "mean", "max"}
        assert 0 < result[key]["p50"] <= result[key]["p99"]
    assert set(result["index"]) == {"build_seconds", "peak_mb", "bytes_mb", "memory"}
    assert result["index"]["peak_mb"] > 0
    assert set(result["ratio"]) == {"p50", "p99"}
    assert 0 < result["recall_at_k"] <= 1
    assert set(result["targets"]["met"]) == {"p50", "p99", "ratio"}
    assert result["targets"]["all_met"] == all(result["targets"]["met"].values())
