"""The hand-weighted scorer's constants, used while hiring history is thin.

score = fit x likelihood, where

* fit = coverage of the required skills (1 per skill held at or above the
  job's minimum level, ``partial_credit * level / minimum`` below it, 0 when
  missing; averaged), plus ``level_bonus * mean(level / 5)`` over the
  required skills, plus ``nice_bonus`` x the share of nice-to-have skills
  held, plus ``history_bonus * min(done, history_cap) / history_cap`` for
  contracts completed in the job's category;
* likelihood, a proxy for "the worker applies and the client hires" =
  rating factor x availability factor x rate factor:
  ``rating_floor + (1 - rating_floor) * rating / 5`` (``unrated_rating`` before
  the first review), ``hours_floor + (1 - hours_floor) * min(hours /
  hours_full, 1)``, and 1 when the rate is within the budget (or either is
  unknown), ``(budget / rate) ** rate_power`` above it.

The first two likelihood factors do not depend on the job; their product is
the worker's ``static`` quality, which orders each skill's holders.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class HandWeights:
    partial_credit: float = 0.5
    level_bonus: float = 0.1
    nice_bonus: float = 0.1
    history_bonus: float = 0.1
    history_cap: int = 5
    rating_floor: float = 0.6
    unrated_rating: float = 3.5
    hours_floor: float = 0.5
    hours_full: int = 30
    rate_power: float = 2.0


def static_likelihood(
    rating_tenths: NDArray[np.uint8], hours: NDArray[np.uint8], weights: HandWeights
) -> NDArray[np.float64]:
    """Rating factor x availability factor, in (0, 1]; 0 tenths means unrated."""
    rating = np.where(rating_tenths == 0, weights.unrated_rating, rating_tenths / 10.0)
    rating_factor = weights.rating_floor + (1 - weights.rating_floor) * rating / 5.0
    availability = np.minimum(hours.astype(np.float64) / weights.hours_full, 1.0)
    hours_factor = weights.hours_floor + (1 - weights.hours_floor) * availability
    result: NDArray[np.float64] = rating_factor * hours_factor
    return result
