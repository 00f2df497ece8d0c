"""The hidden model of the demo market: every true parameter, drawn from a seed.

``model_draw(seed, catalog)`` fixes base pay per category, the planted skill
premiums and the coefficients of applying, hiring, pricing and reviewing.
It depends on the seed and the taxonomy only, never on the market's size, so
``--workers 600`` and ``--workers 100000`` with one seed share one truth.
The per-person latent traits (quality, propensities) are drawn with the
people in ``tsunagu.demo.people``; ``truth_document`` puts both in the
ground-truth JSON. None of it is ever written to the database.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.catalog import Catalog
from tsunagu.demo.skillsets import SkillSetModel, skillsets_draw

FORMAT_VERSION = 1

# The required premium: spreadsheet work by a macro writer pays five times as much.
ANCHOR_PREMIUM = ("data-entry", "excel-vba", 5.0)


@dataclass(frozen=True)
class Nominal:
    """Typical values for a category, before the seed's jitter."""

    base_pay_yen: int
    proposals_per_job: float
    job_share: float
    task_share: float
    competition_share: float
    task_unit_price_yen: int
    competition_prize_yen: int
    hourly_rate_yen: int


NOMINAL: dict[str, Nominal] = {
    "system-development": Nominal(250_000, 6.0, 0.10, 0.02, 0.00, 300, 50_000, 4000),
    "app-development": Nominal(300_000, 5.0, 0.05, 0.02, 0.00, 300, 50_000, 4500),
    "web-production": Nominal(120_000, 8.0, 0.10, 0.05, 0.03, 200, 50_000, 3000),
    "ec-site": Nominal(150_000, 6.0, 0.05, 0.08, 0.02, 80, 30_000, 2500),
    "design": Nominal(30_000, 10.0, 0.14, 0.05, 0.35, 100, 40_000, 2500),
    "video-photo": Nominal(40_000, 9.0, 0.07, 0.05, 0.08, 150, 50_000, 2500),
    "music-audio": Nominal(30_000, 5.0, 0.03, 0.05, 0.12, 200, 30_000, 2500),
    "writing": Nominal(15_000, 12.0, 0.14, 0.30, 0.08, 300, 20_000, 1800),
    "translation": Nominal(25_000, 7.0, 0.05, 0.10, 0.00, 150, 20_000, 3000),
    "data-entry": Nominal(20_000, 10.0, 0.10, 0.30, 0.00, 30, 10_000, 1200),
    "marketing": Nominal(60_000, 7.0, 0.07, 0.20, 0.03, 100, 30_000, 3000),
    "business-support": Nominal(30_000, 6.0, 0.06, 0.15, 0.00, 150, 10_000, 1500),
    "professional": Nominal(80_000, 3.0, 0.04, 0.02, 0.00, 500, 30_000, 5000),
}
FALLBACK_NOMINAL = Nominal(50_000, 6.0, 0.03, 0.05, 0.02, 100, 30_000, 2500)

# Where a worker's second skill set comes from, by primary category.
AFFINITY: dict[str, tuple[str, ...]] = {
    "system-development": ("app-development", "web-production", "data-entry"),
    "app-development": ("system-development", "web-production", "design"),
    "web-production": ("design", "system-development", "ec-site", "writing"),
    "ec-site": ("web-production", "design", "marketing", "data-entry"),
    "design": ("web-production", "video-photo", "ec-site"),
    "video-photo": ("design", "music-audio", "marketing"),
    "music-audio": ("video-photo", "writing"),
    "writing": ("marketing", "translation", "data-entry", "web-production"),
    "translation": ("writing", "business-support", "data-entry"),
    "data-entry": ("business-support", "writing", "marketing"),
    "marketing": ("writing", "web-production", "ec-site", "design"),
    "business-support": ("data-entry", "professional", "writing"),
    "professional": ("business-support", "writing", "system-development"),
}


@dataclass(frozen=True)
class CategoryTruth:
    slug: str
    base_pay_yen: int
    proposals_per_job: float
    job_share: float
    task_share: float
    competition_share: float
    task_unit_price_yen: int
    competition_prize_yen: int
    hourly_rate_yen: int
    budget_factor: float


@dataclass(frozen=True)
class Premium:
    """A planted log pay premium ``beta`` of holding ``skill`` in ``category``."""

    category: str
    skill: str
    beta: float

    @property
    def factor(self) -> float:
        return math.exp(self.beta)

    @property
    def premium_pct(self) -> float:
        return 100.0 * (math.exp(self.beta) - 1.0)


@dataclass(frozen=True)
class PriceModel:
    gamma_experience: float
    sigma: float
    size_sigma: float = 0.3
    rounding_yen: int = 500
    minimum_yen: int = 1000
    budget_rounding_yen: int = 1000


@dataclass(frozen=True)
class FitModel:
    required_weight: float = 1.0
    nice_weight: float = 0.5
    level_scale: float = 5.0
    skill_share_weight: float = 0.8
    primary_bonus: float = 0.2


@dataclass(frozen=True)
class ApplyModel:
    alpha: float
    scout_alpha: float
    apply_propensity_sigma: float = 0.8
    invited_only_share: float = 0.05
    direct_offer_share: float = 0.06
    scouted_public_share: float = 0.2
    withdraw_share: float = 0.03
    task_participants_mean: float = 12.0
    competition_entrants_scale: float = 1.3


@dataclass(frozen=True)
class HireModel:
    b_fit: float
    b_quality: float
    rehire_share: float = 0.7
    competition_b_quality: float = 2.0
    competition_award_share: float = 0.85
    cancel_share: float = 0.03


@dataclass(frozen=True)
class SatisfactionModel:
    s0: float
    s_fit: float
    s_quality: float
    noise_sd: float = 0.5
    rating_noise_sd: float = 0.4
    dimension_noise_sd: float = 0.6
    c0: float = 1.2
    c_clarity: float = 1.0
    client_review_share: float = 0.92
    worker_review_share: float = 0.88


@dataclass(frozen=True)
class HiddenModel:
    """All true parameters of one seed's market (latent traits excepted)."""

    seed: int
    categories: tuple[CategoryTruth, ...]
    premiums: tuple[Premium, ...]
    price: PriceModel
    fit: FitModel
    apply: ApplyModel
    hire: HireModel
    satisfaction: SatisfactionModel
    skillsets: SkillSetModel = field(default_factory=SkillSetModel)

    def beta_matrix(self, catalog: Catalog) -> NDArray[np.float64]:
        """``beta[c, s]``: the log premium of skill ``s`` in category ``c``."""
        beta = np.zeros((catalog.n_categories, catalog.n_skills))
        for premium in self.premiums:
            category = catalog.category_index(premium.category)
            beta[category, catalog.skill_index(premium.skill)] = premium.beta
        return beta


def stream(seed: int, stage: int) -> np.random.Generator:
    """The generator of one stage; stages never share a stream.

    Every random choice of the demo goes through one of these, so a change
    in one stage leaves the draws of the others as they were.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stage])))


MODEL_STAGE = 1
HOLDER_SAMPLE = 1500  # virtual workers per category when estimating skill shares
PLANTED_SHARE = (0.12, 0.40)
PLANTED_PER_CATEGORY = 4
PLANTED_TOTAL = 46


def model_draw(seed: int, catalog: Catalog) -> HiddenModel:
    """Draw the hidden model of ``seed`` for the taxonomy in ``catalog``."""
    rng = stream(seed, MODEL_STAGE)
    skillsets = SkillSetModel(weight_exponent=1.3)

    shares = _holder_shares(catalog, skillsets, rng)
    premiums = _premiums_draw(catalog, shares, rng)
    categories = _categories_draw(catalog, premiums, shares, rng)

    return HiddenModel(
        seed=seed,
        categories=categories,
        premiums=premiums,
        price=PriceModel(
            gamma_experience=round(float(rng.uniform(0.05, 0.12)), 4),
            sigma=round(float(rng.uniform(0.26, 0.34)), 4),
        ),
        fit=FitModel(),
        apply=ApplyModel(
            alpha=round(float(rng.uniform(3.6, 4.4)), 4),
            scout_alpha=round(float(rng.uniform(4.5, 5.5)), 4),
        ),
        hire=HireModel(
            b_fit=round(float(rng.uniform(2.5, 3.5)), 4),
            b_quality=round(float(rng.uniform(0.8, 1.2)), 4),
        ),
        satisfaction=SatisfactionModel(
            s0=round(float(rng.uniform(0.6, 1.0)), 4),
            s_fit=round(float(rng.uniform(1.2, 1.8)), 4),
            s_quality=round(float(rng.uniform(0.8, 1.2)), 4),
        ),
        skillsets=skillsets,
    )


def secondary_draw(
    primary: NDArray[np.int64], catalog: Catalog, rng: np.random.Generator
) -> NDArray[np.int64]:
    """A second category per worker: mostly a related one, never the primary."""
    n_categories = catalog.n_categories
    related = [
        [
            catalog.category_index(slug)
            for slug in AFFINITY.get(name, ())
            if slug in catalog.category_slugs
        ]
        for name in catalog.category_slugs
    ]
    pick = rng.random(len(primary))
    offset = rng.integers(1, n_categories, len(primary))
    choice = (primary + offset) % n_categories

    out = choice.copy()
    for category, options in enumerate(related):
        if not options:
            continue
        members = np.flatnonzero((primary == category) & (pick < 0.8))
        out[members] = np.asarray(options)[rng.integers(0, len(options), len(members))]
    return out


def _holder_shares(
    catalog: Catalog, skillsets: SkillSetModel, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``share[c, s]``: how often a worker of primary ``c`` holds skill ``s``.

    Estimated on a fixed sample of virtual workers so that the choice of the
    planted premiums does not depend on the size of the market drawn later.
    """
    primary = np.repeat(np.arange(catalog.n_categories), HOLDER_SAMPLE)
    secondary = secondary_draw(primary, catalog, rng)
    sets = skillsets_draw(
        primary=primary, secondary=secondary, catalog=catalog, model=skillsets, rng=rng
    )
    counts = np.zeros((catalog.n_categories, catalog.n_skills))
    np.add.at(counts, (primary[sets.worker], sets.skill), 1.0)
    shares: NDArray[np.float64] = counts / HOLDER_SAMPLE
    return shares


def _premiums_draw(
    catalog: Catalog, shares: NDArray[np.float64], rng: np.random.Generator
) -> tuple[Premium, ...]:
    """Plant premiums on home skills held by a measurable share of workers."""
    anchor_category, anchor_skill, anchor_factor = ANCHOR_PREMIUM
    anchor = (catalog.category_index(anchor_category), catalog.skill_index(anchor_skill))
    low, high = PLANTED_SHARE

    candidates: list[list[int]] = []
    for category in range(catalog.n_categories):
        home = catalog.category_skills[category]
        ok = home[(shares[category, home] >= low) & (shares[category, home] <= high)]
        ok = ok[~((category == anchor[0]) & (ok == anchor[1]))]
        candidates.append(list(rng.permutation(ok)))

    chosen: list[tuple[int, int]] = [anchor]
    taken = [int(c == anchor[0]) for c in range(catalog.n_categories)]
    cap = PLANTED_PER_CATEGORY
    while len(chosen) < PLANTED_TOTAL and any(candidates):
        before = len(chosen)
        for category in range(catalog.n_categories):
            if len(chosen) < PLANTED_TOTAL and candidates[category] and taken[category] < cap:
                chosen.append((category, int(candidates[category].pop(0))))
                taken[category] += 1
        if len(chosen) == before:
            cap += 1

    premiums = [Premium(anchor_category, anchor_skill, math.log(anchor_factor))]
    for category, skill in chosen[1:]:
        negative = rng.random() < 0.15
        factor = rng.uniform(0.6, 0.78) if negative else rng.uniform(1.22, 2.2)
        premiums.append(
            Premium(
                catalog.category_slugs[category],
                catalog.skill_slugs[skill],
                round(math.log(factor), 6),
            )
        )
    return tuple(sorted(premiums, key=lambda p: (catalog.category_index(p.category), p.skill)))


def _categories_draw(
    catalog: Catalog,
    premiums: tuple[Premium, ...],
    shares: NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[CategoryTruth, ...]:
    """Jitter the nominal tables; the budget factor is the typical premium."""
    typical = np.zeros(catalog.n_categories)
    for premium in premiums:
        category = catalog.category_index(premium.category)
        typical[category] += premium.beta * shares[category, catalog.skill_index(premium.skill)]

    out = []
    for index, slug in enumerate(catalog.category_slugs):
        nominal = NOMINAL.get(slug, FALLBACK_NOMINAL)
        base = nominal.base_pay_yen * math.exp(rng.normal(0.0, 0.08))
        out.append(
            CategoryTruth(
                slug=slug,
                base_pay_yen=int(round(base / 1000.0) * 1000),
                proposals_per_job=round(
                    float(np.clip(nominal.proposals_per_job * rng.uniform(0.85, 1.15), 3, 12)), 3
                ),
                job_share=nominal.job_share,
                task_share=nominal.task_share,
                competition_share=nominal.competition_share,
                task_unit_price_yen=nominal.task_unit_price_yen,
                competition_prize_yen=nominal.competition_prize_yen,
                hourly_rate_yen=nominal.hourly_rate_yen,
                budget_factor=round(math.exp(typical[index]), 6),
            )
        )
    return tuple(out)
