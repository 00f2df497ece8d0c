"""Seeded synthetic workers and jobs for the matching benchmark and tests.

Skill popularity is Zipf-like: skill ``s`` (0-based) has weight
``1 / (s + 1) ** exponent``. Each worker holds ``skills_per_worker``
distinct skills drawn without replacement with those weights (the
exponential-race form of Gumbel top-k, as ``tsunagu.demo.skillsets`` does
within a category), so the first skills are held by most workers, as the
taxonomy's common skills are in the demo. Jobs ask for skills with the same
popularity. No Django.

# TODO(#5): skills are Zipf-popular over the whole taxonomy; the demo draws
# them per primary and secondary category (``tsunagu.demo.skillsets``), which
# makes holders of several required skills of one job commoner.
"""

import numpy as np
from numpy.typing import NDArray

from tsunagu.matching.engine.index import WorkerArrays
from tsunagu.matching.engine.score import Filters, JobQuery

N_CATEGORIES = 13
N_PREFECTURES = 47
# Rows drawn at once, so that the race over all skills stays near 64 MB.
RACE_CELLS = 16_000_000


def skill_weights(n_skills: int, exponent: float) -> NDArray[np.float64]:
    weights: NDArray[np.float64] = 1.0 / np.arange(1, n_skills + 1, dtype=np.float64) ** exponent
    result: NDArray[np.float64] = weights / weights.sum()
    return result


def workers_synthetic(
    n_workers: int,
    *,
    n_skills: int = 500,
    skills_per_worker: int = 20,
    exponent: float = 1.0,
    seed: int = 5,
) -> WorkerArrays:
    """``n_workers`` workers with exactly ``skills_per_worker`` skills each."""
    if skills_per_worker > n_skills:
        raise ValueError("more skills per worker than skills")
    rng = np.random.default_rng(seed)
    inverse = (1.0 / skill_weights(n_skills, exponent)).astype(np.float32)

    # Exponential race: the k smallest E_s / w_s are a weighted draw without
    # replacement.
    chunk = max(1, RACE_CELLS // n_skills)
    skill_parts = []
    for first in range(0, n_workers, chunk):
        rows = min(chunk, n_workers - first)
        race = rng.standard_exponential((rows, n_skills), dtype=np.float32)
        race *= inverse
        chosen = np.argpartition(race, skills_per_worker - 1, axis=1)[:, :skills_per_worker]
        skill_parts.append(chosen.astype(np.int32))
    skill_id = np.concatenate(skill_parts).ravel() if skill_parts else np.empty(0, np.int32)
    skill_worker = np.repeat(np.arange(n_workers, dtype=np.int32), skills_per_worker)
    skill_level = (1 + rng.binomial(4, 0.5, len(skill_id))).astype(np.int8)

    rating = np.clip(rng.normal(4.3, 0.45, n_workers), 1.0, 5.0)
    rating[rng.random(n_workers) < 0.35] = np.nan
    rate_yen = (np.rint(rng.lognormal(np.log(3000), 0.5, n_workers) / 100) * 100).astype(np.int32)
    rate_yen[rng.random(n_workers) < 0.1] = 0
    hours = rng.choice(np.array([5, 10, 20, 30, 40]), n_workers)
    prefecture_p = skill_weights(N_PREFECTURES, 1.0)
    prefecture = 1 + rng.choice(N_PREFECTURES, n_workers, p=prefecture_p)
    prefecture[rng.random(n_workers) < 0.05] = 0
    verified = rng.random(n_workers) < 0.5
    languages = (rng.random(n_workers) < 0.98).astype(np.int64)
    languages |= (rng.random(n_workers) < 0.2).astype(np.int64) << 1
    category_done = rng.poisson(0.3, (n_workers, N_CATEGORIES)).astype(np.uint16)

    return WorkerArrays(
        n_skills=n_skills,
        skill_worker=skill_worker,
        skill_id=skill_id,
        skill_level=skill_level,
        rating=rating,
        rate_yen=rate_yen,
        hours=hours,
        prefecture=prefecture,
        verified=verified,
        languages=languages,
        category_done=category_done,
    )


def jobs_synthetic(
    n_jobs: int, *, n_skills: int = 500, exponent: float = 1.0, seed: int = 6
) -> list[JobQuery]:
    """Jobs with 1-4 required skills, 0-2 nice-to-have ones and random filters."""
    rng = np.random.default_rng(seed)
    weights = skill_weights(n_skills, exponent)
    prefecture_p = skill_weights(N_PREFECTURES, 1.0)
    jobs = []
    for _ in range(n_jobs):
        n_required = int(rng.integers(1, 5))
        n_nice = int(rng.integers(0, 3))
        skills = rng.choice(n_skills, n_required + n_nice, replace=False, p=weights)
        required = tuple(int(s) for s in skills[:n_required])
        budget = int(rng.integers(20, 61)) * 100 if rng.random() < 0.8 else None
        filters = Filters(
            verified_only=bool(rng.random() < 0.3),
            min_rating=4.0 if rng.random() < 0.2 else None,
            rate_max_yen=int(budget * 1.2) if budget and rng.random() < 0.15 else None,
            prefecture=int(1 + rng.choice(N_PREFECTURES, p=prefecture_p))
            if rng.random() < 0.15
            else None,
            min_hours=20 if rng.random() < 0.15 else None,
            languages=2 if rng.random() < 0.05 else 0,
        )
        jobs.append(
            JobQuery(
                required=required,
                min_levels=tuple(int(v) for v in 1 + rng.binomial(3, 0.4, n_required)),
                nice=tuple(int(s) for s in skills[n_required:]),
                category=required[0] % N_CATEGORIES,
                budget_yen=budget,
                filters=filters,
            )
        )
    return jobs
