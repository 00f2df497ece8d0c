"""The ground-truth document: the hidden model and every latent trait, as JSON.

The matching engine's evaluation and the skill x pay matrix are judged
against this file; the engine itself must never read it (nor anything in
``tsunagu.demo``). ``docs/demo-market.md`` describes every field; bump
``FORMAT_VERSION`` in ``tsunagu.demo.model`` when a field changes meaning.
"""

import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.market import DemoMarket
from tsunagu.demo.model import ANCHOR_PREMIUM, FORMAT_VERSION

DIGITS = 6
PRICE_FORMULA = (
    "log(price) = log(base_pay_yen[c]) + log(size) + sum(beta[c, s] for skills s the worker "
    "holds) + gamma_experience * log(1 + completed_contracts) + sigma * N(0, 1); "
    "rounded to rounding_yen, at least minimum_yen"
)
FIT_FORMULA = (
    "fit = skill_share_weight * sum_k(w_k * level(s_k)) / level_scale / sum_k(w_k) "
    "+ primary_bonus * [primary category == job category]; w_k = required_weight or nice_weight"
)
SATISFACTION_FORMULA = (
    "S = s0 + s_fit * fit + s_quality * quality + N(0, noise_sd); client's review of the worker: "
    "overall = clip(round(3 + S + N(0, rating_noise_sd)), 1, 5), each dimension with "
    "dimension_noise_sd; worker's review of the client: C = c0 + c_clarity * clarity + "
    "N(0, noise_sd), scored the same way"
)


def _floats(values: NDArray[np.float64]) -> list[float]:
    rounded: list[float] = np.round(values, DIGITS).tolist()
    return rounded


def truth_document(
    market: DemoMarket,
    *,
    now: datetime,
    worker_user: NDArray[np.int64],
    client_user: NDArray[np.int64],
) -> dict[str, Any]:
    """Everything true about ``market``; persons are named by their user id."""
    model = market.model
    anchor_category, anchor_skill, anchor_factor = ANCHOR_PREMIUM
    return {
        "format_version": FORMAT_VERSION,
        "seed": market.seed,
        "market": {
            "workers": len(market.workers),
            "client_accounts": market.clients.n_accounts,
            "months": market.months,
            "today": now.isoformat(),
            "horizon_days": round(market.horizon, DIGITS),
        },
        "currency": "JPY",
        "categories": [asdict(category) for category in model.categories],
        "premiums": [
            {
                "category": premium.category,
                "skill": premium.skill,
                "beta": premium.beta,
                "factor": round(premium.factor, DIGITS),
                "premium_pct": round(premium.premium_pct, 2),
            }
            for premium in model.premiums
        ],
        "anchor_premium": {
            "category": anchor_category,
            "skill": anchor_skill,
            "factor": anchor_factor,
        },
        "price": {**asdict(model.price), "formula": PRICE_FORMULA},
        "fit": {**asdict(model.fit), "formula": FIT_FORMULA},
        "apply": asdict(model.apply),
        "hire": asdict(model.hire),
        "satisfaction": {**asdict(model.satisfaction), "formula": SATISFACTION_FORMULA},
        "workers": {
            "user_id": worker_user.tolist(),
            "quality": _floats(market.workers.quality),
            "apply_propensity": _floats(market.workers.apply),
            "accept_propensity": _floats(market.workers.accept),
        },
        "clients": {
            "user_id": client_user.tolist(),
            "hire_propensity": _floats(market.clients.hire),
            "posting_rate_per_month": _floats(market.clients.rate),
            "clarity": _floats(market.clients.clarity),
        },
    }


def truth_write(document: dict[str, Any], path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
    os.replace(partial, path)
