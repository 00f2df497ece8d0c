"""Money going back after a release: withholding to the client, chargebacks from the worker.

A ¥10,000 release is ¥11,000 with tax; with withholding the worker gets
¥8,580 - ¥1,021 = ¥7,559 and ¥1,021 is owed back to the client.
"""

import pytest

from tests.factories import BankAccountFactory, WorkerFactory
from tests.payments.conftest import BANK, balances, simple_breakdown
from tsunagu.accounts.models import IdentityStatus
from tsunagu.errors import Conflict, RuleViolation
from tsunagu.payments import payouts, recoveries, services
from tsunagu.payments.models import AccountKind, Clawback, EntryKind, JournalEntry
from tsunagu.payments.selectors import account_balance, clawbacks_owed_yen, ledger_check

pytestmark = pytest.mark.django_db


def release(reference: str, worker: str, *, withholding: bool = False) -> None:
    services.hold_release(
        reference=reference,
        worker_reference=worker,
        breakdown=simple_breakdown(10_000, withholding=withholding),
        dedupe_key=f"release:{reference}",
    )


def charge_back(reference: str, amount: int, dispute: str = "dp_1") -> None:
    services.chargeback_record(
        reference=reference, amount_yen=amount, dedupe_key=f"chargeback:{reference}:{dispute}"
    )


def assert_ledger_ok() -> None:
    assert ledger_check().problems == []


# --- withholding -------------------------------------------------------------------


def test_the_withheld_tax_goes_back_to_the_clients_payment_source_once(fund):
    # given: a release with withholding
    fund("milestone:1")
    release("milestone:1", "user:1", withholding=True)
    assert balances("milestone:1")["withholding"] == 1_021

    # when: returned, then retried with the same key
    first = recoveries.withholding_return(reference="milestone:1", dedupe_key="withholding:m1")
    again = recoveries.withholding_return(reference="milestone:1", dedupe_key="withholding:m1")

    # then: one entry, the payable account empty, the client's source credited
    assert first is not None and again is not None
    assert again.pk == first.pk
    assert first.kind == EntryKind.WITHHOLDING_RETURN
    after = balances("milestone:1")
    assert after["withholding"] == 0
    assert after["external"] == -11_000 + 1_021
    assert after["worker"] == 8_580 - 1_021
    assert JournalEntry.objects.filter(kind=EntryKind.WITHHOLDING_RETURN).count() == 1
    assert_ledger_ok()


def test_nothing_is_returned_when_nothing_was_withheld(fund):
    fund("milestone:1")
    release("milestone:1", "user:1")

    assert recoveries.withholding_return(reference="milestone:1", dedupe_key="w:1") is None
    assert JournalEntry.objects.filter(kind=EntryKind.WITHHOLDING_RETURN).count() == 0


def test_a_second_key_does_not_return_the_tax_twice(fund):
    fund("milestone:1")
    release("milestone:1", "user:1", withholding=True)
    recoveries.withholding_return(reference="milestone:1", dedupe_key="w:1")

    assert recoveries.withholding_return(reference="milestone:1", dedupe_key="w:2") is None
    assert balances("milestone:1")["external"] == -11_000 + 1_021
    assert_ledger_ok()


# --- chargebacks after a release ----------------------------------------------------


def test_a_chargeback_is_recovered_from_the_workers_balance(fund):
    # given: a released hold, charged back in full
    fund("milestone:1")
    release("milestone:1", "user:1")
    charge_back("milestone:1", 11_000)

    # when: the worker's net is claimed back
    clawback = recoveries.chargeback_recover(
        reference="milestone:1", worker_reference="user:1", amount_yen=8_580, dedupe_key="cr:1"
    )

    # then: all of it came from the balance; the platform lost the fee only
    assert (clawback.recovered_yen, clawback.owed_yen) == (8_580, 0)
    assert clawback.released_at is not None
    after = balances("milestone:1")
    assert after["worker"] == 0
    assert after["losses"] == -11_000 + 8_580
    assert_ledger_ok()


def test_a_shortfall_is_held_and_a_payout_may_take_only_the_free_balance(fund):
    # given: the worker has withdrawn most of the balance before the chargeback
    worker = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    account = BankAccountFactory(owner=worker)
    me = f"user:{worker.pk}"
    fund("milestone:1")
    release("milestone:1", me)
    services.balance_withdraw(worker_reference=me, amount_yen=6_580, dedupe_key="w:1")
    charge_back("milestone:1", 11_000)

    # when: ¥8,580 is claimed; the balance has ¥2,000
    clawback = recoveries.chargeback_recover(
        reference="milestone:1", worker_reference=me, amount_yen=8_580, dedupe_key="cr:1"
    )

    # then: ¥2,000 recovered, ¥6,580 owed and held
    assert (clawback.recovered_yen, clawback.owed_yen) == (2_000, 6_580)
    assert clawback.released_at is None
    assert clawbacks_owed_yen(worker_reference=me) == 6_580
    assert account_balance(kind=AccountKind.WORKER_BALANCE, reference=me) == 0
    assert_ledger_ok()

    # and when: a later release pays the worker ¥8,580
    fund("milestone:2")
    release("milestone:2", me)

    # then: a payout may take ¥8,580 - ¥6,580 = ¥2,000, not more
    with pytest.raises(RuleViolation) as refused:
        payouts.payout_request(
            worker=worker, bank_account=account, amount_yen=2_001, dedupe_key="p:1"
        )
    assert refused.value.code == "balance_held"
    assert refused.value.status == 422
    payout = payouts.payout_request(
        worker=worker, bank_account=account, amount_yen=2_000, dedupe_key="p:2"
    )
    assert payout.amount_yen == 2_000
    assert_ledger_ok()


def test_the_owed_part_is_repaid_from_a_later_balance_once(fund):
    # given: ¥8,580 owed, nothing recovered, then a new release of ¥8,580
    fund("milestone:1")
    release("milestone:1", "user:1")
    services.balance_withdraw(worker_reference="user:1", amount_yen=8_580, dedupe_key="w:1")
    charge_back("milestone:1", 11_000)
    recoveries.chargeback_recover(
        reference="milestone:1", worker_reference="user:1", amount_yen=8_580, dedupe_key="cr:1"
    )
    fund("milestone:2")
    release("milestone:2", "user:1")

    # when: repaid, and retried with the same key
    first = recoveries.clawback_repay(worker_reference="user:1", dedupe_key="repay:1")
    again = recoveries.clawback_repay(worker_reference="user:1", dedupe_key="repay:1")

    # then
    assert first is not None and again is not None and again.pk == first.pk
    assert clawbacks_owed_yen(worker_reference="user:1") == 0
    assert Clawback.objects.get().released_at is not None
    assert account_balance(kind=AccountKind.WORKER_BALANCE, reference="user:1") == 0
    assert account_balance(kind=AccountKind.LOSSES, reference="milestone:1") == -11_000 + 8_580
    assert recoveries.clawback_repay(worker_reference="user:1", dedupe_key="repay:2") is None
    assert_ledger_ok()


def test_a_retried_recovery_changes_nothing_and_a_reused_key_is_refused(fund):
    fund("milestone:1")
    release("milestone:1", "user:1")
    charge_back("milestone:1", 11_000)
    first = recoveries.chargeback_recover(
        reference="milestone:1", worker_reference="user:1", amount_yen=5_000, dedupe_key="cr:1"
    )

    again = recoveries.chargeback_recover(
        reference="milestone:1", worker_reference="user:1", amount_yen=5_000, dedupe_key="cr:1"
    )
    with pytest.raises(Conflict) as reused:
        recoveries.chargeback_recover(
            reference="milestone:1", worker_reference="user:1", amount_yen=4_000, dedupe_key="cr:1"
        )

    assert again.pk == first.pk
    assert reused.value.code == "dedupe_key_reused"
    assert Clawback.objects.count() == 1
    assert account_balance(kind=AccountKind.WORKER_BALANCE, reference="user:1") == 3_580
    assert_ledger_ok()


def test_claims_never_exceed_what_was_charged_back(fund):
    fund("milestone:1")
    release("milestone:1", "user:1")
    charge_back("milestone:1", 3_000)

    with pytest.raises(RuleViolation) as refused:
        recoveries.chargeback_recover(
            reference="milestone:1", worker_reference="user:1", amount_yen=3_001, dedupe_key="c"
        )

    assert refused.value.code == "clawback_exceeds_chargeback"
    assert Clawback.objects.count() == 0
    assert_ledger_ok()


def test_a_chargeback_on_a_released_hold_claims_at_most_the_workers_net(fund):
    fund("milestone:1", source=BANK)
    release("milestone:1", "user:1")
    charge_back("milestone:1", 11_000)

    clawback = recoveries.chargeback_recover_released(
        reference="milestone:1", amount_yen=11_000, dedupe_key="cr:1"
    )

    assert clawback is not None
    assert (clawback.worker_reference, clawback.amount_yen) == ("user:1", 8_580)
    assert (
        recoveries.chargeback_recover_released(
            reference="milestone:1", amount_yen=11_000, dedupe_key="cr:2"
        )
        is None
    )  # nothing left to claim
    assert_ledger_ok()


def test_the_ledger_check_finds_a_clawback_beyond_the_chargeback(fund):
    fund("milestone:1")
    release("milestone:1", "user:1")
    charge_back("milestone:1", 1_000)
    Clawback.objects.create(
        worker_reference="user:1", reference="milestone:1", amount_yen=2_000, dedupe_key="bad"
    )

    problems = ledger_check().problems

    assert any("2000 claimed" in problem for problem in problems)
