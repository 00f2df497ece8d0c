"""The demo market's money and order states, made through the real services.

After the bulk build, the active contracts are carried forward the way their
parties would: clients pay for milestones (card, bank transfer confirmed by
the operator, monthly invoice), workers deliver, clients approve or ask for
revisions, an operator cancels one, open single-winner competitions get
their prize paid in advance, the first few open task batches are paid for
(so workers may claim their units), and workers with money register a bank account
and ask for a payout, which the operator sends, confirms or records as
failed (``_payouts``).
Everything goes through ``tsunagu.work.escrow``, ``tsunagu.payments`` and
``tsunagu.process``, so the ledger is what those services make of it and
``tsunagu check-ledger`` holds.

One shortcut: deliveries meant to be past their review window are moved back
in time after they are made (a service only delivers "now"), so that the
sweep has overdue work in a fresh demo.

The past (completed contracts written in bulk) stays without ledger entries.
"""

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from tqdm import tqdm

from tsunagu.accounts.models import User
from tsunagu.demo.names import GIVEN_NAMES
from tsunagu.demo.write_people import OPERATOR_EMAIL, SHOWCASE_CLIENT_EMAIL
from tsunagu.errors import DomainError
from tsunagu.payments import funding
from tsunagu.payments.bank_accounts import bank_account_register, bank_account_review
from tsunagu.payments.models import Account, AccountKind, PaymentMethod, Payout, PayoutStatus
from tsunagu.payments.payouts import (
    HOLD_NEW_ACCOUNT,
    payout_mark_failed,
    payout_mark_paid,
    payout_mark_sent,
    payout_request,
    payout_review,
)
from tsunagu.process import changes, disputes, task_units
from tsunagu.process import services as process
from tsunagu.process.models import ChangeKind, Delivery
from tsunagu.work import escrow
from tsunagu.work.models import (
    Competition,
    Contract,
    JobStatus,
    Milestone,
    MilestoneStatus,
    TaskBatch,
)

logger = logging.getLogger(__name__)

# What becomes of an active contract's first milestone, with its weight.
OUTCOMES: tuple[tuple[str, float], ...] = (
    ("unpaid", 0.12),
    ("transfer_pending", 0.08),
    ("in_progress", 0.20),
    ("awaiting_review", 0.17),
    ("review_overdue", 0.08),
    ("revision", 0.07),
    ("approved", 0.20),
    ("cancelled", 0.02),
    ("disputed", 0.03),
    ("change_proposed", 0.03),
)
# The showcase client sees one of each of these first.
SHOWCASE_OUTCOMES = ("awaiting_review", "in_progress", "transfer_pending", "approved")
OVERDUE_BY = timedelta(days=16)
TASK_BATCHES_FUNDED = 5
DEMO_UNITS_PER_BATCH = 12
DEMO_REDUNDANCY = 2
DEMO_CHOICES = ("家電", "食品", "衣料品")
DEMO_ITEMS = (
    ("4K対応の液晶テレビ 55インチ", "家電"),
    ("北海道産の生乳を使ったプリン", "食品"),
    ("綿100%の長袖シャツ", "衣料品"),
    ("コードレス掃除機", "家電"),
    ("有機栽培の緑茶 100g", "食品"),
    ("撥水加工のウインドブレーカー", "衣料品"),
)
DEMO_CARD = "tok_demo"  # a token the test card gateway accepts
DELIVERY_NOTE = "ご依頼の作業が完了しましたので納品いたします。ご確認をお願いいたします。"

# Payouts: workers with at least PAYOUT_FLOOR_YEN ask for half of it. The
# operator verifies the new accounts but every fifth; of the approved
# payouts, the first comes back from the bank and the others take these steps
# in turn (sent and paid, sent and not yet confirmed, waiting to be sent), so
# a small market shows each state.
PAYOUT_FLOOR_YEN = 5_000
NEW_ACCOUNT_EVERY = 5
APPROVED_STEPS = ("paid", "sent", "waiting", "paid")
PAYOUT_RETURNED = "口座名義が一致しないため、銀行から返却されました。"
# Fake but well-formed bank details: real banks' codes, made-up branches and numbers.
DEMO_BANK_CODES = ("0001", "0005", "0009", "0010", "0017", "0033")
# Readings of the commonest family names, for holder names (others fall back).
FAMILY_READINGS = {
    "佐藤": "サトウ", "鈴木": "スズキ", "高橋": "タカハシ", "田中": "タナカ", "伊藤": "イトウ",
    "渡辺": "ワタナベ", "山本": "ヤマモト", "中村": "ナカムラ", "小林": "コバヤシ",
    "加藤": "カトウ", "吉田": "ヨシダ", "山田": "ヤマダ", "佐々木": "ササキ",
    "山口": "ヤマグチ", "松本": "マツモト", "井上": "イノウエ", "木村": "キムラ", "林": "ハヤシ",
    "斎藤": "サイトウ", "清水": "シミズ",
}  # fmt: skip
FALLBACK_FAMILY = "ヤマダ"
FALLBACK_GIVEN = "ハナコ"


@dataclass(frozen=True)
class MoneyAdded:
    outcomes: dict[str, int]
    prizes_funded: int
    payouts: dict[str, int]  # by status
    batches_funded: int = 0


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
    batches = _batches_fund()
    payouts = _payouts(operator=operator)
    logger.info(
        "demo money added",
        extra={"outcomes": dict(outcomes), "prizes": prizes, "payouts": payouts},
    )
    return MoneyAdded(
        outcomes=dict(outcomes), prizes_funded=prizes, payouts=payouts, batches_funded=batches
    )


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
    if outcome == "change_proposed":
        changes.contract_change_propose(
            contract=contract,
            by=worker,
            kind=ChangeKind.CHANGE_DEADLINE,
            milestone=milestone,
            due_date=timezone.localdate(now) + timedelta(days=21),
            reason="資料の追加をいただいたため、納期を延ばしていただけますか。",
        )
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
    elif outcome == "disputed":
        disputes.dispute_open(
            milestone=milestone, by=client, reason="納品物が仕様書の範囲を満たしていません。"
        )


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


def _batches_fund() -> int:
    """The first ``TASK_BATCHES_FUNDED`` open task batches are paid for by card,
    given units (a few with gold answers), and worked on by those who joined."""
    batches = TaskBatch.objects.filter(job__status=JobStatus.OPEN).select_related("job__client")
    funded = 0
    for batch in batches.order_by("pk")[:TASK_BATCHES_FUNDED]:
        escrow.task_batch_fund(
            job=batch.job, by=batch.job.client, method=PaymentMethod.CARD, card_token=DEMO_CARD
        )
        _units_work(batch)
        funded += 1
    return funded


def _units_work(batch: TaskBatch) -> None:
    """Units to classify, each answered by two; the client reviews the first answers."""
    count = min(DEMO_UNITS_PER_BATCH, batch.unit_count // DEMO_REDUNDANCY)
    if count == 0:
        return
    specs = [
        task_units.UnitSpec(
            payload={"text": f"商品説明 No.{n + 1}: {DEMO_ITEMS[n % len(DEMO_ITEMS)][0]}"},
            choices=list(DEMO_CHOICES),
            gold_answer=DEMO_ITEMS[n % len(DEMO_ITEMS)][1] if n % 4 == 0 else None,
        )
        for n in range(count)
    ]
    task_units.task_units_add(
        batch=batch, by=batch.job.client, units=specs, redundancy=DEMO_REDUNDANCY
    )
    workers = [p.worker for p in batch.participants.select_related("worker").order_by("pk")[:3]]
    for index, worker in enumerate(workers):
        for _round in range(3):
            try:
                answer = task_units.task_unit_claim(batch=batch, worker=worker)
            except DomainError:
                break  # the cap, the qualification or the units ran out
            value = _demo_answer(answer.unit.payload["text"], careless=index == 2)
            answer = task_units.task_answer_submit(answer=answer, worker=worker, value=value)
            if index == 0:
                task_units.task_answer_review(answer=answer, by=batch.job.client, approve=True)


def _demo_answer(text: str, *, careless: bool) -> str:
    """The right category for the text, or (for a careless worker) always the first."""
    if careless:
        return DEMO_CHOICES[0]
    for item, category in DEMO_ITEMS:
        if item in text:
            return category
    return DEMO_CHOICES[0]


def _payouts(*, operator: User) -> dict[str, int]:
    """Workers with money ask for payouts, and the operator handles them; counts by status.

    Through the services: each worker with ``PAYOUT_FLOOR_YEN`` or more
    registers a bank account (``bank_account_register``), which the operator
    verifies but every fifth (``bank_account_review``); ``payout_request``
    claims half the balance. A payout to an unverified new account stays
    held for review; one held only because the worker's identity is not
    verified, the operator approves (``payout_review``). The first approved
    payout is sent and comes back (``payout_mark_failed``: the money returns
    to the balance); the others are sent and paid, sent, or left to be sent,
    in turn (``APPROVED_STEPS``).
    """
    accounts = list(
        Account.objects.filter(
            kind=AccountKind.WORKER_BALANCE, balance__gte=PAYOUT_FLOOR_YEN
        ).order_by("pk")
    )
    workers = User.objects.in_bulk(
        [int(account.reference.removeprefix("user:")) for account in accounts]
    )

    made: list[int] = []
    approved: list[Payout] = []
    for account in accounts:
        worker = workers[int(account.reference.removeprefix("user:"))]
        bank_account = bank_account_register(owner=worker, **_bank_details(worker))
        if len(made) % NEW_ACCOUNT_EVERY != NEW_ACCOUNT_EVERY - 1:
            bank_account_review(bank_account=bank_account, by=operator, verified=True)
        payout = payout_request(
            worker=worker,
            bank_account=bank_account,
            amount_yen=int(account.balance // 2),
            dedupe_key=f"demo:payout:{account.reference}",
        )
        made.append(payout.pk)
        if payout.status == PayoutStatus.HELD_FOR_REVIEW and HOLD_NEW_ACCOUNT not in (
            payout.hold_reasons.split(",")
        ):
            # Held for the worker's identity only: the operator checks and lets it go.
            payout = payout_review(payout=payout, by=operator, approve=True)
        if payout.status == PayoutStatus.APPROVED:
            approved.append(payout)

    for index, payout in enumerate(approved):
        step = APPROVED_STEPS[(index - 1) % len(APPROVED_STEPS)] if index else "failed"
        if step == "waiting":
            continue
        payout_mark_sent(payout=payout, by=operator)
        if step == "failed":
            payout_mark_failed(payout=payout, by=operator, reason=PAYOUT_RETURNED)
        elif step == "paid":
            payout_mark_paid(payout=payout, by=operator)

    return dict(Counter(Payout.objects.filter(pk__in=made).values_list("status", flat=True)))


def _bank_details(worker: User) -> dict[str, str]:
    """Well-formed, made-up details, the same for the same worker on every build.

    The holder's name is read from the demo name where the demo knows the
    reading (the given names' kana, the commonest family names); else a
    fixed katakana name stands in.
    """
    digest = int(hashlib.sha256(worker.email.encode()).hexdigest()[:15], 16)
    return {
        "bank_code": DEMO_BANK_CODES[digest % len(DEMO_BANK_CODES)],
        "branch_code": f"{100 + digest % 900:03d}",
        "account_type": "ordinary" if digest % 10 else "checking",
        "account_number": f"{digest % 10_000_000:07d}",
        "holder_name": _holder_name(worker.display_name),
    }


def _holder_name(display_name: str) -> str:
    # Demo names are "佐藤 翔太" or a nickname "みさき@動画編集".
    family, _space, given = display_name.partition(" ")
    if "@" in display_name:
        family, given = "", display_name.partition("@")[0]
    readings = {kanji: kana for kanji, kana in GIVEN_NAMES}
    given_kana = readings.get(given, given)
    if not given_kana or not all("\u3041" <= char <= "\u3096" for char in given_kana):
        return f"{FALLBACK_FAMILY}\u3000{FALLBACK_GIVEN}"
    # Hiragana to katakana: the two blocks are 0x60 code points apart.
    given_kana = "".join(chr(ord(char) + 0x60) for char in given_kana)
    return f"{FAMILY_READINGS.get(family, FALLBACK_FAMILY)}\u3000{given_kana}"
