"""Majority vote and Dawid-Skene on plain arrays, without a database.

The simulation is the task format's Done-when: 200 units of 3 classes, 7
workers of known accuracy, each unit answered by 5 of them, 20 gold units.
"""

import numpy as np
import pytest

from tsunagu.process.aggregation import (
    careless_workers,
    dawid_skene,
    majority_vote,
    worker_scores,
)

TRUE_ACCURACY = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.35])
CARELESS = 6  # close to guessing among three classes


def simulate(*, seed: int, n_units: int = 200, n_classes: int = 3, k: int = 5, n_gold: int = 20):
    """Answers of the seven workers: right with their accuracy, else a wrong class at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_units)
    rows = []
    for unit in range(n_units):
        for worker in rng.choice(len(TRUE_ACCURACY), size=k, replace=False):
            if rng.random() < TRUE_ACCURACY[worker]:
                given = truth[unit]
            else:
                given = (truth[unit] + rng.integers(1, n_classes)) % n_classes
            rows.append((unit, worker, given))
    gold_units = rng.choice(n_units, size=n_gold, replace=False)
    gold = {int(unit): int(truth[unit]) for unit in gold_units}
    return truth, np.array(rows, dtype=np.int64), gold


def test_dawid_skene_is_at_least_as_accurate_as_majority_vote_and_knows_the_workers():
    # given: the simulated batch
    truth, labels, gold = simulate(seed=0)

    # when
    vote = majority_vote(labels, n_classes=3)
    em = dawid_skene(labels, n_classes=3)
    anchored = dawid_skene(labels, n_classes=3, known=gold)

    # then: EM's consensus is at least as right as the vote's, with or without gold
    vote_right = (vote.consensus == truth).mean()
    em_right = (em.consensus == truth).mean()
    not_gold = np.array([unit not in gold for unit in range(len(truth))])
    assert em_right >= vote_right
    assert (anchored.consensus == truth)[not_gold].mean() >= (vote.consensus == truth)[
        not_gold
    ].mean()
    assert em.iterations < 100  # converged
    # and each worker's estimated accuracy is near the true one
    assert np.abs(em.worker_accuracy - TRUE_ACCURACY).max() < 0.1
    assert np.abs(anchored.worker_accuracy - TRUE_ACCURACY).max() < 0.1


def test_the_gold_units_flag_the_careless_worker_only():
    # given: the simulated batch aggregated with its gold units
    truth, labels, gold = simulate(seed=0)
    result = dawid_skene(labels, n_classes=3, known=gold)
    is_gold = np.zeros(len(truth), dtype=bool)
    is_gold[list(gold)] = True

    # when: workers are scored on the gold units
    scores = worker_scores(
        labels,
        reference=result.consensus,
        is_gold=is_gold,
        n_choices=np.full(len(truth), 3),
        n_workers=7,
    )
    flagged = careless_workers(scores, min_gold_answers=5, margin=0.25)

    # then: only the careless worker falls below half right on gold
    assert np.flatnonzero(flagged).tolist() == [CARELESS]
    assert (scores.gold_answers >= 5).all()
    assert scores.gold_chance == pytest.approx(np.full(7, 1 / 3))


def test_gold_units_keep_their_known_answer_against_the_vote():
    # given: three workers agree on class 1 where the gold answer is 0
    labels = np.array([(0, 0, 1), (0, 1, 1), (0, 2, 1), (1, 0, 2), (1, 1, 2)])

    result = dawid_skene(labels, n_classes=3, known={0: 0})

    assert result.consensus.tolist() == [0, 2]
    assert result.posterior[0].tolist() == [1.0, 0.0, 0.0]


def test_ties_go_to_the_first_choice_every_time():
    # given: one vote each for classes 2 and 1
    labels = np.array([(0, 0, 2), (0, 1, 1)])

    first = majority_vote(labels, n_classes=3)
    second = majority_vote(labels[::-1], n_classes=3)

    assert first.consensus.tolist() == second.consensus.tolist() == [1]
    em = dawid_skene(labels, n_classes=3)
    assert em.consensus.tolist() == dawid_skene(labels[::-1], n_classes=3).consensus.tolist()


def test_a_class_the_unit_does_not_offer_never_wins_it():
    # given: unit 0 offers classes 0 and 1 only; two answers say 2
    labels = np.array([(0, 0, 2), (0, 1, 2), (0, 2, 1), (1, 0, 2)])
    allowed = np.array([[True, True, False], [True, True, True]])

    vote = majority_vote(labels, n_classes=3, allowed=allowed)
    em = dawid_skene(labels, n_classes=3, allowed=allowed)

    assert vote.consensus.tolist() == [1, 2]
    assert em.consensus[0] == 1
    assert em.posterior[0, 2] == pytest.approx(0.0, abs=1e-12)


def test_units_and_workers_without_answers():
    labels = np.array([(0, 0, 1), (0, 1, 1)])

    result = dawid_skene(labels, n_classes=2, n_units=3, n_workers=3)

    assert result.consensus.tolist() == [1, -1, -1]
    assert result.posterior[1:].sum() == 0.0
    assert np.isnan(result.worker_accuracy[2])
    assert (result.worker_accuracy[:2] > 0.99).all()  # smoothing keeps it below 1
    assert result.confusion.shape == (3, 2, 2)
    assert result.confusion.sum(axis=2) == pytest.approx(np.ones((3, 2)))


def test_no_answers_at_all():
    empty = np.zeros((0, 3), dtype=np.int64)

    result = dawid_skene(empty, n_classes=2, n_units=2)

    assert result.consensus.tolist() == [-1, -1]


def test_dawid_skene_reads_a_worker_who_swaps_the_classes():
    # given: two reliable workers and one who always answers the other class
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 60)
    rows = []
    for unit, cls in enumerate(truth):
        rows += [(unit, 0, cls), (unit, 2, 1 - cls)]
        if unit % 2:
            rows.append((unit, 1, cls))
    labels = np.array(rows)

    result = dawid_skene(labels, n_classes=2)

    # then: the swapper's confusion matrix is read as swapped, not as noise
    assert (result.consensus == truth).all()
    assert result.confusion[2, 0, 1] > 0.95
    assert result.confusion[2, 1, 0] > 0.95
    assert result.worker_accuracy[2] < 0.05


def test_careless_is_relative_to_guessing_and_needs_enough_gold():
    # given: two-choice gold units; worker 0 right 3 of 5, worker 1 right 1 of 2
    labels = np.array([(u, 0, int(u < 3)) for u in range(5)] + [(0, 1, 0), (1, 1, 1)])
    reference = np.ones(5, dtype=np.int64)

    scores = worker_scores(
        labels,
        reference=reference,
        is_gold=np.ones(5, dtype=bool),
        n_choices=np.full(5, 2),
        n_workers=2,
    )
    flagged = careless_workers(scores, min_gold_answers=5, margin=0.25)

    # then: 60% on yes/no is below the 62.5% bar; two answers are too few to judge
    assert scores.gold_accuracy[0] == pytest.approx(0.6)
    assert flagged.tolist() == [True, False]
