"""Statements built from the ledger: what was paid, to whom, for what.

The ledger's release entries say how much went where; the work app knows
what each reference was (a milestone of a contract, a competition's prize).
This module joins the two, read-only:

- ``worker_statement``: a worker's month (明細): releases, payouts, the
  opening and closing balance, and the platform fee invoiced to them;
- ``worker_net_by_month``: a worker's net earnings month by month;
- ``payment_report``: a client's year per worker (支払調書): prices paid,
  consumption tax and income tax withheld;
- ``client_receipts``: what a client paid for items, with the tax in it;
- ``rows_to_csv``: any of these as CSV, for spreadsheets (Excel reads the
  UTF-8 byte-order mark as "this is UTF-8").

Months and years are Tokyo's. All amounts are whole yen.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
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
from tsunagu.work.models import Competition, Milestone

TOKYO = ZoneInfo("Asia/Tokyo")


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
    statement.releases = release_lines(entries.filter(kind__in=[EntryKind.RELEASE]))
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
        entry__kind=EntryKind.RELEASE,
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
        kind=EntryKind.RELEASE, created_at__gte=start, created_at__lt=end
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

    receipts = []
    for payment in payments:
        item = items.get(payment.reference)
        assert payment.succeeded_at is not None  # filtered above
        price = item.price_yen if item else payment.amount_yen
        receipts.append(
            ReceiptLine(
                paid_at=payment.succeeded_at,
                reference=payment.reference,
                item_title=item.title if item else payment.reference,
                method=payment.method,
                amount_yen=payment.amount_yen,
                consumption_tax_yen=payment.amount_yen - price,
                worker_invoice_number=item.worker_invoice_number if item else "",
            )
        )
    return receipts


# --- the operators' month ------------------------------------------------------------


@dataclass(frozen=True)
class OperatorReport:
    """What moved through the platform in a month, by account kind.

    ``funded_yen``: clients' payments into holds; ``released_yen``: holds
    released or split to workers; ``fee_yen`` and ``fee_tax_yen``: the
    platform's revenue and the consumption tax it owes on it;
    ``withholding_yen``: income tax withheld for clients; ``refunded_yen``;
    ``chargeback_loss_yen``: what the platform absorbed.
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

    settled = (EntryKind.RELEASE, EntryKind.SPLIT)
    return OperatorReport(
        year=year,
        month=month,
        funded_yen=sums[EntryKind.FUND, AccountKind.HOLD],
        released_yen=sum(-sums[kind, AccountKind.HOLD] for kind in settled)
        - sums[EntryKind.SPLIT, AccountKind.EXTERNAL],
        refunded_yen=-sums[EntryKind.REFUND, AccountKind.HOLD],
        fee_yen=sum(sums[kind, AccountKind.FEE_REVENUE] for kind in settled),
        fee_tax_yen=sum(sums[kind, AccountKind.FEE_TAX] for kind in settled),
        withholding_yen=sum(sums[kind, AccountKind.WITHHOLDING_PAYABLE] for kind in settled),
        paid_out_yen=sums[EntryKind.WITHDRAW, AccountKind.PAYOUT_IN_FLIGHT]
        + sums[EntryKind.PAYOUT_FAILED, AccountKind.PAYOUT_IN_FLIGHT],
        chargeback_loss_yen=-sums[EntryKind.CHARGEBACK, AccountKind.LOSSES],
    )


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


def release_lines(entries: Iterable[JournalEntry]) -> list[ReleaseLine]:
    """Each release entry as a ``ReleaseLine``, oldest first (3 queries in all)."""
    entries = list(
        JournalEntry.objects.filter(pk__in=[entry.pk for entry in entries])
        .prefetch_related("postings__account")
        .order_by("created_at", "pk")
    )
    items = _items([entry.reference for entry in entries])

    lines = []
    for entry in entries:
        item = items.get(entry.reference)
        if item is None:
            continue  # a hold that is not a work item (none yet); it has no statement line
        lines.append(_release_line(entry, item))
    return lines


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
    """What each ``milestone:<id>`` and ``competition:<id>:prize:<n>`` reference names."""
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
