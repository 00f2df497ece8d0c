"""The whole demo market as arrays: every stage drawn in order, no database.

``market_draw`` runs the stages (people, jobs, hiring, contracts, prices,
tasks, competitions, reviews, messages), each from its own seeded stream,
and derives what the services would have kept up to date: job statuses,
proven skills, the workers' counters. ``tsunagu.demo.write`` turns the
result into rows; ``tsunagu.demo.truth`` into the ground-truth document.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.applying import JobsView, Pools, SkillBook, pools_build
from tsunagu.demo.batches import Entries, Participations, entries_draw, participations_draw
from tsunagu.demo.catalog import Catalog, catalog_from_taxonomy
from tsunagu.demo.contracts import (
    COMPLETED,
    ContractTimes,
    contract_times_draw,
    durations_draw,
    plan_counts_draw,
)
from tsunagu.demo.jobs import COMPETITION, PROJECT, TASK, Jobs, jobs_draw
from tsunagu.demo.model import HiddenModel, model_draw, stream
from tsunagu.demo.people import Clients, Organizations, Workers, clients_draw, workers_draw
from tsunagu.demo.pricing import Experience, prices_draw, worker_log_premiums
from tsunagu.demo.projects import DIRECT_OFFER, Hiring, Market, hiring_draw
from tsunagu.demo.reviews import OF_WORKER, Reviews, reviews_draw
from tsunagu.demo.threads import Messages, contract_messages_draw, question_threads_draw
from tsunagu.skills.taxonomy import read_taxonomy

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DAYS_PER_MONTH = 365.25 / 12
OPEN, CLOSED, COMPLETED_JOB = 0, 1, 3  # job statuses (2, cancelled, is not drawn)
COMPETITION_CLOSE_DAYS = 7.0  # an unawarded competition is closed this long after its deadline
# One stream per stage (the hidden model uses stage 1).
WORKERS, CLIENTS, JOBS, HIRING, CONTRACTS, PRICES, TASKS, ENTRIES = range(2, 10)
REVIEWS, THREADS, PROFILES = 10, 11, 12


@dataclass(frozen=True)
class Money:
    """Prices: per proposal, per invitation (0 for a scout), per contract."""

    proposal: IntArray
    plan_count: IntArray
    invitation: IntArray
    contract: IntArray


@dataclass(frozen=True)
class JobStates:
    status: IntArray
    closed: FloatArray  # NaN while open


@dataclass(frozen=True)
class Counters:
    """What the services keep on profiles and skills, counted from the market."""

    completed: IntArray  # per worker
    earned_yen: IntArray
    rating_sum: IntArray
    rating_count: IntArray
    proven: IntArray  # per worker-skill row


@dataclass(frozen=True)
class DemoMarket:
    seed: int
    months: int
    horizon: float
    catalog: Catalog
    model: HiddenModel
    workers: Workers
    clients: Clients
    organizations: Organizations
    jobs: Jobs
    hiring: Hiring
    duration: FloatArray
    times: ContractTimes
    money: Money
    participations: Participations
    entries: Entries
    award: FloatArray
    reviews: Reviews
    question_proposals: IntArray
    questions: Messages
    contract_messages: Messages
    states: JobStates
    counters: Counters


def market_draw(*, seed: int, n_workers: int, n_clients: int, months: int) -> DemoMarket:
    """Draw a market of ``n_workers`` workers and ``n_clients`` client accounts."""
    catalog = catalog_from_taxonomy(read_taxonomy())
    model = model_draw(seed, catalog)
    horizon = months * DAYS_PER_MONTH
    workers = workers_draw(
        n=n_workers, horizon=horizon, model=model, catalog=catalog, rng=stream(seed, WORKERS)
    )
    clients, organizations = clients_draw(
        n_accounts=n_clients,
        workers=workers,
        horizon=horizon,
        model=model,
        catalog=catalog,
        rng=stream(seed, CLIENTS),
    )
    jobs = jobs_draw(
        clients=clients, horizon=horizon, model=model, catalog=catalog, rng=stream(seed, JOBS)
    )
    market = _sampling_market(workers, clients, jobs, model, catalog, horizon, months)
    hiring = hiring_draw(market, stream(seed, HIRING))

    rng = stream(seed, CONTRACTS)
    duration = durations_draw(jobs.size, rng)
    times = contract_times_draw(
        hires=hiring.hires, duration=duration, model=model, horizon=horizon, rng=rng
    )
    money = _money(market, hiring, times, catalog, stream(seed, PRICES))
    participations = participations_draw(market, stream(seed, TASKS))
    entries, award = entries_draw(market, stream(seed, ENTRIES))
    reviews = _reviews(market, hiring, times, stream(seed, REVIEWS))
    threads_rng = stream(seed, THREADS)
    asked, questions = question_threads_draw(
        posted=jobs.posted[hiring.proposals.job],
        created=hiring.proposals.created,
        horizon=horizon,
        rng=threads_rng,
    )

    return DemoMarket(
        seed=seed,
        months=months,
        horizon=horizon,
        catalog=catalog,
        model=model,
        workers=workers,
        clients=clients,
        organizations=organizations,
        jobs=jobs,
        hiring=hiring,
        duration=duration,
        times=times,
        money=money,
        participations=participations,
        entries=entries,
        award=award,
        reviews=reviews,
        question_proposals=asked,
        questions=questions,
        contract_messages=contract_messages_draw(times, horizon, threads_rng),
        states=_job_states(market, hiring, participations, award),
        counters=_counters(market, hiring, times, money, reviews),
    )


def _sampling_market(
    workers: Workers,
    clients: Clients,
    jobs: Jobs,
    model: HiddenModel,
    catalog: Catalog,
    horizon: float,
    months: int,
) -> Market:
    """Index workers into candidate pools: by apply propensity, and for scouts."""
    view = JobsView(
        category=jobs.category,
        posted=jobs.posted,
        skill=jobs.skills.skill,
        weight=jobs.skills.weights(model.fit),
        excluded_worker=clients.worker[jobs.client],
    )

    def pools(base: FloatArray, alpha: float) -> Pools:
        return pools_build(
            primary=workers.primary,
            start=workers.start,
            end=workers.end,
            sets=workers.skills,
            base=base,
            alpha=alpha,
            fit=model.fit,
            catalog=catalog,
            horizon=horizon,
            n_months=max(1, months),
        )

    return Market(
        jobs=jobs,
        view=view,
        workers=workers,
        clients=clients,
        book=SkillBook.from_sets(workers.skills, catalog.n_skills),
        apply_pools=pools(workers.apply, model.apply.alpha),
        scout_pools=pools(np.ones(len(workers)), model.apply.scout_alpha),
        model=model,
        horizon=horizon,
    )


def _money(
    market: Market,
    hiring: Hiring,
    times: ContractTimes,
    catalog: Catalog,
    rng: np.random.Generator,
) -> Money:
    """Prices of proposals and offers from experience so far; contracts copy them."""
    jobs, hires = market.jobs, hiring.hires
    premium = worker_log_premiums(market.workers.skills, len(market.workers), market.model, catalog)
    experience = Experience(
        worker=hires.worker, completed=np.where(times.status == COMPLETED, times.ended, np.nan)
    )
    proposals, invitations = hiring.proposals, hiring.invitations

    def price(job: IntArray, worker: IntArray, day: FloatArray) -> IntArray:
        return prices_draw(
            category=jobs.category[job],
            size=jobs.size[job],
            worker=worker,
            experience=experience.before(worker, day),
            premium=premium,
            model=market.model,
            rng=rng,
        )

    proposal_price = price(proposals.job, proposals.worker, proposals.created)
    offer_price = price(invitations.job, invitations.worker, invitations.created)
    offer_price = np.where(invitations.kind == DIRECT_OFFER, offer_price, 0)
    contract_price = np.where(
        hires.proposal >= 0,
        proposal_price[np.maximum(hires.proposal, 0)],
        offer_price[np.maximum(hires.invitation, 0)],
    )
    return Money(
        proposal=proposal_price,
        plan_count=plan_counts_draw(proposal_price, rng),
        invitation=offer_price.astype(np.int64),
        contract=contract_price.astype(np.int64),
    )


def _reviews(
    market: Market, hiring: Hiring, times: ContractTimes, rng: np.random.Generator
) -> Reviews:
    hires = hiring.hires
    return reviews_draw(
        completed=np.where(times.status == COMPLETED, times.ended, np.nan),
        fit=hires.fit,
        quality=market.workers.quality[hires.worker],
        clarity=market.clients.clarity[market.jobs.client[hires.job]],
        model=market.model.satisfaction,
        horizon=market.horizon,
        rng=rng,
    )


def _job_states(
    market: Market, hiring: Hiring, participations: Participations, award: FloatArray
) -> JobStates:
    """Each job's status today and when it closed, as the services leave them.

    A project closes at its decision (hired or not) or when its direct offer
    is answered; a task batch at its deadline, completed if every unit is
    done; a competition when awarded, or closed a week after its deadline.
    """
    jobs, horizon = market.jobs, market.horizon
    closed = np.full(len(jobs), np.nan)
    completed = np.zeros(len(jobs), dtype=bool)

    project = jobs.format == PROJECT
    closed[project] = hiring.decision[project]
    offers = hiring.invitations
    direct = offers.kind == DIRECT_OFFER
    closed[offers.job[direct]] = offers.responded[direct]
    unoffered = jobs.direct & ~np.isin(np.arange(len(jobs)), offers.job[direct])
    closed[unoffered] = jobs.deadline[unoffered]

    task = jobs.format == TASK
    closed[task] = jobs.deadline[task]
    done = np.bincount(participations.job, participations.units_done, minlength=len(jobs))
    completed |= task & (done >= jobs.unit_count)

    contest = jobs.format == COMPETITION
    awarded = contest & ~np.isnan(award)
    closed[contest] = jobs.deadline[contest] + COMPETITION_CLOSE_DAYS
    closed[awarded] = award[awarded]
    completed |= awarded

    over = closed <= horizon
    status = np.where(over, np.where(completed, COMPLETED_JOB, CLOSED), OPEN)
    return JobStates(status=status.astype(np.int64), closed=np.where(over, closed, np.nan))


def _counters(
    market: Market, hiring: Hiring, times: ContractTimes, money: Money, reviews: Reviews
) -> Counters:
    """Completed contracts, earnings, ratings and proven skills per worker."""
    n = len(market.workers)
    hires = hiring.hires
    done = np.flatnonzero(times.status == COMPLETED)
    worker = hires.worker[done]

    skills = market.jobs.skills.skill[hires.job[done]]
    rows = market.book.positions(np.repeat(worker[:, None], skills.shape[1], axis=1), skills)
    proven = np.bincount(rows[rows >= 0], minlength=len(market.workers.skills))

    of_worker = reviews.direction == OF_WORKER
    rated = hires.worker[reviews.contract[of_worker]]
    return Counters(
        completed=np.bincount(worker, minlength=n).astype(np.int64),
        earned_yen=np.bincount(worker, money.contract[done], minlength=n).astype(np.int64),
        rating_sum=np.bincount(rated, reviews.overall[of_worker], minlength=n).astype(np.int64),
        rating_count=np.bincount(rated, minlength=n).astype(np.int64),
        proven=proven.astype(np.int64),
    )
