"""Which skills each worker holds, and at what level.

A worker draws most skills from a primary category and the rest from a
secondary one; within a category skills are drawn without replacement with
weights ``popularity ** weight_exponent`` (Gumbel top-k), so the common skills
of the taxonomy are common among workers too. Levels do not depend on any
latent trait of the worker.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.catalog import Catalog

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class SkillSetModel:
    """How many skills a worker holds and where they come from."""

    min_skills: int = 3
    extra_skills_trials: int = 7
    extra_skills_p: float = 0.4
    secondary_share: float = 0.25
    weight_exponent: float = 1.0
    primary_level_p: float = 0.55
    secondary_level_p: float = 0.35


@dataclass(frozen=True)
class SkillSets:
    """Worker-skill rows sorted by (worker, skill); levels are 1-5."""

    worker: IntArray
    skill: IntArray
    level: IntArray

    def __len__(self) -> int:
        return len(self.worker)


def skillsets_draw(
    *,
    primary: IntArray,
    secondary: IntArray,
    catalog: Catalog,
    model: SkillSetModel,
    rng: np.random.Generator,
) -> SkillSets:
    """Draw 3-10 distinct skills per worker; the result is sorted by worker."""
    n_workers = len(primary)
    total = model.min_skills + rng.binomial(
        model.extra_skills_trials, model.extra_skills_p, n_workers
    )
    n_secondary = rng.binomial(total - 2, model.secondary_share)
    n_primary = total - n_secondary

    first = _draw_from_categories(primary, n_primary, catalog, model, rng)
    second = _draw_from_categories(secondary, n_secondary, catalog, model, rng)
    first_levels = 1 + rng.binomial(4, model.primary_level_p, len(first[0]))
    second_levels = 1 + rng.binomial(4, model.secondary_level_p, len(second[0]))

    workers = np.concatenate([first[0], second[0]])
    skills = np.concatenate([first[1], second[1]])
    levels = np.concatenate([first_levels, second_levels])
    return _sorted_unique(workers, skills, levels, catalog.n_skills)


def _draw_from_categories(
    categories: IntArray,
    counts: IntArray,
    catalog: Catalog,
    model: SkillSetModel,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """For each worker, ``counts[w]`` distinct skills of ``categories[w]``."""
    workers_out: list[IntArray] = []
    skills_out: list[IntArray] = []
    for category in range(catalog.n_categories):
        members = np.flatnonzero(categories == category)
        if len(members) == 0:
            continue
        pool = catalog.category_skills[category]
        log_weights = model.weight_exponent * np.log(catalog.skill_popularity[pool])
        keys = log_weights[None, :] + rng.gumbel(size=(len(members), len(pool)))
        ranked = np.argsort(-keys, axis=1, kind="stable")
        take = np.minimum(counts[members], len(pool))
        chosen = np.arange(len(pool))[None, :] < take[:, None]
        rows, columns = np.nonzero(chosen)
        workers_out.append(members[rows])
        skills_out.append(pool[ranked[rows, columns]])
    if not workers_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(workers_out), np.concatenate(skills_out)


def _sorted_unique(
    workers: IntArray, skills: IntArray, levels: IntArray, n_skills: int
) -> SkillSets:
    """Sort by (worker, skill); a skill drawn twice keeps its first level."""
    keys = workers * n_skills + skills
    unique_keys, first = np.unique(keys, return_index=True)
    return SkillSets(
        worker=unique_keys // n_skills,
        skill=unique_keys % n_skills,
        level=levels[first].astype(np.int64),
    )


def skillsets_replace(
    sets: SkillSets, worker: int, skills: IntArray, levels: IntArray, n_skills: int
) -> SkillSets:
    """The same rows with one worker's skills replaced (for a showcase account)."""
    keep = sets.worker != worker
    return _sorted_unique(
        np.concatenate([sets.worker[keep], np.full(len(skills), worker, dtype=np.int64)]),
        np.concatenate([sets.skill[keep], skills]),
        np.concatenate([sets.level[keep], levels]),
        n_skills,
    )
