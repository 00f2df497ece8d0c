"""Reviews of completed contracts, both ways, from satisfaction.

The client's satisfaction with worker ``w`` on a contract of fit ``f`` is

    S = s0 + s_fit * f + s_quality * quality[w] + N(0, noise_sd)

and each score is ``round(3 + S + noise)`` clipped to 1-5: the overall score
with ``rating_noise_sd``, the three dimensions with ``dimension_noise_sd``.
The worker's view of the client is ``C = c0 + c_clarity * clarity[client] +
N(0, noise_sd)``, scored the same way. Each side writes its review with its
own share, a few days after completion and only if that day has come.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.model import SatisfactionModel

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

OF_WORKER, OF_CLIENT = 0, 1


@dataclass(frozen=True)
class Reviews:
    """Review rows; ``contract`` indexes the contracts (= hires)."""

    contract: IntArray
    direction: IntArray
    overall: IntArray
    quality: IntArray
    communication: IntArray
    timeliness: IntArray
    created: FloatArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.contract)


def reviews_draw(
    *,
    completed: FloatArray,
    fit: FloatArray,
    quality: FloatArray,
    clarity: FloatArray,
    model: SatisfactionModel,
    horizon: float,
    rng: np.random.Generator,
) -> Reviews:
    """Reviews of the contracts whose ``completed`` day is not NaN.

    ``fit``, ``quality`` and ``clarity`` are per contract (the worker's
    quality and the client's clarity already looked up).
    """
    n = len(completed)
    satisfaction = model.s0 + model.s_fit * fit + model.s_quality * quality
    satisfaction = satisfaction + rng.normal(0.0, model.noise_sd, n)
    regard = model.c0 + model.c_clarity * clarity + rng.normal(0.0, model.noise_sd, n)

    parts = []
    for direction, latent, share in (
        (OF_WORKER, satisfaction, model.client_review_share),
        (OF_CLIENT, regard, model.worker_review_share),
    ):
        created = completed + rng.uniform(0.1, 6.0, n)
        written = ~np.isnan(completed) & (rng.random(n) < share) & (created <= horizon)
        rows = np.flatnonzero(written)
        parts.append(_scores(rows, direction, latent[rows], created[rows], model, rng))
    return Reviews(
        **{
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in Reviews.__dataclass_fields__
        }
    )


def _scores(
    rows: IntArray,
    direction: int,
    latent: FloatArray,
    created: FloatArray,
    model: SatisfactionModel,
    rng: np.random.Generator,
) -> Reviews:
    n = len(rows)

    def score(sd: float) -> IntArray:
        values: IntArray = np.clip(np.round(3.0 + latent + rng.normal(0.0, sd, n)), 1, 5).astype(
            np.int64
        )
        return values

    return Reviews(
        contract=rows.astype(np.int64),
        direction=np.full(n, direction, dtype=np.int64),
        overall=score(model.rating_noise_sd),
        quality=score(model.dimension_noise_sd),
        communication=score(model.dimension_noise_sd),
        timeliness=score(model.dimension_noise_sd),
        created=created,
        text_seed=rng.integers(0, 2**31, n),
    )
