"""Projects from posting to hire: proposals, scouts, the choice, direct offers.

Public projects draw ``Poisson(proposals_per_job)`` proposers with the apply
weights. Invited-only projects get scouts instead (and one public project in
five gets a few too); a scouted worker accepts with its accept propensity
and then proposes. At the decision day the client hires with its hire
propensity, one proposer by Gumbel-max over ``b_fit * fit + b_quality *
quality``; the price plays no part. A direct-offer project goes to one worker
(often one the client hired before), who accepts with its accept propensity.
Prices are drawn later (``tsunagu.demo.pricing``), once experience is known.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.demo.applying import (
    JobsView,
    Picks,
    Pools,
    SkillBook,
    candidates_pick,
    fit_scores,
)
from tsunagu.demo.jobs import INVITED, PROJECT, PUBLIC, Jobs
from tsunagu.demo.model import HiddenModel
from tsunagu.demo.people import Clients, Workers

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SUBMITTED, ACCEPTED, DECLINED, WITHDRAWN = 0, 1, 2, 3
SENT = 0  # invitation status; ACCEPTED and DECLINED as for proposals
SCOUT, DIRECT_OFFER = 0, 1


@dataclass(frozen=True)
class Proposals:
    """Proposals grouped by job; ``decided`` is NaN while undecided."""

    job: IntArray
    worker: IntArray
    fit: FloatArray
    created: FloatArray
    status: IntArray
    decided: FloatArray
    scouted: BoolArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.job)


@dataclass(frozen=True)
class Invitations:
    """Scouts and direct offers; ``responded`` is NaN while unanswered."""

    job: IntArray
    worker: IntArray
    kind: IntArray
    rehire: BoolArray
    fit: FloatArray
    created: FloatArray
    responded: FloatArray
    status: IntArray
    text_seed: IntArray

    def __len__(self) -> int:
        return len(self.job)


@dataclass(frozen=True)
class Hires:
    """Who got each hired project: from a proposal or a direct offer."""

    job: IntArray
    worker: IntArray
    proposal: IntArray  # -1 for a direct offer
    invitation: IntArray  # -1 for a proposal
    start: FloatArray
    fit: FloatArray

    def __len__(self) -> int:
        return len(self.job)


@dataclass(frozen=True)
class Hiring:
    proposals: Proposals
    invitations: Invitations
    hires: Hires
    decision: FloatArray  # per job; NaN for jobs that are not projects


@dataclass(frozen=True)
class Market:
    """What every sampler needs, bundled to keep signatures short."""

    jobs: Jobs
    view: JobsView
    workers: Workers
    clients: Clients
    book: SkillBook
    apply_pools: Pools
    scout_pools: Pools
    model: HiddenModel
    horizon: float

    def pick(
        self, pools: Pools, job: IntArray, wanted: IntArray, rng: np.random.Generator
    ) -> Picks:
        return candidates_pick(
            pools=pools,
            jobs=self.view,
            job=job,
            wanted=wanted,
            primary=self.workers.primary,
            start=self.workers.start,
            end=self.workers.end,
            book=self.book,
            fit=self.model.fit,
            rng=rng,
        )


def hiring_draw(market: Market, rng: np.random.Generator) -> Hiring:
    """Proposals, scouts, hires and direct offers of every project."""
    jobs = market.jobs
    project = jobs.format == PROJECT
    decision = np.where(
        project, jobs.posted + jobs.window * rng.uniform(0.8, 1.0, len(jobs)), np.nan
    )

    organic = _organic_proposals(market, project, rng)
    scouts = _scouts(market, project, organic, rng)
    proposals = _proposals(market, organic, scouts, decision, rng)
    hired = _choose(market, proposals, decision, rng)
    offers, direct_hires = _direct_offers(market, proposals, hired, decision, rng)

    invitations = _concat_invitations(scouts, offers)
    hires = _concat_hires(proposals, hired, decision, direct_hires, len(scouts))
    proposals = _decide(proposals, hired, decision, market.horizon)
    return Hiring(proposals=proposals, invitations=invitations, hires=hires, decision=decision)


def _organic_proposals(market: Market, project: BoolArray, rng: np.random.Generator) -> Picks:
    jobs = market.jobs
    public = np.flatnonzero(project & ~jobs.direct & (jobs.visibility == PUBLIC))
    mean = np.array([c.proposals_per_job for c in market.model.categories])
    wanted = rng.poisson(mean[jobs.category[public]])
    return market.pick(market.apply_pools, public, wanted, rng)


def _scouts(
    market: Market, project: BoolArray, organic: Picks, rng: np.random.Generator
) -> Invitations:
    """Scouts to invited-only projects and to one public project in five."""
    jobs = market.jobs
    n = len(jobs)
    invited = project & ~jobs.direct & (jobs.visibility == INVITED)
    scouted = project & ~jobs.direct & (jobs.visibility == PUBLIC)
    scouted &= rng.random(n) < market.model.apply.scouted_public_share
    wanted = np.where(invited, 2 + rng.poisson(3.0, n), 1 + rng.poisson(1.5, n))
    targets = np.flatnonzero(invited | scouted)
    picks = market.pick(market.scout_pools, targets, wanted[targets], rng)

    n_workers = len(market.workers)
    fresh = ~np.isin(picks.job * n_workers + picks.worker, organic.job * n_workers + organic.worker)
    picks = picks.take(fresh)
    window = jobs.window[picks.job]
    created = jobs.posted[picks.job] + window * rng.uniform(0.0, 0.3, len(picks))
    responded = created + window * rng.uniform(0.05, 0.3, len(picks))
    answered = responded <= market.horizon
    accepted = answered & (rng.random(len(picks)) < market.workers.accept[picks.worker])
    return Invitations(
        job=picks.job,
        worker=picks.worker,
        kind=np.full(len(picks), SCOUT, dtype=np.int64),
        rehire=np.zeros(len(picks), dtype=bool),
        fit=picks.fit,
        created=created,
        responded=np.where(answered, responded, np.nan),
        status=np.where(answered, np.where(accepted, ACCEPTED, DECLINED), SENT).astype(np.int64),
        text_seed=rng.integers(0, 2**31, len(picks)),
    )


def _proposals(
    market: Market,
    organic: Picks,
    scouts: Invitations,
    decision: FloatArray,
    rng: np.random.Generator,
) -> Proposals:
    """Organic and scouted proposals that exist by today, grouped by job."""
    jobs = market.jobs
    organic_created = jobs.posted[organic.job] + jobs.window[organic.job] * 0.8 * rng.beta(
        1.0, 2.0, len(organic)
    )
    took = scouts.status == ACCEPTED
    scout_created = scouts.responded[took] + jobs.window[scouts.job[took]] * rng.uniform(
        0.0, 0.05, int(took.sum())
    )

    job = np.concatenate([organic.job, scouts.job[took]])
    worker = np.concatenate([organic.worker, scouts.worker[took]])
    fit = np.concatenate([organic.fit, scouts.fit[took]])
    created = np.concatenate([organic_created, scout_created])
    scouted = np.concatenate([np.zeros(len(organic), dtype=bool), np.ones(int(took.sum()), bool)])

    exists = created <= market.horizon
    order = np.lexsort((created[exists], job[exists]))
    rows = np.flatnonzero(exists)[order]
    n = len(rows)

    withdraw_at = created[rows] + rng.uniform(0.5, 3.0, n)
    withdrawn = rng.random(n) < market.model.apply.withdraw_share
    withdrawn &= withdraw_at <= np.minimum(market.horizon, decision[job[rows]])
    return Proposals(
        job=job[rows],
        worker=worker[rows],
        fit=fit[rows],
        created=created[rows],
        status=np.where(withdrawn, WITHDRAWN, SUBMITTED).astype(np.int64),
        decided=np.where(withdrawn, withdraw_at, np.nan),
        scouted=scouted[rows],
        text_seed=rng.integers(0, 2**31, n),
    )


def _choose(
    market: Market, proposals: Proposals, decision: FloatArray, rng: np.random.Generator
) -> IntArray:
    """The hired proposal of each decided project (indices into proposals)."""
    jobs = market.jobs
    hire = market.model.hire
    job = proposals.job
    open_ = proposals.status == SUBMITTED
    decided = decision[job] <= market.horizon

    willing = rng.random(len(jobs)) < market.clients.hire[jobs.client]
    score = hire.b_fit * proposals.fit + hire.b_quality * market.workers.quality[proposals.worker]
    score = score + rng.gumbel(size=len(proposals))
    candidates = np.flatnonzero(open_ & decided & willing[job])

    order = candidates[np.lexsort((-score[candidates], job[candidates]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = job[order][1:] != job[order][:-1]
    chosen: IntArray = order[first]
    return chosen


def _direct_offers(
    market: Market,
    proposals: Proposals,
    hired: IntArray,
    decision: FloatArray,
    rng: np.random.Generator,
) -> tuple[Invitations, Hires]:
    """One offer per direct-offer project, in posting order.

    With ``rehire_share`` the client offers the work again to someone it
    hired before the job was posted (by a proposal or an earlier offer) and
    who is still active, otherwise to a worker found like a scout.
    """
    jobs = market.jobs
    direct = np.flatnonzero(jobs.direct)
    fallback = market.pick(market.scout_pools, direct, np.ones(len(direct), np.int64), rng)
    found = dict(zip(fallback.job.tolist(), fallback.worker.tolist(), strict=True))
    history = _HireHistory(
        client=jobs.client[proposals.job[hired]],
        start=decision[proposals.job[hired]],
        worker=proposals.worker[hired],
    )

    draws = rng.random((len(direct), 5))
    offers = _OfferRows()
    for index, job in enumerate(direct.tolist()):
        client, posted = int(jobs.client[job]), float(jobs.posted[job])
        earlier = [w for w in history.before(client, posted) if market.workers.end[w] > posted]
        u_rehire, u_pick, u_sent, u_answer, u_accept = draws[index].tolist()
        if earlier and u_rehire < market.model.hire.rehire_share:
            worker, rehire = earlier[int(u_pick * len(earlier))], True
        elif job in found:
            worker, rehire = found[job], False
        else:
            continue
        sent = posted + 0.5 * u_sent
        responded = sent + 0.2 + 2.8 * u_answer
        answered = responded <= market.horizon
        accepted = answered and u_accept < float(market.workers.accept[worker])
        if accepted:
            history.add(client, responded, worker)
        offers.add(job, worker, rehire, sent, responded if answered else np.nan, accepted)
    return offers.arrays(market, rng)


class _HireHistory:
    """Whom each client hired, and when: proposals first, offers as they come."""

    def __init__(self, *, client: IntArray, start: FloatArray, worker: IntArray) -> None:
        order = np.lexsort((start, client))
        self._client = client[order]
        self._start = start[order]
        self._worker = worker[order]
        self._offers: dict[int, list[tuple[float, int]]] = {}

    def before(self, client: int, day: float) -> list[int]:
        low = int(np.searchsorted(self._client, client, side="left"))
        high = int(np.searchsorted(self._client, client, side="right"))
        cut = low + int(np.searchsorted(self._start[low:high], day))
        earlier: list[int] = self._worker[low:cut].tolist()
        earlier += [worker for start, worker in self._offers.get(client, []) if start < day]
        return earlier

    def add(self, client: int, day: float, worker: int) -> None:
        self._offers.setdefault(client, []).append((day, worker))


class _OfferRows:
    """Direct offers collected one by one, then turned into arrays."""

    def __init__(self) -> None:
        self.job: list[int] = []
        self.worker: list[int] = []
        self.rehire: list[bool] = []
        self.created: list[float] = []
        self.responded: list[float] = []
        self.accepted: list[bool] = []

    def add(
        self, job: int, worker: int, rehire: bool, created: float, responded: float, accepted: bool
    ) -> None:
        self.job.append(job)
        self.worker.append(worker)
        self.rehire.append(rehire)
        self.created.append(created)
        self.responded.append(responded)
        self.accepted.append(accepted)

    def arrays(self, market: Market, rng: np.random.Generator) -> tuple[Invitations, Hires]:
        """The offers, and the hires their acceptances made (invitation = row)."""
        job = np.array(self.job, dtype=np.int64)
        worker = np.array(self.worker, dtype=np.int64)
        responded = np.array(self.responded, dtype=np.float64)
        accepted = np.array(self.accepted, dtype=bool)
        fit = fit_scores(
            jobs=market.view,
            job=job,
            worker=worker,
            primary=market.workers.primary,
            book=market.book,
            fit=market.model.fit,
        )
        status = np.where(np.isnan(responded), SENT, np.where(accepted, ACCEPTED, DECLINED))
        invitations = Invitations(
            job=job,
            worker=worker,
            kind=np.full(len(job), DIRECT_OFFER, dtype=np.int64),
            rehire=np.array(self.rehire, dtype=bool),
            fit=fit,
            created=np.array(self.created, dtype=np.float64),
            responded=responded,
            status=status.astype(np.int64),
            text_seed=rng.integers(0, 2**31, len(job)),
        )
        rows = np.flatnonzero(accepted)
        hires = Hires(
            job=job[rows],
            worker=worker[rows],
            proposal=np.full(len(rows), -1, dtype=np.int64),
            invitation=rows,
            start=responded[rows],
            fit=fit[rows],
        )
        return invitations, hires


def _concat_invitations(scouts: Invitations, offers: Invitations) -> Invitations:
    return Invitations(
        job=np.concatenate([scouts.job, offers.job]),
        worker=np.concatenate([scouts.worker, offers.worker]),
        kind=np.concatenate([scouts.kind, offers.kind]),
        rehire=np.concatenate([scouts.rehire, offers.rehire]),
        fit=np.concatenate([scouts.fit, offers.fit]),
        created=np.concatenate([scouts.created, offers.created]),
        responded=np.concatenate([scouts.responded, offers.responded]),
        status=np.concatenate([scouts.status, offers.status]),
        text_seed=np.concatenate([scouts.text_seed, offers.text_seed]),
    )


def _concat_hires(
    proposals: Proposals,
    hired: IntArray,
    decision: FloatArray,
    direct: Hires,
    invitation_offset: int,
) -> Hires:
    """Hires by proposal and by offer, in the order they were made."""
    job = np.concatenate([proposals.job[hired], direct.job])
    start = np.concatenate([decision[proposals.job[hired]], direct.start])
    order = np.lexsort((job, start))
    return Hires(
        job=job[order],
        worker=np.concatenate([proposals.worker[hired], direct.worker])[order],
        proposal=np.concatenate([hired, direct.proposal])[order],
        invitation=np.concatenate(
            [np.full(len(hired), -1, dtype=np.int64), direct.invitation + invitation_offset]
        )[order],
        start=start[order],
        fit=np.concatenate([proposals.fit[hired], direct.fit])[order],
    )


def _decide(
    proposals: Proposals, hired: IntArray, decision: FloatArray, horizon: float
) -> Proposals:
    """At a project's decision the hired proposal is accepted, the rest declined."""
    day = decision[proposals.job]
    status = proposals.status.copy()
    decided = proposals.decided.copy()
    closing = (status == SUBMITTED) & (day <= horizon)
    status[closing] = DECLINED
    status[hired] = ACCEPTED
    decided[closing] = day[closing]
    return Proposals(
        job=proposals.job,
        worker=proposals.worker,
        fit=proposals.fit,
        created=proposals.created,
        status=status,
        decided=decided,
        scouted=proposals.scouted,
        text_seed=proposals.text_seed,
    )
