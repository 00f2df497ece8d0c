"""The skill x pay matrix of a category: what holding each skill is worth.

For every home skill of the category: the pay of completed contracts with
and without it (25th, 50th and 75th percentile, counts) and the premium from
one regression over the category's contracts,

    log(price) = a + sum_s b_s holds_s + c log(budget) + d log(1 + experience)
                 + e rating + f rated + error,

so each ``b_s`` is the log premium of the skill with the worker's other
skills, experience and rating and the job's size held equal. The budget is
the job's visible size: without it a skill common on big jobs would be paid
for the size. ``rating`` is centred and 0 when the worker had no review yet,
``rated`` marks those who had one.

A skill with fewer than ``MIN_FIT`` contracts with or without it is left out
of the regression (no estimate); a row is ``thin`` below ``THIN_CONTRACTS``
contracts with the skill or ``THIN_WORKERS`` distinct workers holding it.
"""

from dataclasses import dataclass

import numpy as np

from tsunagu.insights.estimator import Coefficient, EstimationError, Fit, FloatArray, ols_fit
from tsunagu.insights.selectors import CategoryContracts, category_contracts

# TODO(#6): errors are per contract; a worker's contracts share one skill set,
# so errors clustered by worker would be the honest default on a real market.
# TODO(#6): only project contracts and the category's home skills enter; task
# batches, competitions and skills of other categories asked for are left out.
MIN_FIT = 5
THIN_CONTRACTS = 30
THIN_WORKERS = 10
CONTROLS = ("log_budget", "log1p_experience", "rating", "rated")


@dataclass(frozen=True)
class PayStats:
    n: int
    p25_yen: int | None
    median_yen: int | None
    p75_yen: int | None


@dataclass(frozen=True)
class SkillRow:
    slug: str
    n_with: int
    n_without: int
    workers_with: int
    pay_with: PayStats
    pay_without: PayStats
    estimate: float | None
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    premium_pct: float | None
    thin: bool


@dataclass(frozen=True)
class CategoryMatrix:
    category: str
    n: int
    r_squared: float | None
    covariance: str
    rows: tuple[SkillRow, ...]
    controls: tuple[Coefficient, ...]

    def row(self, slug: str) -> SkillRow:
        for row in self.rows:
            if row.slug == slug:
                return row
        raise KeyError(slug)


def category_matrix(*, category: str, robust: bool = False) -> CategoryMatrix:
    """The matrix of ``category`` (a slug) from the database's completed contracts."""
    return matrix_compute(category_contracts(category=category), robust=robust)


def matrix_compute(data: CategoryContracts, *, robust: bool = False) -> CategoryMatrix:
    """The matrix from arrays; no database."""
    n = len(data.price_yen)
    n_with = data.holds.sum(axis=0).astype(int)
    fitted = [
        j for j in range(len(data.skills)) if n_with[j] >= MIN_FIT and n - n_with[j] >= MIN_FIT
    ]
    fit = _fit(data, fitted, robust=robust)

    rows = []
    for j, slug in enumerate(data.skills):
        has = data.holds[:, j]
        workers_with = len(np.unique(data.worker[has]))
        coefficient = _maybe(fit, slug)
        rows.append(
            SkillRow(
                slug=slug,
                n_with=int(n_with[j]),
                n_without=int(n - n_with[j]),
                workers_with=workers_with,
                pay_with=_pay(data.price_yen[has]),
                pay_without=_pay(data.price_yen[~has]),
                estimate=coefficient.estimate if coefficient else None,
                std_error=coefficient.std_error if coefficient else None,
                ci_low=coefficient.ci_low if coefficient else None,
                ci_high=coefficient.ci_high if coefficient else None,
                premium_pct=coefficient.premium_pct if coefficient else None,
                thin=bool(
                    coefficient is None or n_with[j] < THIN_CONTRACTS or workers_with < THIN_WORKERS
                ),
            )
        )

    return CategoryMatrix(
        category=data.category,
        n=n,
        r_squared=fit.r_squared if fit else None,
        covariance=fit.covariance if fit else "none",
        rows=tuple(rows),
        controls=tuple(c for c in fit.coefficients if c.name in CONTROLS) if fit else (),
    )


def _design(data: CategoryContracts, skills: list[int]) -> tuple[FloatArray, list[str]]:
    rated = ~np.isnan(data.rating)
    centre = float(data.rating[rated].mean()) if rated.any() else 0.0
    controls = {
        "log_budget": np.log(np.maximum(data.budget_yen, 1).astype(np.float64)),
        "log1p_experience": np.log1p(data.experience.astype(np.float64)),
        "rating": np.where(rated, data.rating - centre, 0.0),
        "rated": rated.astype(np.float64),
    }
    # A control that does not vary (nobody rated yet, say) is dropped, not fitted.
    varying = {name: column for name, column in controls.items() if np.ptp(column) > 0}
    columns = [data.holds[:, j].astype(np.float64) for j in skills] + list(varying.values())
    names = [data.skills[j] for j in skills] + list(varying)
    return np.column_stack(columns) if columns else np.empty((len(data.price_yen), 0)), names


def _fit(data: CategoryContracts, skills: list[int], *, robust: bool) -> Fit | None:
    """The regression, dropping skills that duplicate others; ``None`` if impossible."""
    y = np.log(data.price_yen.astype(np.float64))
    x, names = _design(data, skills)
    try:
        return ols_fit(y=y, x=x, names=names, robust=robust, log_outcome=True)
    except EstimationError:
        pass

    # Some skill columns are linearly dependent (two skills always held
    # together, say): keep the commoner of each such set.
    kept: list[int] = []
    by_count = sorted(skills, key=lambda j: -int(data.holds[:, j].sum()))
    for j in by_count:
        x, _ = _design(data, [*kept, j])
        if np.linalg.matrix_rank(np.column_stack([np.ones(len(y)), x])) == x.shape[1] + 1:
            kept.append(j)
    x, names = _design(data, sorted(kept))
    try:
        return ols_fit(y=y, x=x, names=names, robust=robust, log_outcome=True)
    except EstimationError:
        return None


def _maybe(fit: Fit | None, name: str) -> Coefficient | None:
    if fit is None:
        return None
    try:
        return fit.coefficient(name)
    except KeyError:
        return None


def _pay(prices: np.ndarray) -> PayStats:
    if len(prices) == 0:
        return PayStats(n=0, p25_yen=None, median_yen=None, p75_yen=None)
    p25, median, p75 = np.percentile(prices, [25, 50, 75])
    return PayStats(n=len(prices), p25_yen=round(p25), median_yen=round(median), p75_yen=round(p75))
