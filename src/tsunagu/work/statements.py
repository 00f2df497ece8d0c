"""Statements built from the ledger: what was paid, to whom, for what.

The ledger's release entries say how much went where; the work app knows
what each reference was (a milestone of a contract, a competition's prize).
This module joins the two, read-only:

- ``worker_statement``: a worker's month (明細): releases, payouts, the
  opening and closing balance, and the platform fee invoiced to them;
- ``worker_net_by_month``: a worker's net earnings month by month;
- ``payment_report``: a client's year per worker (支払調書): prices paid,
  consumption tax and income tax withheld;
- ``client_receipts``: what a client paid for items, with the tax in it
  and the withheld income tax returned to them;
- ``operator_report``, ``operator_reports``: the platform's month of money
  movements, fees and taxes, for operators;
- ``rows_to_csv``: any of these as CSV, for spreadsheets (Excel reads the
  UTF-8 byte-order mark as "this is UTF-8").

Months and years are Tokyo's. All amounts are whole yen.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum

from tsunagu.accounts.models import User
from tsunagu.payments.models import (
    AccountKind,
    EntryKind,
    JournalEntry,
    Payment,
    PaymentStatus,
    Posting,
)
from tsunagu.process.models import TaskAnswer
from tsunagu.work.escrow import TASK_ANSWER_KEY_PREFIX
from tsunagu.work.models import Competition, Milestone, TaskBatch

TOKYO = ZoneInfo("Asia/Tokyo")

# The entries that pay a worker for an item: a whole hold, or a task answer's
# part of its batch's hold (one line each in a statement).
RELEASE_KINDS = frozenset({EntryKind.RELEASE, EntryKind.RELEASE_PART})


@dataclass(frozen=True)
class ReleaseLine:
    """One released item, split the way the money went."""

    released_at: datetime
    reference: str
    contract_title: str
    item_title: str
    client_id: int
    client_name: str
    worker_id: int
    price_yen: int
    consumption_tax_yen: int
    fee_yen: int
    fee_tax_yen: int
    withholding_yen: int
    net_yen: int


@dataclass(frozen=True)
class PayoutLine:
    at: datetime
    amount_yen: int  # positive: sent to the bank; negative: a failed payout returned


@dataclass
class WorkerStatement:
    worker_id: int
    year: int
    month: int
    opening_balance_yen: int
    closing_balance_yen: int
    releases: list[ReleaseLine] = field(default_factory=list)
    payouts: list[PayoutLine] = field(default_factory=list)

    @property
    def fee_total_yen(self) -> int:
        return sum(line.fee_yen for line in self.releases)

    @property
    def fee_tax_total_yen(self) -> int:
        return sum(line.fee_tax_yen for line in self.releases)

    @property
    def net_total_yen(self) -> int:
        return sum(line.net_yen for line in self.releases)


@dataclass(frozen=True)
class PaymentReportLine:
    """One worker's line of a client's yearly payment report (支払調書)."""

    worker_id: int
    worker_name: str
    worker_invoice_number: str
    price_yen: int
    consumption_tax_yen: int
    withholding_yen: int


@dataclass(frozen=True)
class ReceiptLine:
    paid_at: datetime
    reference: str
    item_title: str
    method: str
    amount_yen: int
    consumption_tax_yen: int
    worker_invoice_number: str
    withholding_returned_yen: int = 0  # income tax withheld, sent back for the client to remit


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of a Tokyo month and of the next one."""
    start = datetime(year, month, 1, tzinfo=TOKYO)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TOKYO)
    return start, end


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=TOKYO), datetime(year + 1, 1, 1, tzinfo=TOKYO)


# --- a worker's month --------------------------------------------------------------


def worker_statement(*, worker: User, year: int, month: int) -> WorkerStatement:
    """The worker's releases and payouts in the month, with the balances around them."""
    start, end = month_bounds(year, month)
    account_filter = Q(
        account__kind=AccountKind.WORKER_BALANCE, account__reference=f"user:{worker.pk}"
    )
    postings = Posting.objects.filter(account_filter)

    opening = postings.filter(entry__created_at__lt=start).aggregate(total=Sum("amount"))
    closing = postings.filter(entry__created_at__lt=end).aggregate(total=Sum("amount"))
    statement = WorkerStatement(
        worker_id=worker.pk,
        year=year,
        month=month,
        opening_balance_yen=int(opening["total"] or 0),
        closing_balance_yen=int(closing["total"] or 0),
    )

    entries = JournalEntry.objects.filter(
        created_at__gte=start, created_at__lt=end, postings__in=postings
    ).distinct()
    statement.releases = release_lines(entries.filter(kind__in=sorted(RELEASE_KINDS)))
    for posting in postings.filter(
        entry__created_at__gte=start,
        entry__created_at__lt=end,
        entry__kind__in=[EntryKind.WITHDRAW, EntryKind.PAYOUT_FAILED],
    ).select_related("entry"):
        statement.payouts.append(
            PayoutLine(at=posting.entry.created_at, amount_yen=-posting.amount)
        )
    return statement


@dataclass(frozen=True)
class MonthNet:
    year: int
    month: int
    net_yen: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


@dataclass(frozen=True)
class NetByMonth:
    """A worker's net earnings per month, oldest month first."""

    months: list[MonthNet]

    @property
    def largest_yen(self) -> int:
        return max((month.net_yen for month in self.months), default=0)

    @property
    def total_yen(self) -> int:
        return sum(month.net_yen for month in self.months)


def worker_net_by_month(*, worker: User, year: int, month: int, months: int = 12) -> NetByMonth:
    """What releases credited to the worker in the ``months`` months up to ``year``-``month``.

    One query; the postings are bucketed into Tokyo months here, since
    truncating to a month in a time zone differs between SQLite and
    PostgreSQL. A worker's releases in a year are few enough to read.
    """
    index = year * 12 + month - 1
    first = index - months + 1
    start, _first_end = month_bounds(first // 12, first % 12 + 1)
    _last_start, end = month_bounds(year, month)
    totals: dict[int, int] = defaultdict(int)
    rows = Posting.objects.filter(
        account__kind=AccountKind.WORKER_BALANCE,
        account__reference=f"user:{worker.pk}",
        entry__kind__in=sorted(RELEASE_KINDS),
        entry__created_at__gte=start,
        entry__created_at__lt=end,
    ).values_list("entry__created_at", "amount")
    for created_at, amount in rows:
        local = created_at.astimezone(TOKYO)
        totals[local.year * 12 + local.month - 1] += int(amount)
    return NetByMonth(
        months=[
            MonthNet(year=at // 12, month=at % 12 + 1, net_yen=totals[at])
            for at in range(first, index + 1)
        ]
    )


# --- a client's year ----------------------------------------------------------------


def payment_report(*, client: User, year: int) -> list[PaymentReportLine]:
    """Per worker, what ``client`` paid in the calendar year (支払調書).

    Prices are without consumption tax, as the report states them; the
    withheld income tax is what the client owes the tax office.
    """
    start, end = year_bounds(year)
    entries = JournalEntry.objects.filter(
        kind__in=sorted(RELEASE_KINDS), created_at__gte=start, created_at__lt=end
    )
    lines = [line for line in release_lines(entries) if line.client_id == client.pk]

    by_worker: dict[int, list[ReleaseLine]] = defaultdict(list)
    for line in lines:
        by_worker[line.worker_id].append(line)
    workers = User.objects.select_related("worker_profile").in_bulk(list(by_worker))

    report = []
    for worker_id, worker_lines in sorted(by_worker.items()):
        worker = workers[worker_id]
        profile = getattr(worker, "worker_profile", None)
        report.append(
            PaymentReportLine(
                worker_id=worker_id,
                worker_name=worker.display_name,
                worker_invoice_number=profile.invoice_number if profile else "",
                price_yen=sum(line.price_yen for line in worker_lines),
                consumption_tax_yen=sum(line.consumption_tax_yen for line in worker_lines),
                withholding_yen=sum(line.withholding_yen for line in worker_lines),
            )
        )
    return report


def client_receipts(*, client: User, year: int, month: int) -> list[ReceiptLine]:
    """The client's completed payments in the month, with the consumption tax in each."""
    start, end = month_bounds(year, month)
    payments = Payment.objects.filter(
        payer=client,
        succeeded_at__gte=start,
        succeeded_at__lt=end,
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED],
    ).order_by("succeeded_at", "pk")
    items = _items([payment.reference for payment in payments])
    returned = _withholding_returned([payment.reference for payment in payments])

    receipts = []
    for payment in payments:
        item = items.get(payment.reference)
        assert payment.succeeded_at is not None  # filtered above
        price = (item.paid_price_yen or item.price_yen) if item else payment.amount_yen
        receipts.append(
            ReceiptLine(
                paid_at=payment.succeeded_at,
                reference=payment.reference,
                item_title=item.title if item else payment.reference,
                method=payment.method,
                amount_yen=payment.amount_yen,
                consumption_tax_yen=payment.amount_yen - price,
                worker_invoice_number=item.worker_invoice_number if item else "",
                withholding_returned_yen=returned.get(payment.reference, 0),
            )
        )
    return receipts


def _withholding_returned(references: Sequence[str]) -> dict[str, int]:
    """What ``withholding_return`` entries sent back to the client, per reference (one query)."""
    rows = (
        Posting.objects.filter(
            entry__kind=EntryKind.WITHHOLDING_RETURN,
            entry__reference__in=list(references),
            account__kind=AccountKind.EXTERNAL,
        )
        .values_list("entry__reference")
        .annotate(total=Sum("amount"))
    )
    return {reference: int(total) for reference, total in rows}


# --- the operators' month ------------------------------------------------------------


@dataclass(frozen=True)
class OperatorReport:
    """What moved through the platform in a month, by account kind.

    ``funded_yen``: clients' payments into holds; ``released_yen``: holds
    released or split to workers; ``fee_yen`` and ``fee_tax_yen``: the
    platform's revenue and the consumption tax it owes on it;
    ``withholding_yen``: income tax withheld for clients on releases and
    splits, ``withholding_returned_yen``: what went back to them to remit
    (the rest is still owed to them); ``refunded_yen``;
    ``chargeback_loss_yen``: what the provider took back, and
    ``chargeback_recovered_yen``: what workers' balances repaid of it (the
    platform absorbed the difference).
    """

    year: int
    month: int
    funded_yen: int
    released_yen: int
    refunded_yen: int
    fee_yen: int
    fee_tax_yen: int
    withholding_yen: int
    paid_out_yen: int
    chargeback_loss_yen: int
    withholding_returned_yen: int = 0
    chargeback_recovered_yen: int = 0

    @property
    def chargeback_net_loss_yen(self) -> int:
        return self.chargeback_loss_yen - self.chargeback_recovered_yen


def operator_report(*, year: int, month: int) -> OperatorReport:
    """The month's totals for the operators' fee and tax report (one query)."""
    start, end = month_bounds(year, month)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    rows = (
        Posting.objects.filter(entry__created_at__gte=start, entry__created_at__lt=end)
        .values_list("entry__kind", "account__kind")
        .annotate(total=Sum("amount"))
    )
    for entry_kind, account_kind, total in rows:
        sums[entry_kind, account_kind] += int(total)

    settled = (EntryKind.RELEASE, EntryKind.SPLIT, EntryKind.RELEASE_PART)
    return OperatorReport(
        year=year,
        month=month,
        funded_yen=sums[EntryKind.FUND, AccountKind.HOLD],
        released_yen=sum(-sums[kind, AccountKind.HOLD] for kind in settled)
        - sums[EntryKind.SPLIT, AccountKind.EXTERNAL],
        refunded_yen=-sums[EntryKind.REFUND, AccountKind.HOLD]
        - sums[EntryKind.CLOSE, AccountKind.HOLD],
        fee_yen=sum(sums[kind, AccountKind.FEE_REVENUE] for kind in settled),
        fee_tax_yen=sum(sums[kind, AccountKind.FEE_TAX] for kind in settled),
        withholding_yen=sum(sums[kind, AccountKind.WITHHOLDING_PAYABLE] for kind in settled),
        paid_out_yen=sums[EntryKind.WITHDRAW, AccountKind.PAYOUT_IN_FLIGHT]
        + sums[EntryKind.PAYOUT_FAILED, AccountKind.PAYOUT_IN_FLIGHT],
        chargeback_loss_yen=-sums[EntryKind.CHARGEBACK, AccountKind.LOSSES],
        withholding_returned_yen=-sums[
            EntryKind.WITHHOLDING_RETURN, AccountKind.WITHHOLDING_PAYABLE
        ],
        chargeback_recovered_yen=sums[EntryKind.CHARGEBACK_RECOVERY, AccountKind.LOSSES],
    )


def operator_reports(*, year: int, month: int, months: int = 12) -> list[OperatorReport]:
    """``operator_report`` for the ``months`` months up to ``year``-``month``, oldest first.

    One query per month: each sums its month in the database, where a
    year's postings would be too many to bucket here.
    """
    index = year * 12 + month - 1
    return [
        operator_report(year=at // 12, month=at % 12 + 1)
        for at in range(index - months + 1, index + 1)
    ]


# --- joining entries to items -----------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    title: str
    contract_title: str
    price_yen: int
    client_id: int
    client_name: str
    worker_id: int | None
    worker_invoice_number: str
    paid_price_yen: int | None = None  # what the payment was for, when not ``price_yen``


def release_lines(entries: Iterable[JournalEntry]) -> list[ReleaseLine]:
    """Each release entry as a ``ReleaseLine``, oldest first (4 queries in all).

    A task answer's part of its batch's hold is a line of its own, titled by
    the job and the unit's position.
    """
    entries = list(
        JournalEntry.objects.filter(pk__in=[entry.pk for entry in entries])
        .prefetch_related("postings__account")
        .order_by("created_at", "pk")
    )
    items = _items([entry.reference for entry in entries])
    positions = _task_answer_positions(entries)

    lines = []
    for entry in entries:
        item = items.get(entry.reference)
        if item is None:
            continue  # a hold that is not a work item (none yet); it has no statement line
        position = positions.get(entry.pk)
        if position is not None:
            item = replace(item, title=f"{item.title} #{position}")
        lines.append(_release_line(entry, item))
    return lines


def _task_answer_positions(entries: Sequence[JournalEntry]) -> dict[int, int]:
    """The unit position of each task answer's part, by entry, read from its key (one query)."""
    answer_of_entry = {
        entry.pk: int(entry.dedupe_key.removeprefix(TASK_ANSWER_KEY_PREFIX))
        for entry in entries
        if entry.kind == EntryKind.RELEASE_PART
        and entry.dedupe_key
        and entry.dedupe_key.startswith(TASK_ANSWER_KEY_PREFIX)
        and entry.dedupe_key.removeprefix(TASK_ANSWER_KEY_PREFIX).isdigit()
    }
    if not answer_of_entry:
        return {}
    position_of_answer = dict(
        TaskAnswer.objects.filter(pk__in=answer_of_entry.values()).values_list(
            "pk", "unit__position"
        )
    )
    return {
        entry_id: position_of_answer[answer_id]
        for entry_id, answer_id in answer_of_entry.items()
        if answer_id in position_of_answer
    }


def _release_line(entry: JournalEntry, item: _Item) -> ReleaseLine:
    parts: dict[str, int] = defaultdict(int)
    worker_id = item.worker_id
    for posting in entry.postings.all():
        parts[posting.account.kind] += posting.amount
        if posting.account.kind == AccountKind.WORKER_BALANCE:
            worker_id = int(posting.account.reference.split(":", 1)[1])
    gross = -parts[AccountKind.HOLD]
    return ReleaseLine(
        released_at=entry.created_at,
        reference=entry.reference,
        contract_title=item.contract_title,
        item_title=item.title,
        client_id=item.client_id,
        client_name=item.client_name,
        worker_id=worker_id or 0,
        price_yen=item.price_yen,
        consumption_tax_yen=gross - item.price_yen,
        fee_yen=parts[AccountKind.FEE_REVENUE],
        fee_tax_yen=parts[AccountKind.FEE_TAX],
        withholding_yen=parts[AccountKind.WITHHOLDING_PAYABLE],
        net_yen=parts[AccountKind.WORKER_BALANCE],
    )


def _items(references: Sequence[str]) -> dict[str, _Item]:
    """What each ``milestone:<id>``, ``competition:<id>:prize:<n>`` and ``task:<id>`` names."""
    ids: dict[str, list[int]] = defaultdict(list)
    prizes: dict[int, list[str]] = defaultdict(list)
    for reference in references:
        kind, _sep, rest = reference.partition(":")
        pk = rest.split(":", 1)[0]
        if pk.isdigit():
            ids[kind].append(int(pk))
            if kind == "competition":
                prizes[int(pk)].append(reference)

    items: dict[str, _Item] = {}
    milestones = Milestone.objects.filter(pk__in=ids["milestone"]).select_related(
        "contract__client", "contract__worker__worker_profile"
    )
    for milestone in milestones:
        contract = milestone.contract
        profile = getattr(contract.worker, "worker_profile", None)
        items[f"milestone:{milestone.pk}"] = _Item(
            title=milestone.title,
            contract_title=contract.title,
            price_yen=milestone.amount_yen,
            client_id=contract.client_id,
            client_name=contract.client.display_name,
            worker_id=contract.worker_id,
            worker_invoice_number=profile.invoice_number if profile else "",
        )
    for competition in Competition.objects.filter(pk__in=ids["competition"]).select_related(
        "job__client"
    ):
        for reference in prizes[competition.pk]:
            items[reference] = _Item(
                title=competition.job.title,
                contract_title=competition.job.title,
                price_yen=competition.prize_yen,
                client_id=competition.job.client_id,
                client_name=competition.job.client.display_name,
                worker_id=None,
                worker_invoice_number="",
            )
    for batch in TaskBatch.objects.filter(pk__in=ids["task"]).select_related("job__client"):
        items[f"task:{batch.pk}"] = _Item(
            title=batch.job.title,
            contract_title=batch.job.title,
            price_yen=batch.unit_price_yen,
            client_id=batch.job.client_id,
            client_name=batch.job.client.display_name,
            worker_id=None,
            worker_invoice_number="",
            paid_price_yen=batch.unit_count * batch.unit_price_yen,
        )
    return items


# --- CSV ----------------------------------------------------------------------------


def rows_to_csv(rows: Sequence[object], columns: Sequence[str]) -> str:
    """The dataclass ``rows`` as CSV with a header of ``columns``, BOM first.

    Times are written in Tokyo time.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = asdict(row)  # type: ignore[call-overload]  # rows are dataclass instances
        writer.writerow([_csv_value(values[column]) for column in columns])
    return buffer.getvalue()


def _csv_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
    return value
