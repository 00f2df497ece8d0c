"""A Hypothesis state machine over every ledger service, checking the invariants.

Each example runs in a savepoint that is rolled back at its end, so every
example starts from an empty ledger. After every step the invariants are
checked against the database directly (not through ``ledger_check``, which
is also asserted to agree): each entry sums to zero, the whole ledger sums to
zero, cached balances equal their postings, no forbidden negative balance,
each hold settled at most once and in the state the model expects, and a
hold paid out in parts never gives out more than it was funded with.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.payments.conftest import ON
from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments import services
from tsunagu.payments.fees import price_with_tax, release_breakdown
from tsunagu.payments.models import (
    SETTLING_KINDS,
    Account,
    AccountKind,
    EntryKind,
    Hold,
    HoldState,
    JournalEntry,
    Posting,
)
from tsunagu.payments.selectors import ledger_check

WORKERS = ("user:1", "user:2", "user:3")
SOURCES = ("provider:bank_transfer", "provider:card")
MIN_FIRINGS = 20

# How often each rule ran over the whole test, across examples.
FIRED: Counter[str] = Counter()


@dataclass
class ModelHold:
    price: int
    amount: int
    source: str
    state: str = HoldState.FUNDED
    charged_back: int = 0
    in_parts: bool = False  # a task batch's hold, paid out in parts and closed
    released: int = 0

    @property
    def left(self) -> int:
        """What a part may still take: the rest, less what was charged back."""
        return self.amount - self.released - self.charged_back


@dataclass
class ModelPayout:
    entry: JournalEntry
    worker: str
    amount: int


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.keys = 0
        self.holds: dict[str, ModelHold] = {}
        self.balance: defaultdict[str, int] = defaultdict(int)
        self.in_flight: defaultdict[str, int] = defaultdict(int)
        self.payouts: list[ModelPayout] = []

    def teardown(self) -> None:
        # check-ledger's own check agrees with the invariants (once per example:
        # it is a dozen queries)
        assert ledger_check().problems == []
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    def key(self, what: str) -> str:
        self.keys += 1
        return f"{what}:{self.keys}"

    def refs(
        self, *, state: str | None = None, refundable: bool = False, whole: bool = False
    ) -> list[str]:
        """Holds in ``state``; ``refundable``: never charged back; ``whole``: not in parts."""
        return sorted(
            ref
            for ref, hold in self.holds.items()
            if (state is None or hold.state == state)
            and not (refundable and hold.charged_back)
            and not (whole and hold.in_parts)
        )

    def part_refs(self) -> list[str]:
        return sorted(
            ref
            for ref, hold in self.holds.items()
            if hold.in_parts and hold.state == HoldState.FUNDED
        )

    # --- rules ---------------------------------------------------------------

    # A few open holds at a time, so the steps go to settling them.
    # Every third hold or so is a task batch's, paid out in parts.
    @precondition(lambda self: len(self.refs(state=HoldState.FUNDED)) < 4)
    @rule(
        price=st.integers(min_value=1, max_value=400_000),
        source=st.sampled_from(SOURCES),
        in_parts=st.sampled_from([False, False, True]),
    )
    def fund(self, price, source, in_parts):
        FIRED["fund"] += 1
        prefix = "task" if in_parts else "milestone"
        ref, key = f"{prefix}:{len(self.holds) + 1}", self.key("fund")
        amount = price_with_tax(price_yen=price, on=ON)

        entry = services.hold_fund(reference=ref, amount_yen=amount, source=source, dedupe_key=key)
        again = services.hold_fund(reference=ref, amount_yen=amount, source=source, dedupe_key=key)

        assert again.pk == entry.pk
        self.holds[ref] = ModelHold(price=price, amount=amount, source=source, in_parts=in_parts)

    @precondition(lambda self: self.refs(state=HoldState.FUNDED, whole=True))
    @rule(
        data=st.data(),
        worker=st.sampled_from(WORKERS),
        before=st.integers(min_value=0, max_value=300_000),
        is_task=st.booleans(),
        withholding=st.booleans(),
    )
    def release(self, data, worker, before, is_task, withholding):
        FIRED["release"] += 1
        ref = data.draw(st.sampled_from(self.refs(state=HoldState.FUNDED, whole=True)))
        hold, key = self.holds[ref], self.key("release")
        breakdown = release_breakdown(
            price_yen=hold.price,
            cumulative_before_yen=before,
            is_task=is_task,
            withholding=withholding,
            on=ON,
        )

        entry = services.hold_release(
            reference=ref, worker_reference=worker, breakdown=breakdown, dedupe_key=key
        )
        again = services.hold_release(
            reference=ref, worker_reference=worker, breakdown=breakdown, dedupe_key=key
        )

        assert again.pk == entry.pk
        hold.state = HoldState.RELEASED
        self.balance[worker] += breakdown.worker_net

    @precondition(lambda self: self.refs(state=HoldState.FUNDED, refundable=True, whole=True))
    @rule(data=st.data())
    def refund(self, data):
        FIRED["refund"] += 1
        ref = data.draw(
            st.sampled_from(self.refs(state=HoldState.FUNDED, refundable=True, whole=True))
        )
        key = self.key("refund")

        entry = services.hold_refund(reference=ref, dedupe_key=key)
        again = services.hold_refund(reference=ref, dedupe_key=key)

        assert again.pk == entry.pk
        self.holds[ref].state = HoldState.REFUNDED

    @precondition(
        lambda self: any(
            self.holds[ref].price >= 2
            for ref in self.refs(state=HoldState.FUNDED, refundable=True, whole=True)
        )
    )
    @rule(data=st.data(), worker=st.sampled_from(WORKERS), withholding=st.booleans())
    def split(self, data, worker, withholding):
        FIRED["split"] += 1
        candidates = [
            ref
            for ref in self.refs(state=HoldState.FUNDED, refundable=True, whole=True)
            if self.holds[ref].price >= 2
        ]
        ref = data.draw(st.sampled_from(candidates))
        hold, key = self.holds[ref], self.key("split")
        share = data.draw(st.integers(min_value=1, max_value=hold.price - 1), label="share")

        entry = services.hold_split(
            reference=ref,
            worker_reference=worker,
            worker_share_yen=share,
            withholding=withholding,
            on=ON,
            dedupe_key=key,
        )
        again = services.hold_split(
            reference=ref,
            worker_reference=worker,
            worker_share_yen=share,
            withholding=withholding,
            on=ON,
            dedupe_key=key,
        )

        assert again.pk == entry.pk
        hold.state = HoldState.SPLIT
        self.balance[worker] += release_breakdown(
            price_yen=share, cumulative_before_yen=0, is_task=False, withholding=withholding, on=ON
        ).worker_net

    @precondition(lambda self: any(self.balance.values()))
    @rule(data=st.data())
    def withdraw(self, data):
        FIRED["withdraw"] += 1
        worker = data.draw(st.sampled_from(sorted(w for w, b in self.balance.items() if b)))
        available = self.balance[worker]
        # Now and then more than the balance, which must be refused.
        amount = data.draw(st.integers(min_value=1, max_value=available + available // 4 + 1))
        key = self.key("withdraw")

        if amount > available:
            with pytest.raises(RuleViolation) as refused:
                services.balance_withdraw(
                    worker_reference=worker, amount_yen=amount, dedupe_key=key
                )
            assert refused.value.code == "insufficient_funds"
            return

        entry = services.balance_withdraw(
            worker_reference=worker, amount_yen=amount, dedupe_key=key
        )
        again = services.balance_withdraw(
            worker_reference=worker, amount_yen=amount, dedupe_key=key
        )

        assert again.pk == entry.pk
        self.balance[worker] -= amount
        self.in_flight[worker] += amount
        self.payouts.append(ModelPayout(entry=entry, worker=worker, amount=amount))

    @precondition(lambda self: self.payouts)
    @rule(data=st.data())
    def payout_failed(self, data):
        FIRED["payout_failed"] += 1
        payout = self.payouts.pop(data.draw(st.integers(0, len(self.payouts) - 1)))
        key = self.key("payout_failed")

        entry = services.payout_fail(payout_entry=payout.entry, dedupe_key=key)
        again = services.payout_fail(payout_entry=payout.entry, dedupe_key=key)
        with pytest.raises(Conflict):
            services.payout_fail(payout_entry=payout.entry, dedupe_key=self.key("payout_failed"))

        assert again.pk == entry.pk
        self.balance[payout.worker] += payout.amount
        self.in_flight[payout.worker] -= payout.amount

    # One chargeback per hold, and mostly on settled holds: a charged-back hold
    # can no longer be refunded or split, and those rules need funded holds to
    # work on (with chargebacks drawn evenly, split fired under 20 times).
    @precondition(lambda self: any(not h.charged_back for h in self.holds.values()))
    @rule(data=st.data(), on_funded=st.integers(min_value=0, max_value=3))
    def chargeback(self, data, on_funded):
        FIRED["chargeback"] += 1
        open_ = sorted(r for r, h in self.holds.items() if not h.charged_back)
        settled = [r for r in open_ if self.holds[r].state != HoldState.FUNDED]
        ref = data.draw(st.sampled_from(settled if settled and on_funded else open_))
        hold, key = self.holds[ref], self.key("chargeback")
        remaining = hold.left
        if remaining == 0:  # everything was paid out in parts: nothing left to take
            with pytest.raises(RuleViolation) as refused:
                services.chargeback_record(reference=ref, amount_yen=1, dedupe_key=key)
            assert refused.value.code == "chargeback_exceeds_funding"
            return
        amount = data.draw(st.integers(min_value=1, max_value=remaining), label="amount")

        entry = services.chargeback_record(reference=ref, amount_yen=amount, dedupe_key=key)
        again = services.chargeback_record(reference=ref, amount_yen=amount, dedupe_key=key)

        assert again.pk == entry.pk
        hold.charged_back += amount

    # A task batch's hold: one part per approved answer. Now and then a part
    # larger than what is left (refused), now and then exactly what is left
    # (the part closes the hold).
    @precondition(lambda self: self.part_refs())
    @rule(
        data=st.data(),
        worker=st.sampled_from(WORKERS),
        size=st.sampled_from(["some", "some", "some", "rest", "too_much"]),
        withholding=st.booleans(),
    )
    def release_part(self, data, worker, size, withholding):
        FIRED["release_part"] += 1
        ref = data.draw(st.sampled_from(self.part_refs()))
        hold, key = self.holds[ref], self.key("part")
        price = _part_price(data, left=hold.left, size=size)
        breakdown = release_breakdown(
            price_yen=price, cumulative_before_yen=0, is_task=True, withholding=withholding, on=ON
        )

        if breakdown.gross_with_tax > hold.left:
            with pytest.raises(RuleViolation) as refused:
                services.hold_release_part(
                    reference=ref, worker_reference=worker, breakdown=breakdown, dedupe_key=key
                )
            assert refused.value.code == "part_exceeds_hold"
            return
        entry = services.hold_release_part(
            reference=ref, worker_reference=worker, breakdown=breakdown, dedupe_key=key
        )
        again = services.hold_release_part(
            reference=ref, worker_reference=worker, breakdown=breakdown, dedupe_key=key
        )

        assert again.pk == entry.pk
        hold.released += breakdown.gross_with_tax
        if hold.released == hold.amount:
            hold.state = HoldState.CLOSED
        self.balance[worker] += breakdown.worker_net

    # Closing: the rest back to the client (a refund when no part was paid).
    # Mostly task holds, which only this rule settles (but for their last part).
    @precondition(lambda self: self.refs(state=HoldState.FUNDED, refundable=True))
    @rule(data=st.data(), prefer_parts=st.integers(min_value=0, max_value=3))
    def close(self, data, prefer_parts):
        FIRED["close"] += 1
        candidates = self.refs(state=HoldState.FUNDED, refundable=True)
        with_parts = [ref for ref in candidates if self.holds[ref].in_parts]
        ref = data.draw(st.sampled_from(with_parts if with_parts and prefer_parts else candidates))
        hold, key = self.holds[ref], self.key("close")

        entry = services.hold_close(reference=ref, dedupe_key=key)
        again = services.hold_close(reference=ref, dedupe_key=key)

        assert again.pk == entry.pk
        assert entry.kind == (EntryKind.CLOSE if hold.released else EntryKind.REFUND)
        hold.state = HoldState.CLOSED if hold.released else HoldState.REFUNDED

    @precondition(lambda self: any(h.state != HoldState.FUNDED for h in self.holds.values()))
    @rule(data=st.data(), how=st.sampled_from(["release", "refund", "split", "part", "close"]))
    def settle_again(self, data, how):
        FIRED["settle_again"] += 1
        ref = data.draw(
            st.sampled_from(sorted(r for r, h in self.holds.items() if h.state != HoldState.FUNDED))
        )
        hold, key = self.holds[ref], self.key("again")

        with pytest.raises(Conflict) as refused:
            if how == "release":
                breakdown = release_breakdown(
                    price_yen=hold.price,
                    cumulative_before_yen=0,
                    is_task=False,
                    withholding=False,
                    on=ON,
                )
                services.hold_release(
                    reference=ref, worker_reference="user:1", breakdown=breakdown, dedupe_key=key
                )
            elif how == "refund":
                services.hold_refund(reference=ref, dedupe_key=key)
            elif how == "part":
                breakdown = release_breakdown(
                    price_yen=1, cumulative_before_yen=0, is_task=True, withholding=False, on=ON
                )
                services.hold_release_part(
                    reference=ref, worker_reference="user:1", breakdown=breakdown, dedupe_key=key
                )
            elif how == "close":
                services.hold_close(reference=ref, dedupe_key=key)
            else:
                services.hold_split(
                    reference=ref, worker_reference="user:1", worker_share_yen=1, dedupe_key=key
                )
        assert refused.value.code == "hold_settled"

    # --- invariants ------------------------------------------------------------

    @invariant()
    def the_ledger_balances(self):
        per_entry: defaultdict[int, int] = defaultdict(int)
        per_account: defaultdict[int, int] = defaultdict(int)
        for entry_id, account_id, amount in Posting.objects.values_list(
            "entry_id", "account_id", "amount"
        ):
            assert amount != 0
            per_entry[entry_id] += amount
            per_account[account_id] += amount

        # each transaction sums to zero, and so does everything
        assert all(total == 0 for total in per_entry.values()), dict(per_entry)
        assert sum(per_account.values()) == 0

        accounts = list(Account.objects.all())
        assert sum(account.balance for account in accounts) == 0
        for account in accounts:
            # cached balances equal the postings
            assert account.balance == per_account[account.pk], account
            # nothing may go negative but the provider's and the losses' side
            if account.balance < 0:
                assert account.kind in {AccountKind.EXTERNAL, AccountKind.LOSSES}, account
            if account.kind == AccountKind.WORKER_BALANCE:
                assert account.balance == self.balance[account.reference]
            if account.kind == AccountKind.PAYOUT_IN_FLIGHT:
                assert account.balance == self.in_flight[account.reference]

    @invariant()
    def every_hold_settles_at_most_once(self):
        settlements = Counter(
            JournalEntry.objects.filter(kind__in=sorted(SETTLING_KINDS)).values_list(
                "reference", flat=True
            )
        )
        assert all(times <= 1 for times in settlements.values()), settlements

        states = dict(Hold.objects.values_list("reference", "state"))
        assert states == {ref: hold.state for ref, hold in self.holds.items()}
        for ref, state in states.items():
            emptied_by_parts = state == HoldState.CLOSED and self.holds[ref].left == 0
            expected = 0 if state == HoldState.FUNDED or emptied_by_parts else 1
            assert settlements[ref] == expected, (ref, state)

    @invariant()
    def parts_never_exceed_the_hold(self):
        parts: defaultdict[str, int] = defaultdict(int)
        for reference, amount in Posting.objects.filter(
            entry__kind=EntryKind.RELEASE_PART, account__kind=AccountKind.HOLD
        ).values_list("entry__reference", "amount"):
            parts[reference] -= amount
        held = dict(
            Account.objects.filter(kind=AccountKind.HOLD).values_list("reference", "balance")
        )

        for ref, released, charged_back, amount in Hold.objects.values_list(
            "reference", "released_yen", "charged_back_yen", "amount_yen"
        ):
            model = self.holds[ref]
            # what the parts took is what the hold says and what the model paid
            assert parts[ref] == released == model.released, ref
            # never more than the funding, less what the provider took back
            assert released + charged_back <= amount, ref
            # a funded hold keeps the rest; a settled one keeps nothing
            rest = amount - released if model.state == HoldState.FUNDED else 0
            assert held.get(ref, 0) == rest, ref


@pytest.mark.django_db
def test_the_ledger_keeps_its_invariants_under_any_sequence_of_operations():
    # given
    FIRED.clear()

    # when
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

    # then: every rule really ran, often enough to mean something
    rules = {
        "fund",
        "release",
        "refund",
        "split",
        "withdraw",
        "payout_failed",
        "chargeback",
        "settle_again",
        "release_part",
        "close",
    }
    print("rule firings:", dict(sorted(FIRED.items())))  # noqa: T201 - shown with -s
    assert set(FIRED) == rules
    assert min(FIRED.values()) >= MIN_FIRINGS, dict(FIRED)


def _part_price(data, *, left: int, size: str) -> int:
    """A price whose part (with tax) fits in ``left``, is exactly ``left``, or is too much."""
    fits = max(1, left * 10 // 11)
    while fits > 1 and price_with_tax(price_yen=fits, on=ON) > left:
        fits -= 1
    if size == "too_much":
        return data.draw(st.integers(min_value=left + 1, max_value=left + 1_000), label="price")
    if size == "rest":
        # the price whose part is all that is left, when there is one
        exact = [p for p in (fits, fits + 1) if price_with_tax(price_yen=p, on=ON) == left]
        if exact:
            return exact[0]
    return data.draw(st.integers(min_value=1, max_value=max(1, fits // 3)), label="price")
