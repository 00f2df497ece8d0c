"""Posted jobs: when, by whom, in which format and category, with which skills.

Each client posts as a Poisson process at its own rate over the days it is
active; 70% of a client's jobs are in its main category. A job's format
follows its category (tasks for data entry and writing, competitions for
design, ...). Project sizes are lognormal and independent of everything
else; the budget is ``base_pay * size * budget_factor`` rounded to 1,000 yen.
The showcase client's jobs cycle through the three formats, and it always
has one fresh job of each format.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.applying import JobSkills
from tsunagu.demo.catalog import Catalog
from tsunagu.demo.model import AFFINITY, HiddenModel
from tsunagu.demo.people import Clients

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

PROJECT, TASK, COMPETITION = 0, 1, 2
PUBLIC, INVITED = 0, 1
MAX_JOB_SKILLS = 7
WINDOWS = {
    PROJECT: np.array([7, 10, 14, 14, 21, 30]),
    TASK: np.array([7, 14, 21, 30]),
    COMPETITION: np.array([7, 10, 14, 21]),
}
SHOWCASE_FORMATS = np.array([PROJECT, PROJECT, TASK, PROJECT, COMPETITION, PROJECT])


@dataclass(frozen=True)
class Jobs:
    """Every job, sorted by the day it was posted.

    ``size`` is latent (the estimator sees only the budget); ``direct`` marks
    a project the client gives by a direct offer instead of taking proposals.
    """

    client: IntArray
    category: IntArray
    format: IntArray
    posted: FloatArray
    window: FloatArray
    visibility: IntArray
    direct: BoolArray
    size: FloatArray
    budget_yen: IntArray
    skills: JobSkills
    unit_count: IntArray
    unit_price_yen: IntArray
    per_worker_cap: IntArray
    qualified: BoolArray
    qualification_min_level: IntArray
    prize_yen: IntArray
    winner_count: IntArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.client)

    @property
    def deadline(self) -> FloatArray:
        deadline: FloatArray = self.posted + self.window
        return deadline


def jobs_draw(
    *,
    clients: Clients,
    horizon: float,
    model: HiddenModel,
    catalog: Catalog,
    rng: np.random.Generator,
) -> Jobs:
    """Draw every client's jobs over the timeline, sorted by posting day."""
    client, posted = _posting_times(clients, horizon, rng)
    category = _categories(clients, client, model, catalog, rng)
    job_format = _formats(category, model, rng)
    if len(clients) > 0:
        client, posted, category, job_format = _showcase(
            client, posted, category, job_format, horizon, catalog
        )

    order = np.lexsort((client, posted))
    client, posted, category, job_format = (
        client[order],
        posted[order],
        category[order],
        job_format[order],
    )
    return _terms(client, posted, category, job_format, model, catalog, rng)


def _posting_times(
    clients: Clients, horizon: float, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    begin = np.clip(clients.start, 0.0, horizon)
    end = np.clip(clients.end, 0.0, horizon)
    active_months = np.maximum(end - begin, 0.0) / (365.25 / 12)
    counts = rng.poisson(clients.rate * active_months)
    client = np.repeat(np.arange(len(clients)), counts)
    posted = begin[client] + rng.random(len(client)) * (end - begin)[client]
    return client.astype(np.int64), posted


def _categories(
    clients: Clients,
    client: IntArray,
    model: HiddenModel,
    catalog: Catalog,
    rng: np.random.Generator,
) -> IntArray:
    shares = np.array([category.job_share for category in model.categories])
    other = rng.choice(catalog.n_categories, size=len(client), p=shares / shares.sum())
    main = clients.main_category[client]
    category: IntArray = np.where(rng.random(len(client)) < 0.7, main, other)
    return category


def _formats(category: IntArray, model: HiddenModel, rng: np.random.Generator) -> IntArray:
    task = np.array([c.task_share for c in model.categories])[category]
    competition = np.array([c.competition_share for c in model.categories])[category]
    draw = rng.random(len(category))
    job_format: IntArray = np.where(
        draw < task, TASK, np.where(draw < task + competition, COMPETITION, PROJECT)
    )
    return job_format


def _showcase(
    client: IntArray,
    posted: FloatArray,
    category: IntArray,
    job_format: IntArray,
    horizon: float,
    catalog: Catalog,
) -> tuple[IntArray, FloatArray, IntArray, IntArray]:
    """Client 0: formats in a fixed cycle, plus a fresh job of each format."""
    fresh = np.array([horizon - 2.0, horizon - 1.5, horizon - 1.0])
    client = np.concatenate([client, np.zeros(3, dtype=np.int64)])
    posted = np.concatenate([posted, fresh])
    category = np.concatenate([category, np.zeros(3, dtype=np.int64)])
    job_format = np.concatenate([job_format, np.array([PROJECT, TASK, COMPETITION])])

    own = np.flatnonzero(client == 0)
    cycle = np.concatenate([SHOWCASE_FORMATS[np.arange(len(own) - 3) % 6], job_format[own[-3:]]])
    job_format[own] = cycle
    by_format = {
        PROJECT: catalog.category_index("web-production"),
        TASK: catalog.category_index("data-entry"),
        COMPETITION: catalog.category_index("design"),
    }
    for kind, home in by_format.items():
        category[own[cycle == kind]] = home
    return client, posted, category, job_format


def _terms(
    client: IntArray,
    posted: FloatArray,
    category: IntArray,
    job_format: IntArray,
    model: HiddenModel,
    catalog: Catalog,
    rng: np.random.Generator,
) -> Jobs:
    n = len(client)
    window = np.zeros(n)
    for kind, choices in WINDOWS.items():
        members = job_format == kind
        window[members] = rng.choice(choices, size=int(members.sum()))

    project = job_format == PROJECT
    direct = project & (rng.random(n) < model.apply.direct_offer_share)
    invited = direct | (project & (rng.random(n) < model.apply.invited_only_share))
    size = rng.lognormal(0.0, model.price.size_sigma, n)

    base = np.array([c.base_pay_yen * c.budget_factor for c in model.categories])
    rounding = model.price.budget_rounding_yen
    project_budget = np.maximum(rounding, np.round(base[category] * size / rounding) * rounding)
    tasks = _task_terms(category, job_format == TASK, model, rng)
    prizes = _competition_terms(category, job_format == COMPETITION, model, rng)
    budget = np.where(
        project,
        project_budget,
        np.where(
            job_format == TASK,
            tasks["unit_count"] * tasks["unit_price_yen"],
            prizes["prize_yen"] * prizes["winner_count"],
        ),
    )

    return Jobs(
        client=client,
        category=category,
        format=job_format,
        posted=posted,
        window=window,
        visibility=np.where(invited, INVITED, PUBLIC).astype(np.int64),
        direct=direct,
        size=size,
        budget_yen=budget.astype(np.int64),
        skills=_job_skills(category, job_format, model, catalog, rng),
        qualified=tasks.pop("qualified").astype(bool),
        **tasks,
        **prizes,
        text_seed=rng.integers(0, 2**31, n),
    )


def _task_terms(
    category: IntArray, is_task: BoolArray, model: HiddenModel, rng: np.random.Generator
) -> dict[str, IntArray]:
    """Units (50-2000, log-uniform), unit price, the cap per worker."""
    n = len(category)
    units = np.round(np.exp(rng.uniform(np.log(50), np.log(2000), n))).astype(np.int64)
    nominal = np.array([c.task_unit_price_yen for c in model.categories])[category]
    price = nominal * rng.lognormal(0.0, 0.3, n)
    price = np.where(price > 50, np.round(price / 5.0) * 5, np.round(price))
    cap = np.clip(np.round(units / rng.uniform(2.0, 12.0, n)), 1, units)
    qualified = rng.random(n) < 0.4
    return {
        "unit_count": np.where(is_task, units, 0),
        "unit_price_yen": np.where(is_task, np.maximum(price, 1), 0).astype(np.int64),
        "per_worker_cap": np.where(is_task, cap, 0).astype(np.int64),
        "qualified": (is_task & qualified).astype(np.int64),
        "qualification_min_level": 1 + rng.binomial(1, 0.3, n),
    }


def _competition_terms(
    category: IntArray, is_competition: BoolArray, model: HiddenModel, rng: np.random.Generator
) -> dict[str, IntArray]:
    """A prize per winner around the category's typical prize; 8% pick two."""
    n = len(category)
    nominal = np.array([c.competition_prize_yen for c in model.categories])[category]
    prize = np.maximum(5000, np.round(nominal * rng.lognormal(0.0, 0.35, n) / 5000) * 5000)
    winners = np.where(rng.random(n) < 0.08, 2, 1)
    return {
        "prize_yen": np.where(is_competition, prize, 0).astype(np.int64),
        "winner_count": np.where(is_competition, winners, 0).astype(np.int64),
    }


def _job_skills(
    category: IntArray,
    job_format: IntArray,
    model: HiddenModel,
    catalog: Catalog,
    rng: np.random.Generator,
) -> JobSkills:
    """1-4 required and 0-3 nice-to-have skills, popular ones more often.

    Skills come from the job's category, weighted like workers' skills; one
    job in seven swaps its last nice-to-have skill for one of a related
    category.
    """
    n = len(category)
    project = job_format == PROJECT
    required = np.where(project, 1 + rng.binomial(3, 0.4, n), 1 + rng.binomial(1, 0.35, n))
    nice = np.where(project, rng.binomial(3, 0.35, n), rng.binomial(1, 0.3, n))

    skill = np.full((n, MAX_JOB_SKILLS), -1, dtype=np.int64)
    exponent = model.skillsets.weight_exponent
    for home in range(catalog.n_categories):
        members = np.flatnonzero(category == home)
        if len(members) == 0:
            continue
        pool = catalog.category_skills[home]
        keys = exponent * np.log(catalog.skill_popularity[pool])[None, :]
        keys = keys + rng.gumbel(size=(len(members), len(pool)))
        ranked = pool[np.argsort(-keys, axis=1, kind="stable")]
        take = min(MAX_JOB_SKILLS, len(pool))
        skill[members, :take] = ranked[:, :take]

    total = np.minimum(required + nice, (skill >= 0).sum(axis=1))
    required = np.minimum(required, total)
    column = np.arange(MAX_JOB_SKILLS)[None, :]
    skill = np.where(column < total[:, None], skill, -1)
    _swap_related(skill, category, total, required, catalog, rng)

    min_level = np.where(
        column < required[:, None], 1 + rng.binomial(2, 0.4, (n, MAX_JOB_SKILLS)), 1
    )
    return JobSkills(skill=skill, required=column < required[:, None], min_level=min_level)


def _swap_related(
    skill: IntArray,
    category: IntArray,
    total: IntArray,
    required: IntArray,
    catalog: Catalog,
    rng: np.random.Generator,
) -> None:
    """Replace, in place, the last nice-to-have skill by a related category's."""
    swap = (total > required) & (rng.random(len(category)) < 1 / 7)
    for home, slug in enumerate(catalog.category_slugs):
        related = [
            catalog.category_index(s) for s in AFFINITY.get(slug, ()) if s in catalog.category_slugs
        ]
        members = np.flatnonzero(swap & (category == home))
        if not related or len(members) == 0:
            continue
        other = np.asarray(related)[rng.integers(0, len(related), len(members))]
        for row, target in zip(members.tolist(), other.tolist(), strict=True):
            pool = catalog.category_skills[target][:12]
            skill[row, total[row] - 1] = pool[rng.integers(0, len(pool))]
