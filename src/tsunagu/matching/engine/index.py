"""The skill index: workers as arrays, and per skill its holders best first.

``skill_index_build`` takes plain arrays (one row per worker-skill pair and
one entry per worker for the features) and returns a ``SkillIndex``:

* ``matrix``: worker x skill levels, a float32 CSR matrix (the exact scan and
  the benchmark's brute-force floor use it);
* per skill, its holders sorted by worker id (``column_*``: the CSC of the
  same matrix), so that a worker's level in a skill is a binary search;
* per skill, its holders sorted best first (``ranked_*``): level descending,
  then the job-independent part of the likelihood score (rating and hours)
  descending, then worker id ascending. Next to each entry sit the worker's
  compact filter columns (prefecture, verified and language bits, rating
  tenths, hours), so that walking a list under filters reads contiguous
  memory instead of gathering per worker.

Everything here is numpy and scipy; no Django. The build is vectorised: one
COO-to-CSR conversion, one CSR-to-CSC conversion and one sort of packed
64-bit keys.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from tsunagu.matching.engine.weights import HandWeights, static_likelihood

# Bits of the packed ``flags`` column.
VERIFIED_BIT = 1
# Language bits start here; bit ``LANGUAGE_SHIFT + i`` is language ``i``.
LANGUAGE_SHIFT = 1
MAX_LANGUAGES = 7

# Ranking key within a skill: (5 - level) * QUALITY_STEPS + (QUALITY_STEPS - 1 - q),
# which fits 16 bits for levels 1-5.
QUALITY_STEPS = 13_107
MAX_WORKERS = 2**32 - 1
MAX_SKILLS = 2**16 - 1

# Highest separate bucket of category history counts.
HISTORY_TOP = 5

# Rating stored in tenths; 0 means "no rating yet".
UNRATED = 0


@dataclass(frozen=True)
class WorkerArrays:
    """The engine's input: what selectors make of the database.

    Skills come as parallel ``skill_worker`` / ``skill_id`` / ``skill_level``
    arrays (one entry per pair, levels 1-5, any order, no duplicates).
    Per-worker arrays are indexed by worker position 0..n-1:
    ``rating`` (mean 1-5, NaN before the first review), ``rate_yen``
    (expected hourly rate in integer yen, 0 if not stated), ``hours``
    (hours a week available), ``prefecture`` (0 unknown, 1-47 JIS code),
    ``verified`` (identity verified), ``languages`` (bit i: speaks language
    i) and ``category_done`` (n x categories, completed contracts per
    category).
    """

    n_skills: int
    skill_worker: NDArray[np.integer]
    skill_id: NDArray[np.integer]
    skill_level: NDArray[np.integer]
    rating: NDArray[np.floating]
    rate_yen: NDArray[np.integer]
    hours: NDArray[np.integer]
    prefecture: NDArray[np.integer]
    verified: NDArray[np.bool_]
    languages: NDArray[np.integer]
    category_done: NDArray[np.integer]

    @property
    def n_workers(self) -> int:
        return len(self.rating)


@dataclass(frozen=True)
class SkillIndex:
    """Arrays ready for candidate generation and scoring; read-only once built."""

    n_workers: int
    n_skills: int
    matrix: sp.csr_matrix
    column_indptr: NDArray[np.int64]
    column_workers: NDArray[np.int32]
    column_levels: NDArray[np.int8]
    ranked_workers: NDArray[np.int32]
    ranked_levels: NDArray[np.int8]
    ranked_prefecture: NDArray[np.int8]
    ranked_flags: NDArray[np.uint8]
    ranked_rating: NDArray[np.uint8]
    ranked_hours: NDArray[np.uint8]
    rating_tenths: NDArray[np.uint8]
    rate_yen: NDArray[np.int32]
    hours: NDArray[np.uint8]
    prefecture: NDArray[np.int8]
    flags: NDArray[np.uint8]
    category_done: NDArray[np.uint16]
    static: NDArray[np.float32]
    # Per category, the workers with completed contracts there, best first:
    # min(done, history_cap) descending, then static quality, then worker.
    # Bucket ``b`` is ``category * top + (top - count)`` with ``top`` =
    # ``category_top``; ``ranked_indptr`` likewise splits the ranked lists
    # into buckets ``skill * 5 + (5 - level)``.
    category_top: int
    category_indptr: NDArray[np.int64]
    category_workers: NDArray[np.int32]
    ranked_indptr: NDArray[np.int64]

    def nbytes(self) -> int:
        """Bytes held by the index's arrays (the CSR matrix included)."""
        total = self.matrix.data.nbytes + self.matrix.indices.nbytes
        total += self.matrix.indptr.nbytes
        for name, value in vars(self).items():
            if name != "matrix" and isinstance(value, np.ndarray):
                total += value.nbytes
        return int(total)


def skill_index_build(workers: WorkerArrays, *, weights: HandWeights | None = None) -> SkillIndex:
    """Build the index. Raises ``ValueError`` on out-of-range input."""
    weights = weights or HandWeights()
    n = workers.n_workers
    if n > MAX_WORKERS or workers.n_skills > MAX_SKILLS:
        raise ValueError("too many workers or skills for the packed ranking key")
    levels = np.asarray(workers.skill_level)
    if len(levels) and (levels.min() < 1 or levels.max() > 5):
        raise ValueError("skill levels must be 1-5")

    # Per-worker features in compact types.
    rating = np.asarray(workers.rating, dtype=np.float64)
    rating_tenths = np.where(np.isnan(rating), UNRATED, np.rint(rating * 10)).astype(np.uint8)
    hours = np.clip(np.asarray(workers.hours), 0, 255).astype(np.uint8)
    prefecture = np.asarray(workers.prefecture).astype(np.int8)
    languages = np.asarray(workers.languages).astype(np.uint8) & ((1 << MAX_LANGUAGES) - 1)
    flags: NDArray[np.uint8] = np.asarray(workers.verified).astype(np.uint8)  # VERIFIED_BIT is 1
    flags |= (languages << LANGUAGE_SHIFT).astype(np.uint8)
    static = static_likelihood(rating_tenths, hours, weights).astype(np.float32)

    # Worker x skill levels: CSR for scans, CSC for "level of w in s" look-ups.
    matrix = sp.csr_matrix(
        (
            levels.astype(np.float32),
            (np.asarray(workers.skill_worker), np.asarray(workers.skill_id)),
        ),
        shape=(n, workers.n_skills),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    columns = matrix.tocsc()
    columns.sort_indices()
    column_workers = columns.indices.astype(np.int32)
    column_levels = columns.data.astype(np.int8)
    column_indptr = columns.indptr.astype(np.int64)

    # Holders best first: sort packed keys (skill, rank within skill, worker).
    skill_of_entry = np.repeat(np.arange(workers.n_skills, dtype=np.uint64), np.diff(column_indptr))
    quality = static_quality(static[column_workers])
    rank = (5 - column_levels.astype(np.uint64)) * QUALITY_STEPS + (QUALITY_STEPS - 1 - quality)
    keys = (skill_of_entry << np.uint64(48)) | (rank << np.uint64(32))
    keys |= column_workers.astype(np.uint64)
    keys.sort()
    ranked_workers = (keys & np.uint64(MAX_WORKERS)).astype(np.int32)
    ranked_levels = (5 - ((keys >> np.uint64(32)) & np.uint64(0xFFFF)) // QUALITY_STEPS).astype(
        np.int8
    )
    ranked_indptr = _bucket_indptr(
        (keys >> np.uint64(48)).astype(np.int64) * 5 + (5 - ranked_levels), workers.n_skills * 5
    )
    del keys, quality, rank, skill_of_entry

    category_done = np.asarray(workers.category_done).astype(np.uint16)
    category_top = max(1, min(weights.history_cap, HISTORY_TOP))
    category_indptr, category_workers = _category_lists(category_done, static, category_top)

    return SkillIndex(
        n_workers=n,
        n_skills=workers.n_skills,
        matrix=matrix,
        column_indptr=column_indptr,
        column_workers=column_workers,
        column_levels=column_levels,
        ranked_workers=ranked_workers,
        ranked_levels=ranked_levels,
        ranked_prefecture=prefecture[ranked_workers],
        ranked_flags=flags[ranked_workers],
        ranked_rating=rating_tenths[ranked_workers],
        ranked_hours=hours[ranked_workers],
        rating_tenths=rating_tenths,
        rate_yen=np.asarray(workers.rate_yen).astype(np.int32),
        hours=hours,
        prefecture=prefecture,
        flags=flags,
        category_done=category_done,
        static=static,
        category_top=category_top,
        category_indptr=category_indptr,
        category_workers=category_workers,
        ranked_indptr=ranked_indptr,
    )


def static_quality(static: NDArray[np.float32]) -> NDArray[np.uint64]:
    """The quantised static quality that orders lists: ``floor(static * (Q - 1))``."""
    scaled = (static * (QUALITY_STEPS - 1)).astype(np.uint64)
    result: NDArray[np.uint64] = np.minimum(scaled, QUALITY_STEPS - 1)
    return result


def _bucket_indptr(bucket: NDArray[np.int64], n_buckets: int) -> NDArray[np.int64]:
    """Start of each bucket in an array sorted by ``bucket``, and the end."""
    indptr = np.zeros(n_buckets + 1, dtype=np.int64)
    np.cumsum(np.bincount(bucket, minlength=n_buckets), out=indptr[1:])
    return indptr


def _category_lists(
    category_done: NDArray[np.uint16], static: NDArray[np.float32], top: int
) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """Per category, workers with history there: capped count, then quality, descending.

    Counts are capped at ``top`` (at most ``HISTORY_TOP``, so that the rank
    fits 16 bits); the top bucket holds every count at or above it.
    """
    n_categories = category_done.shape[1] if category_done.ndim == 2 else 0
    if n_categories > MAX_SKILLS:
        raise ValueError("too many categories for the packed ranking key")
    worker, category = np.nonzero(category_done)
    counts = np.minimum(category_done[worker, category], top).astype(np.uint64)
    quality = static_quality(static[worker])
    rank = (np.uint64(top) - counts) * QUALITY_STEPS + (QUALITY_STEPS - 1 - quality)
    keys = (category.astype(np.uint64) << np.uint64(48)) | (rank << np.uint64(32))
    keys |= worker.astype(np.uint64)
    keys.sort()
    ordered = (keys & np.uint64(MAX_WORKERS)).astype(np.int32)
    below_top = (((keys >> np.uint64(32)) & np.uint64(0xFFFF)) // QUALITY_STEPS).astype(np.int64)
    bucket = (keys >> np.uint64(48)).astype(np.int64) * top + below_top
    return _bucket_indptr(bucket, n_categories * top), ordered


def worker_levels(index: SkillIndex, workers: NDArray[np.integer], skill: int) -> NDArray[np.int8]:
    """Each worker's level in ``skill``, 0 where they do not hold it."""
    start, end = index.column_indptr[skill], index.column_indptr[skill + 1]
    holders = index.column_workers[start:end]
    if len(holders) == 0:
        return np.zeros(len(workers), dtype=np.int8)
    at = np.searchsorted(holders, workers)
    at_clipped = np.minimum(at, len(holders) - 1)
    held = holders[at_clipped] == workers
    return np.where(held, index.column_levels[start:end][at_clipped], 0).astype(np.int8)
