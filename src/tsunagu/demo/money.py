"""The demo market's money and order states, made through the real services.

After the bulk build, the active contracts are carried forward the way their
parties would: clients pay for milestones (card, bank transfer confirmed by
the operator, monthly invoice), workers deliver, clients approve or ask for
revisions, an operator cancels one, workers withdraw part of their balance,
and open single-winner competitions get their prize paid in advance.
Everything goes through ``tsunagu.work.escrow``, ``tsunagu.payments`` and
``tsunagu.process``, so the ledger is what those services make of it and
``tsunagu check-ledger`` holds.

One shortcut: deliveries meant to be past their review window are moved back
in time after they are made (a service only delivers "now"), so that the
sweep has overdue work in a fresh demo.

The past (completed contracts written in bulk) stays without ledger entries.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from tqdm import tqdm

from tsunagu.accounts.models import User
from tsunagu.demo.write_people import OPERATOR_EMAIL, SHOWCASE_CLIENT_EMAIL
from tsunagu.payments import funding
from tsunagu.payments import services as ledger
from tsunagu.payments.models import Account, AccountKind, PaymentMethod
from tsunagu.process import services as process
from tsunagu.process.models import Delivery
from tsunagu.work import escrow
from tsunagu.work.models import Competition, Contract, JobStatus, Milestone, MilestoneStatus

logger = logging.getLogger(__name__)

# What becomes of an active contract's first milestone, with its weight.
OUTCOMES: tuple[tuple[str, float], ...] = (
    ("unpaid", 0.12),
    ("transfer_pending", 0.08),
    ("in_progress", 0.22),
    ("awaiting_review", 0.18),
    ("review_overdue", 0.08),
    ("revision", 0.07),
    ("approved", 0.23),
    ("cancelled", 0.02),
)
# The showcase client sees one of each of these first.
SHOWCASE_OUTCOMES = ("awaiting_review", "in_progress", "transfer_pending", "approved")
OVERDUE_BY = timedelta(days=16)
DEMO_CARD = "tok_demo"  # a token the test card gateway accepts
DELIVERY_NOTE = "ご依頼の作業が完了しましたので納品いたします。ご確認をお願いいたします。"


@dataclass(frozen=True)
class MoneyAdded:
    outcomes: dict[str, int]
    prizes_funded: int
    withdrawals: int


def demo_money_add(*, seed: int, now: datetime, progress: bool = False) -> MoneyAdded:
    """Carry the active contracts forward through the services; see the module doc."""
    rng = np.random.default_rng([seed, 7])
    operator = User.objects.get(email=OPERATOR_EMAIL)
    contracts = list(
        Contract.objects.filter(status="active")
        .select_related("client", "worker", "organization")
        .order_by("pk")
    )
    contracts.sort(key=lambda contract: contract.client.email != SHOWCASE_CLIENT_EMAIL)

    outcomes: Counter[str] = Counter()
    names = [name for name, _weight in OUTCOMES]
    weights = np.array([weight for _name, weight in OUTCOMES])
    showcase_left = list(SHOWCASE_OUTCOMES)
    for contract in tqdm(contracts, desc="money", unit="contract", disable=not progress):
        milestone = contract.milestones.filter(status=MilestoneStatus.PENDING).first()
        if milestone is None:
            continue
        if contract.client.email == SHOWCASE_CLIENT_EMAIL and showcase_left:
            outcome = showcase_left.pop(0)
        else:
            outcome = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        _carry(milestone, outcome, operator=operator, rng=rng, now=now)
        outcomes[outcome] += 1

    prizes = _prizes_fund(rng)
    withdrawals = _withdrawals(rng)
    logger.info("demo money added", extra={"outcomes": dict(outcomes), "prizes": prizes})
    return MoneyAdded(outcomes=dict(outcomes), prizes_funded=prizes, withdrawals=withdrawals)


def _carry(
    milestone: Milestone,
    outcome: str,
    *,
    operator: User,
    rng: np.random.Generator,
    now: datetime,
) -> None:
    contract = milestone.contract
    client, worker = contract.client, contract.worker
    if outcome == "unpaid":
        return
    if outcome == "transfer_pending":
        escrow.milestone_fund(milestone=milestone, by=client, method=PaymentMethod.BANK_TRANSFER)
        return

    _pay(milestone, client=client, operator=operator, rng=rng)
    if outcome == "in_progress":
        return
    if outcome == "cancelled":
        escrow.milestone_cancel(milestone=milestone, by=operator)
        return

    delivery = process.delivery_submit(
        milestone=milestone, by=worker, message=DELIVERY_NOTE, files=[_delivery_file()]
    )
    if outcome == "review_overdue":
        submitted = now - OVERDUE_BY
        Delivery.objects.filter(pk=delivery.pk).update(
            submitted_at=submitted, review_due_at=submitted + timedelta(days=14)
        )
    elif outcome == "revision":
        process.delivery_revision_request(
            delivery=delivery, by=client, reason="表の見出しを日本語に揃えてください。"
        )
    elif outcome == "approved":
        process.delivery_approve(delivery=delivery, by=client)


def _pay(milestone: Milestone, *, client: User, operator: User, rng: np.random.Generator) -> None:
    """Pay by invoice (some organizations), a confirmed bank transfer, or card."""
    draw = rng.random()
    if milestone.contract.organization_id is not None and draw < 0.4:
        escrow.milestone_fund(milestone=milestone, by=client, method=PaymentMethod.INVOICE)
    elif draw < 0.6:
        payment = escrow.milestone_fund(
            milestone=milestone, by=client, method=PaymentMethod.BANK_TRANSFER
        )
        funding.payment_deposit_confirm(payment=payment, by=operator)
    else:
        escrow.milestone_fund(
            milestone=milestone, by=client, method=PaymentMethod.CARD, card_token=DEMO_CARD
        )


def _delivery_file() -> SimpleUploadedFile:
    text = "納品物一覧\n- 作業報告書\n- 成果物ファイル一式\n"
    return SimpleUploadedFile("納品物.txt", text.encode("utf-8"), content_type="text/plain")


def _prizes_fund(rng: np.random.Generator) -> int:
    """Half the open single-winner competitions pay their prize in advance."""
    funded = 0
    open_competitions = Competition.objects.filter(
        job__status=JobStatus.OPEN, winner_count=1, awarded_at__isnull=True
    ).select_related("job__client")
    for competition in open_competitions.order_by("pk"):
        if rng.random() < 0.5:
            escrow.competition_fund(
                job=competition.job,
                by=competition.job.client,
                method=PaymentMethod.CARD,
                card_token=DEMO_CARD,
            )
            funded += 1
    return funded


def _withdrawals(rng: np.random.Generator) -> int:
    """Some workers with money withdraw part of it."""
    made = 0
    balances = Account.objects.filter(kind=AccountKind.WORKER_BALANCE, balance__gte=5_000).order_by(
        "pk"
    )
    for account in balances:
        if rng.random() < 0.5:
            amount = int(account.balance // 2)
            ledger.balance_withdraw(
                worker_reference=account.reference,
                amount_yen=amount,
                dedupe_key=f"demo:withdraw:{account.reference}",
            )
            made += 1
    # TODO(#3): request demo payouts through the payout service and bank accounts.
    return made
