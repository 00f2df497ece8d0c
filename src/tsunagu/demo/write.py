"""Write a drawn market into the database with bulk inserts.

The rows are those the services would have left: statuses, counters and
proven skills are as ``tsunagu.work.services`` keeps them. Rows go in with
``bulk_create`` in chunks of ``CHUNK`` so memory stays flat whatever the
market's size; the database assigns every primary key (no sequence is left
behind on PostgreSQL) and the returned ids map array rows to table rows.
The caller holds the transaction.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from django.db import models
from numpy.typing import NDArray
from tqdm import tqdm

from tsunagu.demo.market import DemoMarket
from tsunagu.skills.models import Category, Skill

IntArray = NDArray[np.int64]
Row = TypeVar("Row", bound=models.Model)

CHUNK = 2000
TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Clock:
    """Turns the market's days into times: day ``horizon`` is ``now``."""

    now: datetime
    horizon: float

    def at(self, day: float) -> datetime:
        return self.now - timedelta(days=self.horizon - day)

    def maybe(self, day: float) -> datetime | None:
        """The time of ``day``, or None for NaN (not happened)."""
        return None if day != day else self.at(day)

    def date(self, day: float) -> date:
        """The calendar day in Tokyo, as due dates are agreed."""
        return self.at(day).astimezone(TOKYO).date()


def _none() -> IntArray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class Ids:
    """Database ids of the market's rows, by array index; -1 where none.

    Each array is filled by the stage that writes its table, before any
    later stage reads it.
    """

    operator: int = -1
    worker_user: IntArray = field(default_factory=_none)
    client_user: IntArray = field(default_factory=_none)
    organization: IntArray = field(default_factory=_none)
    job: IntArray = field(default_factory=_none)
    batch: IntArray = field(default_factory=_none)  # by job index
    competition: IntArray = field(default_factory=_none)  # by job index
    proposal: IntArray = field(default_factory=_none)
    invitation: IntArray = field(default_factory=_none)
    contract: IntArray = field(default_factory=_none)


class Writer:
    """Shared state of one write: the market, the clock, ids, progress bars."""

    def __init__(self, market: DemoMarket, clock: Clock, *, progress: bool) -> None:
        self.market = market
        self.clock = clock
        self.progress = progress
        self.ids = Ids()
        self.skill_pk = _pks_by_slug(Skill, market.catalog.skill_slugs)
        self.category_pk = _pks_by_slug(Category, market.catalog.category_slugs)

    def insert(
        self,
        model: type[Row],
        count: int,
        build: Callable[[int, int], Iterator[Row]],
        label: str | None = None,
    ) -> IntArray:
        """Insert ``count`` rows made by ``build(start, stop)`` chunk by chunk.

        Returns the new primary keys in the order the rows were built. The
        progress bar (on stderr) is labelled with ``label`` or the model name.
        """
        ids = np.empty(count, dtype=np.int64)
        desc = label or model.__name__
        with tqdm(total=count, desc=desc, unit="row", disable=not self.progress) as bar:
            for start in range(0, count, CHUNK):
                stop = min(count, start + CHUNK)
                rows = model._default_manager.bulk_create(list(build(start, stop)))
                ids[start:stop] = [row.pk for row in rows]
                bar.update(stop - start)
        return ids


def _pks_by_slug(model: type[Category] | type[Skill], slugs: tuple[str, ...]) -> IntArray:
    """Primary keys in catalog order; the taxonomy migration loaded every slug."""
    found = dict(model.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise LookupError(f"taxonomy not loaded (missing {missing[:3]}); run tsunagu migrate")
    return np.array([found[slug] for slug in slugs], dtype=np.int64)
