"""``tsunagu bench matching``: top 20 workers for a job, against a brute-force scan.

What it measures, all in one process and one run:

* ``index.build_seconds``: ``skill_index_build`` over ``--workers``
  synthetic workers (``tsunagu.matching.synthetic``: ``--skills-per-worker``
  skills each out of ``--skills``, Zipf-like popularity, seeded).
  ``index.peak_mb`` is tracemalloc's peak of traced memory during the build
  (numpy and scipy allocate their arrays through traced allocators; the
  input arrays, allocated before, are not counted); ``index.bytes_mb`` is
  what the built index holds; ``maxrss_mb`` is the process's peak resident
  size (``resource.getrusage``), synthetic data included.
* ``engine_ms``: ``top_workers`` (candidates, exact hand-weighted scores,
  top 20, reasons built) for each of ``--jobs`` synthetic jobs with 1-4
  required skills and random filters; p50 and p99 after a warm-up.
* ``brute_force_ms``: for the same jobs, the memory-bandwidth floor the
  issue defines: the float32 CSR worker x skill matrix times the job's
  skill vector (scipy's ``csr_matvec``, which runs on one thread: scipy's
  sparse kernels are not threaded and no BLAS is involved), then
  ``argpartition`` for the top 20 (numpy, one thread). No filters and no
  reasons: it is a floor, not an equivalent ranking.
* ``ratio``: engine over brute force, at p50 and at p99.
* ``recall_at_k``: mean share of the exact ranking's top 20
  (``top_workers_exact``: every holder of a required skill scored) that the
  engine returns, over the first ``--recall-jobs`` jobs.

The engine runs single-threaded too (numpy element-wise work and sorts).
"""

import resource
import sys
import time
import tracemalloc
from typing import Any

import numpy as np
from django.core.management.base import CommandParser

from tsunagu.bench.registry import Progress
from tsunagu.matching.engine.index import SkillIndex, skill_index_build
from tsunagu.matching.engine.score import JobQuery
from tsunagu.matching.engine.topk import DEFAULT_PER_SKILL_CAP, top_workers, top_workers_exact
from tsunagu.matching.synthetic import jobs_synthetic, workers_synthetic

help = "Top 20 workers for a job over N synthetic workers, against a brute-force CSR scan."

K = 20
TARGET_P50_MS = 5.0
TARGET_P99_MS = 20.0
TARGET_RATIO = 0.4
WARM_UP_JOBS = 5


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--workers", type=int, default=100_000, help="Synthetic workers.")
    parser.add_argument("--jobs", type=int, default=200, help="Jobs timed (default 200).")
    parser.add_argument("--skills", type=int, default=500, help="Skills in the taxonomy.")
    parser.add_argument("--skills-per-worker", type=int, default=20)
    parser.add_argument("--zipf", type=float, default=1.0, help="Skill popularity exponent.")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--per-skill-cap", type=int, default=DEFAULT_PER_SKILL_CAP)
    parser.add_argument(
        "--recall-jobs", type=int, default=50, help="Jobs also ranked exactly, for recall."
    )


def run(options: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run the bench; the returned dict is what the command prints as JSON."""
    n_workers = options["workers"]
    cap = options["per_skill_cap"]

    progress(f"drawing {n_workers} synthetic workers")
    started = time.perf_counter()
    workers = workers_synthetic(
        n_workers,
        n_skills=options["skills"],
        skills_per_worker=options["skills_per_worker"],
        exponent=options["zipf"],
        seed=options["seed"],
    )
    jobs = jobs_synthetic(
        options["jobs"],
        n_skills=options["skills"],
        exponent=options["zipf"],
        seed=options["seed"] + 1,
    )
    synthetic_seconds = time.perf_counter() - started

    progress("building the index")
    tracemalloc.start()
    started = time.perf_counter()
    index = skill_index_build(workers)
    build_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del workers

    progress(f"timing {len(jobs)} jobs: engine, then brute force")
    for job in jobs[:WARM_UP_JOBS]:
        top_workers(index, job, k=K, per_skill_cap=cap)
        _brute_force(index, job)
    engine, candidates, capped = [], [], 0
    for job in jobs:
        started = time.perf_counter()
        ranking = top_workers(index, job, k=K, per_skill_cap=cap)
        engine.append(time.perf_counter() - started)
        candidates.append(ranking.candidates)
        capped += ranking.capped
    brute = []
    for job in jobs:
        started = time.perf_counter()
        _brute_force(index, job)
        brute.append(time.perf_counter() - started)

    progress(f"recall against the exact ranking over {options['recall_jobs']} jobs")
    recall, exact_times = _recall(index, jobs[: options["recall_jobs"]], cap)

    engine_ms = _percentiles(engine)
    brute_ms = _percentiles(brute)
    ratio = {
        "p50": round(engine_ms["p50"] / brute_ms["p50"], 3),
        "p99": round(engine_ms["p99"] / brute_ms["p99"], 3),
    }
    met = {
        "p50": engine_ms["p50"] <= TARGET_P50_MS,
        "p99": engine_ms["p99"] <= TARGET_P99_MS,
        "ratio": max(ratio.values()) <= TARGET_RATIO,
    }
    return {
        "bench": "matching",
        "workers": n_workers,
        "skills": options["skills"],
        "skills_per_worker": options["skills_per_worker"],
        "zipf": options["zipf"],
        "seed": options["seed"],
        "jobs": len(jobs),
        "k": K,
        "per_skill_cap": cap,
        "synthetic_seconds": round(synthetic_seconds, 3),
        "index": {
            "build_seconds": round(build_seconds, 3),
            "peak_mb": round(peak / 2**20, 1),
            "bytes_mb": round(index.nbytes() / 2**20, 1),
            "memory": "tracemalloc peak during the build",
        },
        "maxrss_mb": round(_maxrss_bytes() / 2**20, 1),
        "engine_ms": engine_ms,
        "brute_force_ms": brute_ms,
        "exact_ms": _percentiles(exact_times) if exact_times else None,
        "ratio": ratio,
        "candidates": {
            "p50": int(np.percentile(candidates, 50)) if candidates else 0,
            "max": max(candidates, default=0),
        },
        "capped_share": round(capped / len(jobs), 3) if jobs else 0.0,
        "recall_at_k": recall,
        "threads": 1,
        "targets": {
            "p50_ms": TARGET_P50_MS,
            "p99_ms": TARGET_P99_MS,
            "ratio": TARGET_RATIO,
            "met": met,
            "all_met": all(met.values()),
        },
    }


def _brute_force(index: SkillIndex, job: JobQuery) -> np.ndarray:
    """The floor: CSR x job skill vector, then argpartition for the top K."""
    vector = np.zeros(index.n_skills, dtype=np.float32)
    vector[list(job.required)] = 1.0
    scores = index.matrix @ vector
    top: np.ndarray = np.argpartition(scores, len(scores) - K)[-K:]
    return top


def _recall(index: SkillIndex, jobs: list[JobQuery], cap: int) -> tuple[float | None, list[float]]:
    shares, times = [], []
    for job in jobs:
        started = time.perf_counter()
        exact = top_workers_exact(index, job, k=K, explain=False)
        times.append(time.perf_counter() - started)
        if len(exact.workers) == 0:
            continue
        found = top_workers(index, job, k=K, per_skill_cap=cap, explain=False)
        shares.append(len(np.intersect1d(exact.workers, found.workers)) / len(exact.workers))
    return (round(float(np.mean(shares)), 4) if shares else None), times


def _percentiles(seconds: list[float]) -> dict[str, float]:
    values = np.asarray(seconds) * 1000
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p99": round(float(np.percentile(values, 99)), 3),
        "mean": round(float(values.mean()), 3),
        "max": round(float(values.max()), 3),
    }


def _maxrss_bytes() -> int:
    # Linux reports kilobytes, macOS bytes.
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(usage if sys.platform == "darwin" else usage * 1024)
