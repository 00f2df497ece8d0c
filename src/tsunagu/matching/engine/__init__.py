"""The matching engine's core: plain arrays in and out, numpy and scipy only.

Nothing under ``engine/`` imports Django; selectors in ``tsunagu.matching``
turn the database into ``WorkerArrays`` and ``JobQuery`` values.
"""

from tsunagu.matching.engine.index import SkillIndex, WorkerArrays, skill_index_build
from tsunagu.matching.engine.score import Filters, JobQuery, Reason, ReasonCode
from tsunagu.matching.engine.topk import Ranking, top_workers, top_workers_exact
from tsunagu.matching.engine.weights import HandWeights

__all__ = [
    "Filters",
    "HandWeights",
    "JobQuery",
    "Ranking",
    "Reason",
    "ReasonCode",
    "SkillIndex",
    "WorkerArrays",
    "skill_index_build",
    "top_workers",
    "top_workers_exact",
]
