"""The estimator on synthetic arrays: no database."""

import math

import numpy as np
import pytest

from tsunagu.insights.estimator import EstimationError, ols_fit


def _synthetic(n: int, *, heteroskedastic: bool = False, seed: int = 3):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    noise = rng.normal(size=n) * (0.2 + 0.6 * x[:, 1] if heteroskedastic else 0.3)
    y = 1.0 + 0.5 * x[:, 0] + math.log(2.0) * x[:, 1] + noise
    return y, x


def test_ols_recovers_known_coefficients_inside_their_intervals():
    # given
    y, x = _synthetic(4000)

    # when
    fit = ols_fit(y=y, x=x, names=["a", "skill"], log_outcome=True)

    # then
    assert fit.n == 4000
    assert fit.covariance == "nonrobust"
    assert [c.name for c in fit.coefficients] == ["intercept", "a", "skill"]
    for name, true in [("intercept", 1.0), ("a", 0.5), ("skill", math.log(2.0))]:
        c = fit.coefficient(name)
        assert c.ci_low < true < c.ci_high
        assert abs(c.estimate - true) < 4 * c.std_error
        assert c.ci_high - c.ci_low == pytest.approx(2 * 1.9606 * c.std_error, rel=1e-3)
    assert fit.coefficient("skill").premium_pct == pytest.approx(100.0, abs=5.0)
    assert 0.5 < fit.r_squared < 1.0


def test_robust_errors_are_the_hc1_sandwich():
    # given heteroskedastic noise: the skill's group is noisier
    y, x = _synthetic(3000, heteroskedastic=True)

    # when
    classical = ols_fit(y=y, x=x, names=["a", "skill"])
    robust = ols_fit(y=y, x=x, names=["a", "skill"], robust=True)

    # then the errors are White's with the n / (n - k) factor
    design = np.column_stack([np.ones(len(y)), x])
    bread = np.linalg.inv(design.T @ design)
    residual = y - design @ (bread @ design.T @ y)
    meat = design.T @ (design * residual[:, None] ** 2)
    n, k = design.shape
    expected = np.sqrt(np.diag(bread @ meat @ bread) * n / (n - k))
    got = [c.std_error for c in robust.coefficients]
    assert got == pytest.approx(expected.tolist(), rel=1e-10)
    assert robust.covariance == "HC1"
    assert [c.estimate for c in robust.coefficients] == pytest.approx(
        [c.estimate for c in classical.coefficients]
    )
    assert classical.coefficient("skill").premium_pct is None


def test_dependent_columns_and_too_few_rows_are_refused():
    y, x = _synthetic(50)

    with pytest.raises(EstimationError, match="linearly dependent"):
        ols_fit(y=y, x=np.column_stack([x, 2 * x[:, 0]]), names=["a", "b", "c"])
    with pytest.raises(EstimationError, match="too few"):
        ols_fit(y=y[:3], x=x[:3], names=["a", "b"])
    with pytest.raises(EstimationError, match="not finite"):
        ols_fit(y=np.where(np.arange(50) == 0, np.nan, y), x=x, names=["a", "b"])
