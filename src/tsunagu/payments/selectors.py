"""Reads of the ledger: balances and the whole-ledger consistency check."""

from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tsunagu.payments.models import (
    NEGATIVE_KINDS,
    PLATFORM,
    SETTLING_KINDS,
    Account,
    AccountKind,
    Clawback,
    EntryKind,
    Hold,
    HoldState,
    JournalEntry,
    Posting,
)

# How many offending rows each check reports before it summarises the rest.
MAX_ROWS_PER_CHECK = 100

SETTLING_KIND_OF_STATE = {
    HoldState.RELEASED: EntryKind.RELEASE,
    HoldState.REFUNDED: EntryKind.REFUND,
    HoldState.SPLIT: EntryKind.SPLIT,
    HoldState.CLOSED: EntryKind.CLOSE,
}


def account_balance(*, kind: str, reference: str) -> int:
    """The cached balance of (kind, reference); 0 when the account does not exist."""
    balance = (
        Account.objects.filter(kind=kind, reference=reference)
        .values_list("balance", flat=True)
        .first()
    )
    return balance or 0


def platform_balance(*, kind: str) -> int:
    """The platform's balance of ``kind``: its plain account and all its stripes.

    Fee revenue and fee tax are spread over ``ledger.PLATFORM_STRIPES``
    accounts (``fee_revenue:platform:0`` ...); this is their sum, in one query.
    """
    total = Account.objects.filter(
        Q(reference=PLATFORM) | Q(reference__startswith=f"{PLATFORM}:"), kind=kind
    ).aggregate(total=_yen_sum("balance"))["total"]
    return int(total)


@dataclass
class LedgerCheck:
    """The outcome of ``ledger_check``: an empty ``problems`` means consistent."""

    entries: int = 0
    postings: int = 0
    accounts: int = 0
    holds: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_check() -> LedgerCheck:
    """Verify the invariants of the whole ledger; read-only, takes no locks.

    Each entry has two or more postings summing to zero; all postings and
    all cached balances sum to zero; each cached balance equals the sum of
    its account's postings; no account that may not go negative is below
    zero; each hold was funded once and settled at most once, its state
    matches its settling entry, its hold account holds ``amount_yen`` less
    ``released_yen`` while funded and nothing after, and its losses account
    is minus ``charged_back_yen`` plus what its clawbacks recovered from
    the worker, whose claims add up to no more than ``charged_back_yen``.
    A hold paid out in parts: its
    ``release_part`` entries take ``released_yen`` out of it in all, never
    more than it was funded with less what was charged back, only while it is
    funded or until it closes (a closed hold is settled by its ``close``
    entry or by the part that emptied it). Run it on a quiet database or inside one
    REPEATABLE READ transaction: a write between two queries could show as a
    false problem.
    """
    result = LedgerCheck(
        entries=JournalEntry.objects.count(),
        postings=Posting.objects.count(),
        accounts=Account.objects.count(),
        holds=Hold.objects.count(),
    )
    problems = result.problems

    def report(rows: list[str], total: int) -> None:
        problems.extend(rows)
        if total > len(rows):
            problems.append(f"... and {total - len(rows)} more like the above")

    # Each entry balances.
    unbalanced = (
        JournalEntry.objects.annotate(total=_yen_sum("postings__amount"), lines=Count("postings"))
        .filter(~Q(total=0) | Q(lines__lt=2))
        .order_by("pk")
    )
    report(
        [
            f"entry {e.pk} ({e.kind} {e.reference}): {e.lines} postings summing to {e.total}"
            for e in unbalanced[:MAX_ROWS_PER_CHECK]
        ],
        unbalanced.count(),
    )

    # The ledger as a whole balances.
    posted = Posting.objects.aggregate(total=_yen_sum("amount"))["total"]
    cached = Account.objects.aggregate(total=_yen_sum("balance"))["total"]
    if posted != 0:
        problems.append(f"all postings sum to {posted}, not 0")
    if cached != 0:
        problems.append(f"all account balances sum to {cached}, not 0")

    # Cached balances match their postings.
    drifted = (
        Account.objects.annotate(posted=_yen_sum("postings__amount"))
        .exclude(balance=F("posted"))
        .order_by("pk")
    )
    report(
        [
            f"account {a.pk} ({a}): cached balance {a.balance}, postings sum to {a.posted}"
            for a in drifted[:MAX_ROWS_PER_CHECK]
        ],
        drifted.count(),
    )

    # No forbidden negative balance.
    negative = Account.objects.filter(
        Q(balance__lt=0, may_go_negative=False)
        | Q(may_go_negative=True) & ~Q(kind__in=sorted(NEGATIVE_KINDS))
    ).order_by("pk")
    report(
        [
            f"account {a.pk} ({a}): balance {a.balance} but may not go negative"
            for a in negative[:MAX_ROWS_PER_CHECK]
        ],
        negative.count(),
    )

    problems.extend(_hold_problems())
    return result


def _hold_problems() -> list[str]:
    problems: list[str] = []

    for kinds, label in ((SETTLING_KINDS, "settled"), ({EntryKind.FUND}, "funded")):
        repeated = (
            JournalEntry.objects.filter(kind__in=sorted(kinds))
            .values("reference")
            .annotate(times=Count("id"))
            .filter(times__gt=1)
            .order_by("reference")
        )
        problems.extend(
            f"hold {row['reference']}: {label} {row['times']} times"
            for row in repeated[:MAX_ROWS_PER_CHECK]
        )

    orphans = (
        JournalEntry.objects.filter(kind__in=sorted(SETTLING_KINDS))
        .filter(settled_hold__isnull=True)
        .order_by("pk")
    )
    problems.extend(
        f"entry {e.pk} ({e.kind} {e.reference}) settles no hold"
        for e in orphans[:MAX_ROWS_PER_CHECK]
    )

    def balance_of(kind: str) -> Coalesce:
        return Coalesce(
            Subquery(
                Account.objects.filter(kind=kind, reference=OuterRef("reference")).values(
                    "balance"
                )[:1]
            ),
            Value(0),
            output_field=BigIntegerField(),
        )

    parts = Coalesce(
        Subquery(
            Posting.objects.filter(
                entry__kind=EntryKind.RELEASE_PART,
                entry__reference=OuterRef("reference"),
                account__kind=AccountKind.HOLD,
            )
            .values("entry__reference")
            .annotate(total=Sum("amount"))
            .values("total")[:1]
        ),
        Value(0),
        output_field=BigIntegerField(),
    )

    def clawbacks(field: str) -> Coalesce:
        return Coalesce(
            Subquery(
                Clawback.objects.filter(reference=OuterRef("reference"))
                .values("reference")
                .annotate(total=Sum(field))
                .values("total")[:1]
            ),
            Value(0),
            output_field=BigIntegerField(),
        )

    holds = Hold.objects.annotate(
        held=balance_of(AccountKind.HOLD),
        claimed=clawbacks("amount_yen"),
        recovered=clawbacks("recovered_yen"),
        parts=parts,
        lost=balance_of(AccountKind.LOSSES),
        settled_kind=F("settled_entry__kind"),
        settled_reference=F("settled_entry__reference"),
        fund_kind=F("fund_entry__kind"),
        fund_reference=F("fund_entry__reference"),
    ).order_by("pk")
    inconsistent = holds.filter(
        (Q(state=HoldState.FUNDED) & ~Q(held=F("amount_yen") - F("released_yen")))
        | (~Q(state=HoldState.FUNDED) & ~Q(held=0))
        | ~Q(lost=F("recovered") - F("charged_back_yen"))
        | Q(claimed__gt=F("charged_back_yen"))
        | ~Q(fund_kind=EntryKind.FUND)
        | ~Q(fund_reference=F("reference"))
    )
    for hold in inconsistent[:MAX_ROWS_PER_CHECK]:
        problems.append(
            f"hold {hold.reference} ({hold.state}, {hold.amount_yen} yen): hold account "
            f"{hold.held}, losses {hold.lost} for {hold.charged_back_yen} charged back "
            f"({hold.claimed} claimed from the worker, {hold.recovered} recovered), "
            f"funded by a {hold.fund_kind} entry"
        )

    # Parts: what they took out is ``released_yen``, within the funding, and
    # only a hold paid in parts (funded or closed) has any.
    overdrawn = holds.filter(
        ~Q(parts=-F("released_yen"))
        | Q(released_yen__gt=F("amount_yen") - F("charged_back_yen"))
        | Q(released_yen__gt=0, state__in=[HoldState.RELEASED, HoldState.REFUNDED, HoldState.SPLIT])
    )
    for hold in overdrawn[:MAX_ROWS_PER_CHECK]:
        problems.append(
            f"hold {hold.reference} ({hold.state}, {hold.amount_yen} yen): parts took "
            f"{-hold.parts}, released_yen {hold.released_yen}, {hold.charged_back_yen} "
            f"charged back"
        )
    stray_parts = (
        JournalEntry.objects.filter(kind=EntryKind.RELEASE_PART)
        .exclude(reference__in=Hold.objects.values("reference"))
        .order_by("pk")
    )
    problems.extend(
        f"entry {e.pk} (release_part {e.reference}) pays out of no hold"
        for e in stray_parts[:MAX_ROWS_PER_CHECK]
    )

    for hold in holds.exclude(state=HoldState.FUNDED).iterator():
        expected_kind = SETTLING_KIND_OF_STATE.get(HoldState(hold.state))
        if hold.state == HoldState.CLOSED and hold.settled_kind == EntryKind.RELEASE_PART:
            expected_kind = EntryKind.RELEASE_PART  # emptied by its last part
        if hold.settled_kind != expected_kind or hold.settled_reference != hold.reference:
            problems.append(
                f"hold {hold.reference}: state {hold.state} but settled by a "
                f"{hold.settled_kind} entry for {hold.settled_reference}"
            )
    return problems


def _yen_sum(expression: str) -> Coalesce:
    return Coalesce(Sum(expression), Value(0), output_field=BigIntegerField())


@dataclass(frozen=True)
class WorkerBalance:
    """What a worker may withdraw, and what is on its way to their bank."""

    available_yen: int
    in_flight_yen: int


def worker_balance(*, worker_reference: str) -> WorkerBalance:
    """The cached balances of ``worker_reference`` (``user:<id>``), in one query."""
    balances = dict(
        Account.objects.filter(
            kind__in=[AccountKind.WORKER_BALANCE, AccountKind.PAYOUT_IN_FLIGHT],
            reference=worker_reference,
        ).values_list("kind", "balance")
    )
    return WorkerBalance(
        available_yen=balances.get(AccountKind.WORKER_BALANCE, 0),
        in_flight_yen=balances.get(AccountKind.PAYOUT_IN_FLIGHT, 0),
    )


def clawbacks_owed_yen(*, worker_reference: str) -> int:
    """What ``worker_reference`` still owes on open clawbacks (held on their balance)."""
    total = Clawback.objects.filter(
        worker_reference=worker_reference, released_at__isnull=True
    ).aggregate(total=_yen_sum("amount_yen"), recovered=_yen_sum("recovered_yen"))
    return int(total["total"]) - int(total["recovered"])
