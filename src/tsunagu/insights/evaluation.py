"""How well the matrix recovers a demo market's planted premiums.

The one place in insights that reads the demo's ground-truth file, and only
for judging: ``premiums_evaluate`` computes every category's matrix from the
database first, then opens the truth and compares. It parses the JSON itself
rather than importing ``tsunagu.demo``.
"""

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from tsunagu.insights.matrix import CategoryMatrix, category_matrix
from tsunagu.insights.selectors import category_slugs

ANCHOR = ("data-entry", "excel-vba")
ANCHOR_TOLERANCE = 0.15  # relative, on the factor


@dataclass(frozen=True)
class PlantedResult:
    category: str
    skill: str
    beta: float
    estimate: float | None
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    covered: bool


@dataclass(frozen=True)
class PremiumEvaluation:
    planted: int
    evaluated: int
    covered: int
    coverage: float
    median_ci_width: float
    median_std_error: float
    z_rms: float  # root mean square of (estimate - true) / std_error; 1 if widths are right
    unplanted_evaluated: int
    unplanted_zero_covered: float  # share of the unplanted skills whose CI holds 0
    anchor_true_factor: float
    anchor_factor: float | None
    anchor_ci: tuple[float, float] | None
    anchor_relative_error: float | None
    anchor_ok: bool
    results: tuple[PlantedResult, ...]


def premiums_evaluate(*, truth_path: Path, robust: bool = False) -> PremiumEvaluation:
    """Compare each planted premium with its estimate and 95% interval.

    A planted premium without an estimate (its skill too rare in this market)
    counts as planted but not as evaluated.
    """
    matrices = {slug: category_matrix(category=slug, robust=robust) for slug in category_slugs()}
    truth = json.loads(truth_path.read_text(encoding="utf-8"))

    planted = {(p["category"], p["skill"]): float(p["beta"]) for p in truth["premiums"]}
    results = [
        _compare(matrices.get(category), category, skill, beta)
        for (category, skill), beta in planted.items()
    ]
    evaluated = [r for r in results if r.estimate is not None]
    widths = [
        r.ci_high - r.ci_low for r in evaluated if r.ci_high is not None and r.ci_low is not None
    ]
    errors = [r.std_error for r in evaluated if r.std_error is not None]
    z = [
        (r.estimate - r.beta) / r.std_error
        for r in evaluated
        if r.estimate is not None and r.std_error
    ]

    # The skills without a planted premium: their true premium is 0.
    unplanted = [
        (row.ci_low, row.ci_high)
        for matrix in matrices.values()
        for row in matrix.rows
        if (matrix.category, row.slug) not in planted
        and row.ci_low is not None
        and row.ci_high is not None
    ]
    zero_covered = sum(1 for low, high in unplanted if low <= 0.0 <= high)

    anchor = next(r for r in results if (r.category, r.skill) == ANCHOR)
    anchor_factor = math.exp(anchor.estimate) if anchor.estimate is not None else None
    true_factor = math.exp(anchor.beta)
    relative = abs(anchor_factor / true_factor - 1.0) if anchor_factor is not None else None
    return PremiumEvaluation(
        planted=len(results),
        evaluated=len(evaluated),
        covered=sum(r.covered for r in evaluated),
        coverage=sum(r.covered for r in evaluated) / len(evaluated) if evaluated else 0.0,
        median_ci_width=statistics.median(widths) if widths else math.nan,
        median_std_error=statistics.median(errors) if errors else math.nan,
        z_rms=math.sqrt(statistics.fmean(v * v for v in z)) if z else math.nan,
        unplanted_evaluated=len(unplanted),
        unplanted_zero_covered=zero_covered / len(unplanted) if unplanted else math.nan,
        anchor_true_factor=true_factor,
        anchor_factor=anchor_factor,
        anchor_ci=(
            (math.exp(anchor.ci_low), math.exp(anchor.ci_high))
            if anchor.ci_low is not None and anchor.ci_high is not None
            else None
        ),
        anchor_relative_error=relative,
        anchor_ok=relative is not None and relative <= ANCHOR_TOLERANCE,
        results=tuple(results),
    )


def _compare(
    matrix: CategoryMatrix | None, category: str, skill: str, beta: float
) -> PlantedResult:
    row = None
    if matrix is not None:
        row = next((r for r in matrix.rows if r.slug == skill), None)
    if row is None or row.estimate is None or row.ci_low is None or row.ci_high is None:
        return PlantedResult(category, skill, beta, None, None, None, None, covered=False)
    return PlantedResult(
        category,
        skill,
        beta,
        row.estimate,
        row.std_error,
        row.ci_low,
        row.ci_high,
        covered=row.ci_low <= beta <= row.ci_high,
    )
