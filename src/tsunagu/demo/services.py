"""Build the demo market: draw it, write it in one transaction, write the truth.

The draw is pure numpy (``tsunagu.demo.market``); the rows go in with bulk
inserts (``tsunagu.demo.write``); the ground truth goes to a JSON file only
after the transaction commits, so a failed build leaves neither.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from tsunagu.accounts.models import User
from tsunagu.demo.market import market_draw
from tsunagu.demo.money import MoneyAdded, demo_money_add
from tsunagu.demo.truth import truth_document, truth_write
from tsunagu.demo.write import Clock, Ids, Writer
from tsunagu.demo.write_deals import deals_write
from tsunagu.demo.write_jobs import jobs_write
from tsunagu.demo.write_people import (
    OPERATOR_EMAIL,
    SHOWCASE_CLIENT_EMAIL,
    SHOWCASE_WORKER_EMAIL,
    people_write,
)
from tsunagu.errors import Conflict

logger = logging.getLogger(__name__)

TRUTH_FILE_NAME = "demo-truth.json"


@dataclass(frozen=True)
class DemoSize:
    workers: int
    clients: int
    months: int
    seed: int


@dataclass(frozen=True)
class DemoBuilt:
    truth_path: Path
    users: int
    jobs: int
    contracts: int
    ids: Ids
    money: MoneyAdded


def default_truth_path() -> Path:
    return Path(settings.DATA_DIR) / TRUTH_FILE_NAME


def demo_market_build(
    *, size: DemoSize, now: datetime, truth_path: Path | None = None, progress: bool = False
) -> DemoBuilt:
    """Draw the market of ``size`` and write it as of ``now``.

    One transaction holds every bulk-written row; every demo user's password
    is ``settings.TSUNAGU_DEMO_PASSWORD``, hashed once. The truth file is
    written after the commit (atomically replacing an older one); then the
    active contracts are carried forward through the services, each step its
    own transaction (``tsunagu.demo.money``). Refuses with
    ``demo_exists`` (409) when the demo accounts are already there.
    """
    if User.objects.filter(email=SHOWCASE_WORKER_EMAIL).exists():
        raise Conflict("The demo market is already loaded.", code="demo_exists")
    market = market_draw(
        seed=size.seed, n_workers=size.workers, n_clients=size.clients, months=size.months
    )
    password_hash = make_password(settings.TSUNAGU_DEMO_PASSWORD)

    with transaction.atomic():
        writer = Writer(market, Clock(now=now, horizon=market.horizon), progress=progress)
        people_write(writer, password_hash)
        jobs_write(writer)
        deals_write(writer)

    ids = writer.ids
    path = truth_path or default_truth_path()
    document = truth_document(
        market, now=now, worker_user=ids.worker_user, client_user=ids.client_user
    )
    truth_write(document, path)
    money = demo_money_add(seed=size.seed, now=now, progress=progress)
    logger.info("demo market built", extra={"seed": size.seed, "workers": size.workers})
    return DemoBuilt(
        truth_path=path,
        users=1 + len(market.workers) + market.clients.n_accounts,
        jobs=len(market.jobs),
        contracts=len(market.times),
        ids=ids,
        money=money,
    )


def demo_accounts() -> list[tuple[str, str]]:
    """The sign-in accounts worth printing: (role, email)."""
    return [
        ("operator (admin)", OPERATOR_EMAIL),
        ("client", SHOWCASE_CLIENT_EMAIL),
        ("worker", SHOWCASE_WORKER_EMAIL),
    ]
