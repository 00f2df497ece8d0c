"""The matching engine's core on small random data, without a database."""

import math

import numpy as np
import pytest

from tsunagu.matching.engine import (
    Filters,
    HandWeights,
    JobQuery,
    ReasonCode,
    WorkerArrays,
    skill_index_build,
    top_workers,
    top_workers_exact,
)
from tsunagu.matching.engine.score import score_workers
from tsunagu.matching.synthetic import jobs_synthetic, workers_synthetic

N_WORKERS = 400
N_SKILLS = 30
NO_CAP = 10**9


@pytest.fixture(scope="module")
def workers():
    return workers_synthetic(N_WORKERS, n_skills=N_SKILLS, skills_per_worker=6, seed=11)


@pytest.fixture(scope="module")
def index(workers):
    return skill_index_build(workers)


@pytest.fixture(scope="module")
def jobs():
    return jobs_synthetic(60, n_skills=N_SKILLS, seed=12)


def held(workers: WorkerArrays) -> dict[tuple[int, int], int]:
    """(worker, skill) -> level, straight from the input arrays."""
    return {
        (int(w), int(s)): int(v)
        for w, s, v in zip(workers.skill_worker, workers.skill_id, workers.skill_level, strict=True)
    }


def passes(workers: WorkerArrays, w: int, filters: Filters) -> bool:
    """The filters' documented meaning, one worker at a time."""
    rating = workers.rating[w]
    rate = int(workers.rate_yen[w])
    checks = [
        not filters.verified_only or bool(workers.verified[w]),
        filters.min_rating is None
        or (not math.isnan(rating) and round(rating * 10) >= round(filters.min_rating * 10)),
        filters.rate_min_yen is None or (rate > 0 and rate >= filters.rate_min_yen),
        filters.rate_max_yen is None or (0 < rate <= filters.rate_max_yen),
        filters.prefecture is None or int(workers.prefecture[w]) == filters.prefecture,
        filters.min_hours is None or int(workers.hours[w]) >= filters.min_hours,
        (int(workers.languages[w]) & filters.languages) == filters.languages,
    ]
    return all(checks)


@pytest.mark.parametrize("first_block", [NO_CAP, 16, 2])
def test_the_top_workers_equal_a_scan_of_every_worker(workers, index, jobs, first_block):
    levels = held(workers)
    every = np.arange(N_WORKERS)
    cut = 0
    for job in jobs:
        # given: every worker scored, filtered and sorted the slow way
        scores = score_workers(index, job, every, HandWeights()).score
        eligible = [
            w
            for w in range(N_WORKERS)
            if any((w, s) in levels for s in job.required) and passes(workers, w, job.filters)
        ]
        expected = sorted(eligible, key=lambda w: (-scores[w], w))[:20]

        # when
        ranking = top_workers(index, job, k=20, per_skill_cap=first_block)
        exact = top_workers_exact(index, job, k=20)

        # then: exact, whether or not the walk stopped before the lists' ends
        cut += ranking.capped
        assert ranking.workers.tolist() == expected
        assert exact.workers.tolist() == expected
        assert ranking.scores.tolist() == [scores[w] for w in expected]
    if first_block < NO_CAP:
        assert cut > 0, "the early stop never cut a list: the test does not exercise it"


def test_the_top_workers_equal_the_exact_ranking_on_larger_data_with_the_early_stop():
    # given: enough workers that the walk stops well before the lists' ends
    workers = workers_synthetic(20_000, n_skills=80, skills_per_worker=8, seed=21)
    index = skill_index_build(workers)
    jobs = jobs_synthetic(40, n_skills=80, seed=22)
    cut, read = 0, []

    for job in jobs:
        # when
        ranking = top_workers(index, job, k=20, per_skill_cap=32)
        exact = top_workers_exact(index, job, k=20, explain=False)

        # then
        assert ranking.workers.tolist() == exact.workers.tolist()
        assert ranking.scores.tolist() == exact.scores.tolist()
        cut += ranking.capped
        read.append(ranking.candidates / max(exact.candidates, 1))
    assert cut > len(jobs) // 2
    assert np.median(read) < 0.5


def test_a_tolerance_bounds_what_is_left_out(workers, index, jobs):
    every = np.arange(N_WORKERS)
    for job in jobs:
        # given
        scores = score_workers(index, job, every, HandWeights()).score
        exact = top_workers_exact(index, job, k=20, explain=False)

        # when
        ranking = top_workers(index, job, k=20, per_skill_cap=2, tolerance=0.1)

        # then: nobody left out beats the k-th returned score by more than 10%
        if len(exact.workers) < 20:
            assert sorted(ranking.workers.tolist()) == sorted(exact.workers.tolist())
            continue
        left_out = np.setdiff1d(exact.workers, ranking.workers)
        assert np.all(scores[left_out] <= ranking.scores[-1] * 1.1 + 1e-12)


def test_scores_follow_the_documented_formula(workers, index, jobs):
    weights = HandWeights()
    levels = held(workers)
    for job in jobs[:20]:
        ranking = top_workers(index, job, k=20, per_skill_cap=NO_CAP)
        for w, score in zip(ranking.workers.tolist(), ranking.scores.tolist(), strict=True):
            # given: the formula of weights.py, written out
            coverage, level_sum = 0.0, 0
            for skill, minimum in zip(job.required, job.min_levels, strict=True):
                level = levels.get((w, skill), 0)
                level_sum += level
                coverage += 1.0 if level >= minimum else weights.partial_credit * level / minimum
            fit = coverage / len(job.required)
            fit += weights.level_bonus * level_sum / (5 * len(job.required))
            if job.nice:
                share = sum((w, s) in levels for s in job.nice) / len(job.nice)
                fit += weights.nice_bonus * share
            done = int(workers.category_done[w, job.category])
            fit += weights.history_bonus * min(done, weights.history_cap) / weights.history_cap

            rating = workers.rating[w]
            rating = weights.unrated_rating if math.isnan(rating) else round(rating * 10) / 10
            likelihood = weights.rating_floor + (1 - weights.rating_floor) * rating / 5
            available = min(int(workers.hours[w]) / weights.hours_full, 1.0)
            likelihood *= weights.hours_floor + (1 - weights.hours_floor) * available
            rate = int(workers.rate_yen[w])
            if job.budget_yen is not None and rate > job.budget_yen:
                likelihood *= (job.budget_yen / rate) ** weights.rate_power

            # then
            assert score == pytest.approx(fit * likelihood, rel=1e-5)


def test_filters_are_honoured(workers, index):
    # given: one job per filter, and one with all of them
    each = [
        Filters(verified_only=True),
        Filters(min_rating=4.4),
        Filters(rate_min_yen=2500, rate_max_yen=3500),
        Filters(prefecture=2),
        Filters(min_hours=30),
        Filters(languages=2),
        Filters(verified_only=True, min_rating=4.0, rate_max_yen=5000, min_hours=20),
    ]
    for filters in each:
        job = JobQuery(required=(0, 1), min_levels=(2, 2), budget_yen=3000, filters=filters)

        # when: with and without a cap that bites
        for cap in (NO_CAP, 3):
            ranking = top_workers(index, job, k=20, per_skill_cap=cap)

            # then
            assert len(ranking.workers) > 0
            assert all(passes(workers, int(w), filters) for w in ranking.workers)


def test_every_reason_is_true_of_the_worker_and_the_job(workers, index, jobs):
    levels = held(workers)
    for job in jobs:
        ranking = top_workers(index, job, k=20, per_skill_cap=50)
        assert len(ranking.reasons) == len(ranking.workers)
        for w, reasons in zip(ranking.workers.tolist(), ranking.reasons, strict=True):
            codes = [r.code for r in reasons]
            skill_codes = {ReasonCode.SKILL_MEETS, ReasonCode.SKILL_BELOW, ReasonCode.SKILL_MISSING}
            about_required = [r.skill for r in reasons if r.code in skill_codes]
            assert sorted(about_required) == sorted(job.required)
            assert ReasonCode.AVAILABILITY in codes

            for reason in reasons:
                minimum = dict(zip(job.required, job.min_levels, strict=True))
                level = levels.get((w, reason.skill), 0)
                match reason.code:
                    case ReasonCode.SKILL_MEETS:
                        assert level == reason.value >= reason.reference == minimum[reason.skill]
                    case ReasonCode.SKILL_BELOW:
                        assert 0 < level == reason.value < reason.reference
                        assert reason.reference == minimum[reason.skill]
                    case ReasonCode.SKILL_MISSING:
                        assert level == 0 and reason.skill in job.required
                    case ReasonCode.NICE_HELD:
                        assert reason.skill in job.nice and level == reason.value > 0
                    case ReasonCode.CATEGORY_HISTORY:
                        assert reason.category == job.category
                        assert reason.value == workers.category_done[w, job.category] > 0
                    case ReasonCode.RATING:
                        assert abs(reason.value - workers.rating[w]) <= 0.05 + 1e-9
                    case ReasonCode.UNRATED:
                        assert math.isnan(workers.rating[w])
                    case ReasonCode.RATE_WITHIN_BUDGET:
                        assert reason.value == workers.rate_yen[w] <= job.budget_yen
                        assert reason.reference == job.budget_yen
                    case ReasonCode.RATE_OVER_BUDGET:
                        assert reason.value == workers.rate_yen[w] > job.budget_yen
                        assert reason.reference == job.budget_yen
                    case ReasonCode.AVAILABILITY:
                        assert reason.value == workers.hours[w]


def test_every_result_holds_a_required_skill(workers, index, jobs):
    levels = held(workers)
    for job in jobs:
        ranking = top_workers(index, job, k=20, per_skill_cap=5)
        for w in ranking.workers.tolist():
            assert any((w, s) in levels for s in job.required)


def test_ties_are_broken_by_worker_position():
    # given: 50 identical workers, so every score ties
    n = 50
    workers = WorkerArrays(
        n_skills=3,
        skill_worker=np.arange(n),
        skill_id=np.zeros(n, dtype=np.int64),
        skill_level=np.full(n, 3),
        rating=np.full(n, 4.5),
        rate_yen=np.full(n, 3000),
        hours=np.full(n, 20),
        prefecture=np.full(n, 13),
        verified=np.ones(n, dtype=bool),
        languages=np.ones(n, dtype=np.int64),
        category_done=np.zeros((n, 2), dtype=np.int64),
    )
    index = skill_index_build(workers)
    job = JobQuery(required=(0,), min_levels=(2,), budget_yen=4000)

    # when
    rankings = [top_workers(index, job, k=7, per_skill_cap=cap) for cap in (NO_CAP, 10, 7)]

    # then: the smallest positions, in order, every time
    for ranking in rankings:
        assert ranking.workers.tolist() == list(range(7))
        assert len(set(ranking.scores.tolist())) == 1


def test_a_job_without_required_skills_is_refused():
    with pytest.raises(ValueError, match="at least one required skill"):
        JobQuery(required=(), min_levels=())
