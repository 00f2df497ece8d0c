"""Prices of proposals and direct offers, drawn once experience is known.

The price a worker asks for job ``j`` in category ``c`` is

    log price = log base_pay[c] + log size[j] + sum_s beta[c, s] * holds(w, s)
                + gamma_experience * log(1 + experience) + sigma * e,   e ~ N(0, 1)

rounded to ``rounding_yen`` and at least ``minimum_yen``. ``experience`` is
the number of the worker's contracts completed before the price was given.
The hire does not look at the price, so contract prices carry the premiums
without selection bias. A direct offer's price follows the same formula.
"""

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.catalog import Catalog
from tsunagu.demo.model import HiddenModel
from tsunagu.demo.skillsets import SkillSets

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DAY_SPAN = 1e6  # days to a worker in the experience keys; far above any horizon


class Experience:
    """Counts a worker's completed contracts before a given day."""

    def __init__(self, *, worker: IntArray, completed: FloatArray) -> None:
        done = ~np.isnan(completed)
        self._keys = np.sort(worker[done] * DAY_SPAN + completed[done])

    def before(self, worker: IntArray, day: FloatArray) -> IntArray:
        upto = np.searchsorted(self._keys, worker * DAY_SPAN + day, side="left")
        since = np.searchsorted(self._keys, worker * DAY_SPAN, side="left")
        counts: IntArray = (upto - since).astype(np.int64)
        return counts


def worker_log_premiums(
    sets: SkillSets, n_workers: int, model: HiddenModel, catalog: Catalog
) -> FloatArray:
    """``premium[w, c]``: the sum of the planted betas of the skills ``w`` holds."""
    beta = model.beta_matrix(catalog)
    premium = np.zeros((n_workers, catalog.n_categories))
    planted = np.flatnonzero(np.abs(beta).sum(axis=0) > 0)
    rows = np.flatnonzero(np.isin(sets.skill, planted))
    np.add.at(premium, sets.worker[rows], beta[:, sets.skill[rows]].T)
    return premium


def prices_draw(
    *,
    category: IntArray,
    size: FloatArray,
    worker: IntArray,
    experience: IntArray,
    premium: FloatArray,
    model: HiddenModel,
    rng: np.random.Generator,
) -> IntArray:
    """The price (yen) each ``worker[i]`` asks for a job of ``category[i]``."""
    base = np.array([c.base_pay_yen for c in model.categories], dtype=np.float64)
    price = model.price
    log_price = (
        np.log(base[category])
        + np.log(size)
        + premium[worker, category]
        + price.gamma_experience * np.log1p(experience)
        + price.sigma * rng.standard_normal(len(worker))
    )
    rounded = np.round(np.exp(log_price) / price.rounding_yen) * price.rounding_yen
    yen: IntArray = np.maximum(price.minimum_yen, rounded).astype(np.int64)
    return yen
