"""The demo's people: workers, clients and organizations, with latent traits.

Times are days from the start of the timeline (day 0) to today (``horizon``);
a negative day lies before the timeline. Worker 0 is the showcase worker
(``worker@demo.tsunagu.test``) and client 0 the showcase client
(``client@demo.tsunagu.test``, owner of organization 0); both get fixed
traits so the sign-in accounts always have something to show.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.catalog import Catalog
from tsunagu.demo.model import HiddenModel, secondary_draw
from tsunagu.demo.names import PREFECTURE_WEIGHTS
from tsunagu.demo.skillsets import SkillSets, skillsets_draw, skillsets_replace

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

NEVER = 1e9  # the end day of someone who does not leave
SHOWCASE_SKILLS = (
    ("excel-vba", 5),
    ("excel", 5),
    ("data-entry", 4),
    ("google-sheets", 4),
    ("google-apps-script", 3),
)
HOURS_PER_WEEK = np.array([5, 10, 15, 20, 30, 40])
HOURS_WEIGHTS = np.array([0.12, 0.25, 0.18, 0.22, 0.13, 0.10])


@dataclass(frozen=True)
class Workers:
    """Everyone with a worker profile. ``quality`` .. ``accept`` are latent."""

    primary: IntArray
    quality: FloatArray
    apply: FloatArray
    accept: FloatArray
    start: FloatArray
    end: FloatArray
    joined: FloatArray
    skills: SkillSets
    prefecture: IntArray
    hours_per_week: IntArray
    hourly_rate_yen: IntArray
    speaks_en: BoolArray
    speaks_zh: BoolArray
    email_verified: BoolArray
    is_public: BoolArray
    portfolio_items: IntArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.primary)


@dataclass(frozen=True)
class Clients:
    """Everyone who posts jobs: client accounts first, then working clients.

    ``worker[k]`` is the worker index of a client who also works, else -1.
    ``hire``, ``rate`` and ``clarity`` are latent.
    """

    worker: IntArray
    hire: FloatArray
    rate: FloatArray
    clarity: FloatArray
    start: FloatArray
    end: FloatArray
    joined: FloatArray
    main_category: IntArray
    organization: IntArray
    role: IntArray  # 0 owner, 1 admin, 2 member, -1 posts as an individual
    email_verified: BoolArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.worker)

    @property
    def n_accounts(self) -> int:
        """Clients with an account of their own (``clientNNNNN@...``)."""
        return int((self.worker < 0).sum())


@dataclass(frozen=True)
class Organizations:
    owner: IntArray
    has_invoice_number: BoolArray
    joined: FloatArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.owner)


def _activity(
    n: int, horizon: float, early_share: float, churn_share: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(start, end, joined) days: most are there from day 0, some leave."""
    early = rng.random(n) < early_share
    start = np.where(early, 0.0, rng.uniform(0.0, horizon, n))
    joined = np.where(early, -rng.uniform(1.0, 1000.0, n), start)
    leave = start + rng.exponential(180.0, n)
    churns = (rng.random(n) < churn_share) & (leave < horizon)
    end = np.where(churns, leave, NEVER)
    return start, end, joined


def _category_shares(model: HiddenModel) -> FloatArray:
    shares = np.array([category.job_share for category in model.categories])
    normalised: FloatArray = shares / shares.sum()
    return normalised


def workers_draw(
    *,
    n: int,
    horizon: float,
    model: HiddenModel,
    catalog: Catalog,
    rng: np.random.Generator,
) -> Workers:
    """Draw ``n`` workers; worker 0 is the showcase worker."""
    primary = rng.choice(catalog.n_categories, size=n, p=_category_shares(model))
    quality = rng.normal(0.0, 1.0, n)
    sigma = model.apply.apply_propensity_sigma
    apply = rng.lognormal(-0.5 * sigma * sigma, sigma, n)
    accept = rng.beta(4.0, 2.5, n)
    start, end, joined = _activity(n, horizon, 0.65, 0.2, rng)

    secondary = secondary_draw(primary, catalog, rng)
    sets = skillsets_draw(
        primary=primary, secondary=secondary, catalog=catalog, model=model.skillsets, rng=rng
    )
    if n > 0:
        primary[0] = catalog.category_index("data-entry")
        quality[0], apply[0], accept[0] = 1.2, 4.0, 0.85
        start[0], end[0], joined[0] = 0.0, NEVER, -420.0
        sets = skillsets_replace(
            sets,
            0,
            np.array([catalog.skill_index(slug) for slug, _ in SHOWCASE_SKILLS]),
            np.array([level for _, level in SHOWCASE_SKILLS]),
            catalog.n_skills,
        )

    return Workers(
        primary=primary,
        quality=quality,
        apply=apply,
        accept=accept,
        start=start,
        end=end,
        joined=joined,
        skills=sets,
        **_profile_fields(n, primary, model, catalog, rng),
    )


def _profile_fields(
    n: int, primary: IntArray, model: HiddenModel, catalog: Catalog, rng: np.random.Generator
) -> dict[str, NDArray[Any]]:
    """What a profile shows; none of it depends on a latent trait.

    The values are int64 or bool arrays, by the ``Workers`` field they fill.
    """
    weights = np.array([weight for _, weight in PREFECTURE_WEIGHTS])
    nominal_rate = np.array([category.hourly_rate_yen for category in model.categories])
    rate = nominal_rate[primary] * rng.lognormal(0.0, 0.35, n)
    translator = primary == catalog.category_index("translation")
    portfolio = np.where(rng.random(n) < 0.3, rng.integers(1, 4, n), 0)
    return {
        "prefecture": rng.choice(len(weights), size=n, p=weights / weights.sum()),
        "hours_per_week": rng.choice(HOURS_PER_WEEK, size=n, p=HOURS_WEIGHTS),
        "hourly_rate_yen": np.maximum(900, np.round(rate / 100.0) * 100).astype(np.int64),
        "speaks_en": rng.random(n) < np.where(translator, 0.9, 0.08),
        "speaks_zh": rng.random(n) < np.where(translator, 0.2, 0.02),
        "email_verified": rng.random(n) < 0.93,
        "is_public": rng.random(n) < 0.97,
        "portfolio_items": portfolio.astype(np.int64),
        "text_seed": rng.integers(0, 2**31, n),
    }


def clients_draw(
    *,
    n_accounts: int,
    workers: Workers,
    horizon: float,
    model: HiddenModel,
    catalog: Catalog,
    rng: np.random.Generator,
) -> tuple[Clients, Organizations]:
    """Client accounts (0 is the showcase client) and the workers who also post.

    About 40% of client accounts post for an organization; an organization
    has one owner and sometimes one to three more members.
    """
    working = np.flatnonzero(rng.random(len(workers)) < 0.1)
    working = working[working != 0]
    n = n_accounts + len(working)
    worker = np.concatenate([np.full(n_accounts, -1), working]).astype(np.int64)

    hire = rng.beta(5.0, 2.0, n)
    rate = np.where(
        worker < 0, rng.lognormal(np.log(0.9) - 0.405, 0.9, n), rng.lognormal(np.log(0.12), 0.5, n)
    )
    clarity = rng.normal(0.0, 1.0, n)
    start, end, joined = _activity(n, horizon, 0.7, 0.15, rng)
    start[n_accounts:] = np.maximum(start[n_accounts:], workers.start[working])
    joined[n_accounts:] = workers.joined[working]
    main = rng.choice(catalog.n_categories, size=n, p=_category_shares(model))
    main[n_accounts:] = workers.primary[working]

    organization, role, organizations = _organizations_draw(n, n_accounts, joined, rng)
    if n_accounts > 0:
        hire[0], rate[0], clarity[0] = 0.9, 8.0, 1.0
        start[0], end[0], joined[0] = 0.0, NEVER, -600.0
        main[0] = catalog.category_index("web-production")

    clients = Clients(
        worker=worker,
        hire=hire,
        rate=rate,
        clarity=clarity,
        start=start,
        end=end,
        joined=joined,
        main_category=main,
        organization=organization,
        role=role,
        email_verified=(rng.random(n) < 0.95) | (np.arange(n) == 0),
        text_seed=rng.integers(0, 2**31, n),
    )
    return clients, organizations


def _organizations_draw(
    n: int, n_accounts: int, joined: FloatArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, Organizations]:
    """Group organization clients: an owner, then maybe 1-3 more members."""
    corporate = rng.random(n_accounts) < 0.4
    corporate[: min(3, n_accounts)] = True
    extra = np.where(rng.random(n_accounts) < 0.25, rng.integers(1, 4, n_accounts), 0)
    extra[0:1] = 2
    roles_drawn = rng.choice(np.array([1, 2]), size=n_accounts, p=[0.4, 0.6])

    organization = np.full(n, -1, dtype=np.int64)
    role = np.full(n, -1, dtype=np.int64)
    owners: list[int] = []
    members = np.flatnonzero(corporate).tolist()
    position = 0
    while position < len(members):
        owner = members[position]
        organization[owner], role[owner] = len(owners), 0
        for member in members[position + 1 : position + 1 + int(extra[owner])]:
            organization[member], role[member] = len(owners), int(roles_drawn[member])
        position += 1 + int(extra[owner])
        owners.append(owner)

    owner_array = np.array(owners, dtype=np.int64)
    organizations = Organizations(
        owner=owner_array,
        has_invoice_number=rng.random(len(owners)) < 0.7,
        joined=joined[owner_array] if len(owners) else np.zeros(0),
        text_seed=rng.integers(0, 2**31, len(owners)),
    )
    return organization, role, organizations
