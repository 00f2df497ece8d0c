"""The premium estimator: ordinary least squares on plain arrays, via statsmodels.

No Django here: ``ols_fit`` takes an outcome vector and a design matrix with
named columns and returns numbers. The fit itself is statsmodels' ``OLS``;
this module only shapes its input and output.

Standard errors are the classical ones by default. ``robust=True`` gives
heteroskedasticity-robust (White) errors with the HC1 small-sample factor
``n / (n - k)``, the convention of Stata's ``, robust`` and of the textbook
tables they are usually checked against; with the sample sizes of a category
(hundreds of contracts and up) HC1 and HC3 differ in the third digit at most.
Confidence intervals use the t distribution with the residual degrees of
freedom in both cases (statsmodels would switch to the normal for robust
errors unless told ``use_t``).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

INTERCEPT = "intercept"
ROBUST_KIND = "HC1"


class EstimationError(ValueError):
    """The data cannot be fitted: too few rows, or columns that are not independent."""


@dataclass(frozen=True)
class Coefficient:
    """One column's estimate; ``premium_pct`` is set for a log outcome only."""

    name: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    premium_pct: float | None


@dataclass(frozen=True)
class Fit:
    n: int
    r_squared: float
    covariance: str  # "nonrobust" or ROBUST_KIND
    log_outcome: bool
    coefficients: tuple[Coefficient, ...]

    def coefficient(self, name: str) -> Coefficient:
        for coefficient in self.coefficients:
            if coefficient.name == name:
                return coefficient
        raise KeyError(name)


def premium_pct(log_effect: float) -> float:
    """The percentage change a log-outcome coefficient means: ``100 (e^b - 1)``."""
    return 100.0 * math.expm1(log_effect)


def ols_fit(
    *,
    y: FloatArray,
    x: FloatArray,
    names: Sequence[str],
    intercept: bool = True,
    robust: bool = False,
    log_outcome: bool = False,
    level: float = 0.95,
) -> Fit:
    """Regress ``y`` on the columns of ``x`` (named by ``names``).

    With ``intercept`` a constant column named ``intercept`` comes first.
    ``log_outcome`` says that ``y`` is already a logarithm; it only adds
    ``premium_pct`` to each coefficient. Raises ``EstimationError`` when
    there are no more rows than columns, when a value is not finite, or when
    the columns are linearly dependent (statsmodels would silently use a
    pseudo-inverse and print meaningless errors).
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    names = list(names)
    if x.shape[1] != len(names):
        raise EstimationError(f"{x.shape[1]} columns but {len(names)} names")
    if intercept:
        x = np.column_stack([np.ones(len(y)), x])
        names = [INTERCEPT, *names]

    n, k = x.shape
    if n <= k:
        raise EstimationError(f"{n} rows are too few for {k} columns")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise EstimationError("the data has values that are not finite")
    if np.linalg.matrix_rank(x) < k:
        raise EstimationError("the columns are linearly dependent")

    model = sm.OLS(y, x)
    result = model.fit(cov_type=ROBUST_KIND, use_t=True) if robust else model.fit()
    params = np.asarray(result.params, dtype=np.float64)
    errors = np.asarray(result.bse, dtype=np.float64)
    bounds = np.asarray(result.conf_int(alpha=1.0 - level), dtype=np.float64)

    coefficients = tuple(
        Coefficient(
            name=name,
            estimate=float(params[i]),
            std_error=float(errors[i]),
            ci_low=float(bounds[i, 0]),
            ci_high=float(bounds[i, 1]),
            premium_pct=premium_pct(float(params[i])) if log_outcome else None,
        )
        for i, name in enumerate(names)
    )
    return Fit(
        n=n,
        r_squared=float(result.rsquared),
        covariance=ROBUST_KIND if robust else "nonrobust",
        log_outcome=log_outcome,
        coefficients=coefficients,
    )
