"""The skill x pay matrix on a small demo market, and its evaluation."""

import json
import math
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from tsunagu.demo.services import DemoSize, demo_market_build
from tsunagu.insights.matrix import THIN_CONTRACTS, category_matrix

pytestmark = pytest.mark.django_db(transaction=False)

SIZE = DemoSize(workers=1000, clients=150, months=12, seed=42)
INSIGHTS = Path(__file__).resolve().parents[2] / "src" / "tsunagu" / "insights"


@pytest.fixture
def market_truth(tmp_path):
    path = tmp_path / "truth.json"
    demo_market_build(size=SIZE, now=timezone.now(), truth_path=path)
    return path


def test_matrix_finds_the_spreadsheet_macro_premium_and_flags_thin_skills(market_truth):
    # when
    matrix = category_matrix(category="data-entry")

    # then the planted five-fold premium of Excel VBA lies in its interval
    vba = matrix.row("excel-vba")
    assert vba.estimate is not None and vba.ci_low is not None and vba.ci_high is not None
    assert vba.ci_low < math.log(5.0) < vba.ci_high
    assert vba.premium_pct == pytest.approx(100 * (math.exp(vba.estimate) - 1))
    assert vba.pay_with.median_yen > vba.pay_without.median_yen  # type: ignore[operator]
    assert vba.n_with + vba.n_without == matrix.n
    assert not vba.thin

    # and rare skills are flagged, the rarest without an estimate
    rare = [row for row in matrix.rows if 0 < row.n_with < THIN_CONTRACTS]
    assert rare and all(row.thin for row in rare)
    assert any(row.estimate is None and row.thin for row in matrix.rows)
    assert {c.name for c in matrix.controls} >= {"log_budget", "log1p_experience"}


def test_matrix_command_prints_one_row_per_skill_as_json(market_truth):
    out = StringIO()
    call_command("matrix", "--category=data-entry", "--json", stdout=out)

    document = json.loads(out.getvalue())
    rows = {row["slug"]: row for row in document["rows"]}
    assert document["category"] == "data-entry"
    for key in ("n_with", "n_without", "estimate", "std_error", "ci_low", "ci_high", "premium_pct"):
        assert key in rows["excel-vba"]
    assert rows["excel-vba"]["premium_pct"] > 200


def test_eval_premiums_compares_with_the_planted_truth(market_truth):
    out = StringIO()
    call_command("eval_premiums", f"--truth={market_truth}", "--json", stdout=out)

    result = json.loads(out.getvalue())
    assert result["planted"] == len(json.loads(market_truth.read_text())["premiums"])
    assert result["evaluated"] >= 30
    assert 0.8 <= result["coverage"] <= 1.0
    assert result["anchor_factor"] == pytest.approx(5.0, rel=0.3)


def test_the_matrix_code_never_opens_the_ground_truth():
    for name in ("estimator.py", "selectors.py", "matrix.py"):
        source = (INSIGHTS / name).read_text(encoding="utf-8")
        assert "tsunagu.demo" not in source, name
        assert "truth" not in source.replace("ground truth", ""), name
    estimator = (INSIGHTS / "estimator.py").read_text(encoding="utf-8")
    assert "import django" not in estimator
    assert "from django" not in estimator
