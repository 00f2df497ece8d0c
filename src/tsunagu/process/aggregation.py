"""Answer aggregation for task batches: majority vote and Dawid-Skene.

Pure numpy, no Django: a selector turns a batch's answers into an integer
array of ``(unit, worker, class)`` rows and reads the result back. Units,
workers and classes are dense indices from 0; a unit nobody answered gets
the consensus -1 and a worker with no answers the accuracy NaN.

Ties are broken the same way every time: the lowest class index wins, so
the order a batch lists its choices in decides a tied unit.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Aggregate:
    """The outcome of one aggregation.

    ``consensus[u]`` is the chosen class of unit ``u`` (-1 when unanswered);
    ``posterior[u, k]`` the probability that ``k`` is the true class;
    ``confusion[w, true, given]`` the estimated chance that worker ``w``
    answers ``given`` on a unit whose class is ``true``; ``worker_accuracy[w]``
    the expected share of ``w``'s answers that are correct under the
    posterior (NaN without answers).
    """

    consensus: IntArray
    posterior: FloatArray
    confusion: FloatArray
    worker_accuracy: FloatArray
    iterations: int


def _shape(
    labels: IntArray, n_units: int | None, n_workers: int | None
) -> tuple[IntArray, int, int]:
    rows = np.asarray(labels, dtype=np.int64).reshape(-1, 3)
    units = int(rows[:, 0].max()) + 1 if len(rows) else 0
    workers = int(rows[:, 1].max()) + 1 if len(rows) else 0
    return rows, max(units, n_units or 0), max(workers, n_workers or 0)


def _allowed_mask(allowed: NDArray[np.bool_] | None, n_units: int, n_classes: int) -> FloatArray:
    if allowed is None:
        return np.ones((n_units, n_classes))
    return np.asarray(allowed, dtype=np.float64).reshape(n_units, n_classes)


def _ratio(part: NDArray[Any], whole: NDArray[Any], *, empty: float) -> FloatArray:
    """``part / whole`` element by element, ``empty`` where ``whole`` is zero."""
    out = np.full(np.broadcast(part, whole).shape, empty)
    np.divide(part, whole, out=out, where=whole > 0)
    return out


def _vote_share(rows: IntArray, mask: FloatArray) -> FloatArray:
    """Each unit's answers as shares per class; unanswered units stay all zero."""
    votes = np.zeros_like(mask)
    np.add.at(votes, (rows[:, 0], rows[:, 2]), 1.0)
    votes *= mask  # an answer outside a unit's choices never wins it
    totals = votes.sum(axis=1, keepdims=True)
    return _ratio(votes, totals, empty=0.0)


def _clamp(posterior: FloatArray, known: dict[int, int] | None) -> FloatArray:
    """Units with a known answer (gold) are certain: one-hot on that class."""
    for unit, cls in (known or {}).items():
        posterior[unit] = 0.0
        posterior[unit, cls] = 1.0
    return posterior


def _confusion(
    rows: IntArray, posterior: FloatArray, n_workers: int, smoothing: float
) -> FloatArray:
    """Soft counts of (true class, given class) per worker, rows normalised."""
    n_classes = posterior.shape[1]
    counts = np.full((n_workers, n_classes, n_classes), smoothing)
    # One answer adds the unit's whole posterior to the column of its class.
    for given in range(n_classes):
        mine = rows[:, 2] == given
        np.add.at(counts[:, :, given], rows[mine, 1], posterior[rows[mine, 0]])
    normalised: FloatArray = counts / counts.sum(axis=2, keepdims=True)
    return normalised


def _accuracy(rows: IntArray, posterior: FloatArray, n_workers: int) -> FloatArray:
    correct = np.zeros(n_workers)
    answered = np.zeros(n_workers)
    np.add.at(correct, rows[:, 1], posterior[rows[:, 0], rows[:, 2]])
    np.add.at(answered, rows[:, 1], 1.0)
    return _ratio(correct, answered, empty=np.nan)


def _consensus(posterior: FloatArray, answered: NDArray[np.bool_]) -> IntArray:
    # argmax returns the first maximum: the lowest class index wins a tie.
    return np.where(answered, posterior.argmax(axis=1), -1).astype(np.int64)


@dataclass(frozen=True)
class WorkerScores:
    """Per worker: answers scored against a reference, overall and on gold units.

    ``accuracy`` is the share of the worker's answers equal to the unit's
    reference (NaN without answers); ``gold_accuracy`` the same over gold
    units only (NaN without gold answers); ``gold_chance`` the share a
    guesser would reach on the worker's gold units (one over the number of
    choices, averaged).
    """

    answers: IntArray
    accuracy: FloatArray
    gold_answers: IntArray
    gold_accuracy: FloatArray
    gold_chance: FloatArray


def worker_scores(
    labels: IntArray,
    *,
    reference: IntArray,
    is_gold: NDArray[np.bool_],
    n_choices: IntArray,
    n_workers: int,
) -> WorkerScores:
    """Score each worker's answers against ``reference[u]`` (the gold answer or consensus).

    ``is_gold[u]`` marks gold units and ``n_choices[u]`` how many answers
    unit ``u`` offers.
    """
    rows = np.asarray(labels, dtype=np.int64).reshape(-1, 3)
    units, workers = rows[:, 0], rows[:, 1]
    correct = (np.asarray(reference)[units] == rows[:, 2]).astype(np.float64)
    gold = np.asarray(is_gold, dtype=bool)[units]

    answers = np.bincount(workers, minlength=n_workers)
    hits = np.bincount(workers, weights=correct, minlength=n_workers)
    gold_answers = np.bincount(workers[gold], minlength=n_workers)
    gold_hits = np.bincount(workers[gold], weights=correct[gold], minlength=n_workers)
    guess = 1.0 / np.asarray(n_choices, dtype=np.float64)[units[gold]]
    gold_guess = np.bincount(workers[gold], weights=guess, minlength=n_workers)

    return WorkerScores(
        answers=answers.astype(np.int64),
        accuracy=_ratio(hits, answers, empty=np.nan),
        gold_answers=gold_answers.astype(np.int64),
        gold_accuracy=_ratio(gold_hits, gold_answers, empty=np.nan),
        gold_chance=_ratio(gold_guess, gold_answers, empty=np.nan),
    )


def careless_workers(
    scores: WorkerScores, *, min_gold_answers: int, margin: float
) -> NDArray[np.bool_]:
    """Workers whose answers are too close to guessing, once gold has tested them.

    A worker is judged after answering at least ``min_gold_answers`` gold
    units, on every answer: against the gold answer where there is one, else
    against the consensus (``scores.accuracy``). Flagged below ``chance +
    margin * (1 - chance)``: with three choices and a margin of 0.25, below
    50%; with two, below 62.5% (relative to chance, because 50% is careless on
    a yes/no question but not on five choices). Scoring on gold alone would
    rest on a dozen answers per worker, where a 0.6 and a 0.35 worker overlap:
    in a simulation over 300 seeds gold alone flagged exactly the careless
    worker 62% of the time, gold plus consensus 99%.
    """
    bar = scores.gold_chance + margin * (1.0 - scores.gold_chance)
    enough = scores.gold_answers >= min_gold_answers
    below = np.less(scores.accuracy, bar, where=enough, out=np.zeros(len(bar), dtype=bool))
    return enough & below


def majority_vote(
    labels: IntArray,
    *,
    n_classes: int,
    n_units: int | None = None,
    n_workers: int | None = None,
    allowed: NDArray[np.bool_] | None = None,
    smoothing: float = 0.01,
) -> Aggregate:
    """Each unit takes its most frequent answer; workers are scored against it.

    The posterior is the hard consensus (one-hot), so a worker's accuracy is
    the share of their answers that agree with the majority.
    """
    rows, n_units, n_workers = _shape(labels, n_units, n_workers)
    mask = _allowed_mask(allowed, n_units, n_classes)
    share = _vote_share(rows, mask)
    answered = share.sum(axis=1) > 0
    consensus = _consensus(share, answered)
    hard = np.zeros_like(share)
    hard[answered, consensus[answered]] = 1.0
    return Aggregate(
        consensus=consensus,
        posterior=hard,
        confusion=_confusion(rows, hard, n_workers, smoothing),
        worker_accuracy=_accuracy(rows, hard, n_workers),
        iterations=0,
    )


def dawid_skene(
    labels: IntArray,
    *,
    n_classes: int,
    n_units: int | None = None,
    n_workers: int | None = None,
    allowed: NDArray[np.bool_] | None = None,
    known: dict[int, int] | None = None,
    iterations: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.01,
) -> Aggregate:
    """Dawid and Skene's EM: each worker's confusion matrix and each unit's class.

    Starts from the majority vote's shares (and ``known`` answers, the gold
    units, held fixed throughout), then alternates: estimate the class prior
    and every worker's confusion matrix from the current posteriors (with
    ``smoothing`` added to each count so that no probability is zero), then
    the posteriors from them. Stops after ``iterations`` rounds or when no
    posterior moves by more than ``tol``. ``allowed[u, k]`` False keeps class
    ``k`` out of unit ``u``.
    """
    rows, n_units, n_workers = _shape(labels, n_units, n_workers)
    mask = _allowed_mask(allowed, n_units, n_classes)
    posterior = _clamp(_vote_share(rows, mask), known)
    answered = posterior.sum(axis=1) > 0
    log_mask = np.log(np.where(mask > 0, 1.0, np.finfo(np.float64).tiny))

    rounds = 0
    while rounds < iterations:
        rounds += 1
        # M-step: the class prior and the workers' confusion matrices.
        prior = posterior[answered].sum(axis=0) + smoothing
        prior /= prior.sum()
        confusion = _confusion(rows, posterior, n_workers, smoothing)

        # E-step: log P(class) + sum over the unit's answers of log P(answer | class).
        log_post = np.tile(np.log(prior), (n_units, 1)) + log_mask
        np.add.at(log_post, rows[:, 0], np.log(confusion[rows[:, 1], :, rows[:, 2]]))
        log_post -= log_post.max(axis=1, keepdims=True)
        updated = np.exp(log_post)
        updated /= updated.sum(axis=1, keepdims=True)
        updated[~answered] = 0.0
        updated = _clamp(updated, known)

        moved = float(np.abs(updated - posterior).max()) if n_units else 0.0
        posterior = updated
        if moved < tol:
            break

    return Aggregate(
        consensus=_consensus(posterior, answered),
        posterior=posterior,
        confusion=_confusion(rows, posterior, n_workers, smoothing),
        worker_accuracy=_accuracy(rows, posterior, n_workers),
        iterations=rounds,
    )
