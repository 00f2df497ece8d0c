"""Payouts: bank accounts encrypted at rest, the worker's request, the operators'
steps, the money in the ledger at each step, and the back office."""

import subprocess
import sys
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests.db_state import table_counts
from tests.factories import BankAccountFactory, UserFactory, WorkerFactory
from tests.payments.conftest import ON, POSTGRES_ONLY, simple_breakdown
from tsunagu.accounts.models import IdentityStatus, User
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.payments import services
from tsunagu.payments.bank_accounts import (
    bank_account_deactivate,
    bank_account_details,
    bank_account_register,
    bank_account_review,
    bank_accounts_reencrypt,
)
from tsunagu.payments.fees import price_with_tax
from tsunagu.payments.field_crypto import FieldDecryptError
from tsunagu.payments.models import (
    PLATFORM,
    AccountKind,
    BankAccount,
    BankAccountReview,
    EntryKind,
    Payout,
    PayoutStatus,
)
from tsunagu.payments.payouts import (
    PAYOUT_DESTINATION,
    payout_mark_failed,
    payout_mark_paid,
    payout_mark_sent,
    payout_problems,
    payout_request,
    payout_review,
    payouts_transfer_csv,
)
from tsunagu.payments.selectors import account_balance, ledger_check

pytestmark = pytest.mark.django_db

EARNED = 8_580  # what a released ¥10,000 milestone leaves the worker (conftest's example)
FEE = 100
FEE_TAX = 9  # the consumption tax inside ¥100: floor(100 x 10/110)


@pytest.fixture(autouse=True)
def _payout_rules(settings):
    settings.TSUNAGU_PAYOUT_MINIMUM_YEN = 1_000
    settings.TSUNAGU_PAYOUT_TRANSFER_FEE_YEN = FEE
    settings.TSUNAGU_PAYOUT_REVIEW_DAYS = 7


def earn(worker: User, *, price: int = 10_000, reference: str = "milestone:1") -> None:
    """Fund a hold and release it to ``worker``, as a client's approval does."""
    services.hold_fund(
        reference=reference,
        amount_yen=price_with_tax(price_yen=price, on=ON),
        dedupe_key=f"fund:{reference}",
    )
    services.hold_release(
        reference=reference,
        worker_reference=f"user:{worker.pk}",
        breakdown=simple_breakdown(price),
        dedupe_key=f"release:{reference}",
    )


def money(worker: User) -> dict[str, int]:
    reference = f"user:{worker.pk}"
    return {
        "balance": account_balance(kind=AccountKind.WORKER_BALANCE, reference=reference),
        "in_flight": account_balance(kind=AccountKind.PAYOUT_IN_FLIGHT, reference=reference),
        "paid_out": account_balance(kind=AccountKind.EXTERNAL, reference=PAYOUT_DESTINATION),
        "fee": account_balance(kind=AccountKind.FEE_REVENUE, reference=PLATFORM),
        "fee_tax": account_balance(kind=AccountKind.FEE_TAX, reference=PLATFORM),
    }


def assert_consistent() -> None:
    assert ledger_check().problems == []
    assert payout_problems() == []


@pytest.fixture
def operator(db) -> User:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def earner(db) -> User:
    worker = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    earn(worker)
    return worker


@pytest.fixture
def known_account(earner) -> BankAccount:
    """An account registered a month ago: its payouts need no review."""
    return BankAccountFactory(owner=earner, created_at=timezone.now() - timedelta(days=30))


def request(worker: User, account: BankAccount, amount: int = 5_000, key: str = "p1") -> Payout:
    return payout_request(worker=worker, bank_account=account, amount_yen=amount, dedupe_key=key)


# --- bank accounts: encrypted at rest -------------------------------------------------


def register(owner: User, **details: str) -> BankAccount:
    fields = {
        "bank_code": "0005",
        "branch_code": "123",
        "account_type": "ordinary",
        "account_number": "7654321",
        "holder_name": "スズキ ハナコ",
    }
    fields.update(details)
    return bank_account_register(owner=owner, **fields)


def raw_columns(account: BankAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_number_encrypted, holder_name_encrypted "
            "FROM payments_bankaccount WHERE id = %s",
            [account.pk],
        )
        return " ".join(cursor.fetchone())


def test_the_account_number_and_holder_are_stored_encrypted_and_decrypt_back(worker):
    # when
    account = register(worker)

    # then: the stored columns hold neither, the hint holds the last four digits
    stored = raw_columns(account)
    assert "7654321" not in stored
    assert "スズキ" not in stored
    assert account.account_number_last4 == "4321"
    assert str(account) == "0005-123 ***4321"

    # and the back office reads them back
    details = bank_account_details(bank_account=BankAccount.objects.get(pk=account.pk))
    assert details.account_number == "7654321"
    assert details.holder_name == "スズキ\u3000ハナコ"
    assert "7654321" not in repr(details)


def test_half_width_kana_and_full_width_digits_are_normalized(worker):
    account = register(
        worker, holder_name=" ﾔﾏﾀﾞ  ﾀﾛｳ ", account_number="０１２３４５６", bank_code="０００９"
    )

    details = bank_account_details(bank_account=account)
    assert details.holder_name == "ヤマダ\u3000タロウ"
    assert details.account_number == "0123456"
    assert account.bank_code == "0009"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("bank_code", "123", "invalid_bank_code"),
        ("bank_code", "12a4", "invalid_bank_code"),
        ("branch_code", "1234", "invalid_branch_code"),
        ("account_type", "savings", "invalid_account_type"),
        ("account_number", "123456", "invalid_account_number"),
        ("account_number", "12345678", "invalid_account_number"),
        ("account_number", "123-456", "invalid_account_number"),
        ("holder_name", "山田 太郎", "invalid_holder_name"),
        ("holder_name", "やまだ たろう", "invalid_holder_name"),
        ("holder_name", "YAMADA TARO", "invalid_holder_name"),
        ("holder_name", "ヤマダ・タロウ", "invalid_holder_name"),
        ("holder_name", "   ", "invalid_holder_name"),
        ("holder_name", "ア" * 31, "invalid_holder_name"),
    ],
)
def test_bad_bank_details_are_refused_and_nothing_is_written(worker, field, value, code):
    # given
    before = table_counts()

    # when
    with pytest.raises(RuleViolation) as refused:
        register(worker, **{field: value})

    # then
    assert refused.value.code == code
    assert refused.value.field == field
    assert refused.value.status == 422
    assert value not in refused.value.message
    assert table_counts() == before


def test_rotating_the_key_keeps_old_tokens_readable_and_reencrypts_them(worker, settings):
    # given: an account encrypted under the old key
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TSUNAGU_FIELD_KEYS = [old_key]
    account = register(worker)
    before = raw_columns(account)

    # when: the new key goes first and the rows are encrypted again
    settings.TSUNAGU_FIELD_KEYS = [new_key, old_key]
    assert bank_account_details(bank_account=account).account_number == "7654321"
    assert bank_accounts_reencrypt(batch_size=1) == 1

    # then: the new key alone opens them, the old one alone no longer does
    account.refresh_from_db()
    assert raw_columns(account) != before
    settings.TSUNAGU_FIELD_KEYS = [new_key]
    assert bank_account_details(bank_account=account).holder_name == "スズキ\u3000ハナコ"
    settings.TSUNAGU_FIELD_KEYS = [old_key]
    with pytest.raises(FieldDecryptError):
        bank_account_details(bank_account=account)


def test_the_rotate_command_reports_the_rows_it_reencrypted(worker, settings, capsys):
    register(worker)
    settings.TSUNAGU_FIELD_KEYS = [Fernet.generate_key().decode(), *settings.TSUNAGU_FIELD_KEYS]

    call_command("rotate_field_keys")

    assert "1 bank accounts re-encrypted" in capsys.readouterr().out


def test_a_bad_field_key_fails_the_system_check_and_a_development_key_is_reported(settings):
    settings.TSUNAGU_FIELD_KEYS = ["not-a-fernet-key"]
    assert "payments.E001" in [message.id for message in run_checks()]

    settings.TSUNAGU_FIELD_KEYS = [Fernet.generate_key().decode()]
    settings.TSUNAGU_FIELD_KEY_IS_DEVELOPMENT = True
    assert "payments.E001" not in [message.id for message in run_checks()]
    assert "payments.W001" in [message.id for message in run_checks(include_deployment_checks=True)]


def test_production_settings_refuse_to_start_without_a_field_key(tmp_path):
    # given: an installation with its own SECRET_KEY and DEBUG off, no field key
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, "TSUNAGU_DATA_DIR": str(tmp_path)}

    # when
    run = subprocess.run(
        [sys.executable, "-c", "import tsunagu.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    # then
    assert run.returncode != 0
    assert "TSUNAGU_FIELD_KEY is not set" in run.stderr


def test_operators_verify_or_flag_an_account_and_nobody_else_may(known_account, operator):
    flagged = bank_account_review(bank_account=known_account, by=operator, verified=False)
    assert flagged.review_state == BankAccountReview.FLAGGED

    with pytest.raises(PermissionDenied):
        bank_account_review(bank_account=known_account, by=known_account.owner, verified=True)


def test_only_the_owner_removes_an_account_and_it_takes_no_new_payouts(earner, known_account):
    with pytest.raises(NotFound):
        bank_account_deactivate(bank_account=known_account, by=UserFactory())

    removed = bank_account_deactivate(bank_account=known_account, by=earner)

    assert removed.is_active is False
    with pytest.raises(NotFound) as refused:
        request(earner, removed)
    assert refused.value.code == "bank_account_not_found"


# --- the request ------------------------------------------------------------------------


def test_a_request_claims_the_money_and_is_approved_for_a_known_account(earner, known_account):
    # when
    payout = request(earner, known_account, 5_000)

    # then: the money left the balance for the payout in flight, in one entry
    assert payout.status == PayoutStatus.APPROVED
    assert (payout.amount_yen, payout.fee_yen, payout.net_yen) == (5_000, FEE, 4_900)
    assert payout.withdraw_entry.kind == EntryKind.WITHDRAW
    assert money(earner)["balance"] == EARNED - 5_000
    assert money(earner)["in_flight"] == 5_000
    event = AuditEvent.objects.get(machine="payout", object_id=payout.pk)
    assert (event.from_state, event.to_state, event.actor) == ("requested", "approved", None)
    assert_consistent()


def test_a_request_to_a_new_account_is_held_for_review(earner):
    # given: an account registered today
    account = register(earner)

    # when
    payout = request(earner, account)

    # then: the money is claimed all the same, and waits
    assert payout.status == PayoutStatus.HELD_FOR_REVIEW
    assert payout.hold_reasons == "new_account"
    assert money(earner)["in_flight"] == 5_000
    assert_consistent()


def test_a_flagged_account_or_an_unverified_worker_is_held(earner, known_account, operator):
    # given
    bank_account_review(bank_account=known_account, by=operator, verified=False)
    User.objects.filter(pk=earner.pk).update(identity_status=IdentityStatus.UNVERIFIED)
    earner.refresh_from_db()

    # when
    payout = request(earner, known_account)

    # then
    assert payout.status == PayoutStatus.HELD_FOR_REVIEW
    assert payout.hold_reasons == "account_flagged,identity_unverified"


def test_a_verified_new_account_is_not_held(earner, operator):
    account = register(earner)
    bank_account_review(bank_account=account, by=operator, verified=True)

    assert request(earner, account).status == PayoutStatus.APPROVED


@pytest.mark.parametrize("amount", [999, 0, -1, 1.5, True])
def test_a_request_below_the_minimum_or_not_whole_yen_is_refused(earner, known_account, amount):
    before = table_counts()

    with pytest.raises(RuleViolation) as refused:
        request(earner, known_account, amount)

    assert refused.value.code in {"payout_below_minimum", "invalid_amount"}
    assert refused.value.code == ("payout_below_minimum" if amount == 999 else "invalid_amount")
    assert table_counts() == before


def test_the_minimum_is_above_the_fee_whatever_the_settings(earner, known_account, settings):
    settings.TSUNAGU_PAYOUT_MINIMUM_YEN = 1

    with pytest.raises(RuleViolation) as refused:
        request(earner, known_account, FEE)

    assert refused.value.code == "payout_below_minimum"
    assert refused.value.extra["minimum_yen"] == FEE + 1


def test_a_request_beyond_the_balance_is_refused_and_nothing_is_written(earner, known_account):
    before = table_counts()

    with pytest.raises(RuleViolation) as refused:
        request(earner, known_account, EARNED + 1)

    assert refused.value.code == "insufficient_funds"
    assert table_counts() == before
    assert money(earner)["balance"] == EARNED


def test_a_worker_cannot_pay_out_to_someone_elses_or_a_removed_account(earner, known_account):
    # given
    strangers = BankAccountFactory()
    removed = BankAccountFactory(owner=earner, is_active=False)

    # when / then
    for account in (strangers, removed):
        with pytest.raises(NotFound) as refused:
            request(earner, account)
        assert refused.value.code == "bank_account_not_found"
    assert Payout.objects.count() == 0


def test_a_retried_request_pays_out_once(earner, known_account):
    # when
    first = request(earner, known_account, 5_000, key="same")
    again = request(earner, known_account, 5_000, key="same")

    # then
    assert again.pk == first.pk
    assert Payout.objects.count() == 1
    assert money(earner)["balance"] == EARNED - 5_000


def test_a_request_key_cannot_be_reused_for_another_amount(earner, known_account):
    request(earner, known_account, 5_000, key="same")

    with pytest.raises(Conflict) as refused:
        request(earner, known_account, 2_000, key="same")

    assert refused.value.code == "dedupe_key_reused"


def test_a_request_needs_a_dedupe_key(earner, known_account):
    with pytest.raises(DomainError) as refused:
        request(earner, known_account, key="")
    assert refused.value.code == "invalid_dedupe_key"


def test_two_requests_cannot_spend_one_balance(earner, known_account):
    request(earner, known_account, 5_000, key="a")

    with pytest.raises(RuleViolation) as refused:
        request(earner, known_account, 5_000, key="b")

    assert refused.value.code == "insufficient_funds"
    assert Payout.objects.count() == 1


# --- the operators' steps ---------------------------------------------------------------


def test_the_happy_path_moves_the_money_to_the_bank_less_the_fee(earner, known_account, operator):
    # given
    before = money(earner)
    payout = request(earner, known_account, 5_000)

    # when: sent; the money stays in flight until the bank confirms
    payout = payout_mark_sent(payout=payout, by=operator)
    assert payout.status == PayoutStatus.SENT
    assert payout.sent_at is not None
    assert money(earner)["in_flight"] == 5_000
    assert_consistent()

    # when: paid
    payout = payout_mark_paid(payout=payout, by=operator)

    # then: in flight is empty, the bank got the net, the platform the fee and its tax
    assert payout.status == PayoutStatus.PAID
    assert payout.settle_entry is not None
    assert payout.settle_entry.kind == EntryKind.PAYOUT_PAID
    assert money(earner) == {
        "balance": EARNED - 5_000,
        "in_flight": 0,
        "paid_out": before["paid_out"] + 4_900,
        "fee": before["fee"] + FEE - FEE_TAX,
        "fee_tax": before["fee_tax"] + FEE_TAX,
    }
    steps = AuditEvent.objects.filter(machine="payout", object_id=payout.pk).order_by("id")
    assert [(e.to_state, e.actor) for e in steps] == [
        ("approved", None),
        ("sent", operator),
        ("paid", operator),
    ]
    assert_consistent()


def test_a_held_payout_is_approved_by_an_operator_then_sent(earner, operator):
    payout = request(earner, register(earner))

    payout = payout_review(payout=payout, by=operator, approve=True)
    assert payout.status == PayoutStatus.APPROVED
    assert payout_mark_sent(payout=payout, by=operator).status == PayoutStatus.SENT


def test_a_rejected_payout_returns_the_money_to_the_balance(earner, operator):
    # given
    payout = request(earner, register(earner))

    # when
    payout = payout_review(payout=payout, by=operator, approve=False, reason="名義が違います")

    # then
    assert payout.status == PayoutStatus.REJECTED
    assert payout.failure_reason == "名義が違います"
    assert payout.settle_entry.kind == EntryKind.PAYOUT_FAILED
    assert money(earner)["balance"] == EARNED
    assert money(earner)["in_flight"] == 0
    assert_consistent()


@pytest.mark.parametrize("sent", [False, True])
def test_a_failed_payout_returns_the_whole_amount_to_the_balance(
    earner, known_account, operator, sent
):
    # given: an approved payout, sent or not yet
    before = money(earner)
    payout = request(earner, known_account, 5_000)
    if sent:
        payout = payout_mark_sent(payout=payout, by=operator)

    # when
    payout = payout_mark_failed(payout=payout, by=operator, reason="口座解約済み")

    # then: no fee is charged, the money is back
    assert payout.status == PayoutStatus.FAILED
    assert payout.failure_reason == "口座解約済み"
    assert payout.settle_entry.reverses == payout.withdraw_entry
    assert money(earner) == before
    assert_consistent()

    # and it cannot be paid afterwards
    with pytest.raises(Conflict) as refused:
        payout_mark_paid(payout=payout, by=operator)
    assert refused.value.code == "illegal_transition"
    assert money(earner) == before


def test_a_payout_is_sent_once(earner, known_account, operator):
    # given
    payout = request(earner, known_account)
    payout_mark_sent(payout=payout, by=operator)
    before = table_counts()

    # when / then: a second send is refused, even from a stale copy of the row
    with pytest.raises(Conflict) as refused:
        payout_mark_sent(payout=payout, by=operator)
    assert refused.value.code == "payout_already_sent"
    assert refused.value.status == 409
    assert table_counts() == before


def test_a_payout_is_paid_once(earner, known_account, operator):
    payout = payout_mark_sent(payout=request(earner, known_account), by=operator)
    payout_mark_paid(payout=payout, by=operator)
    after_first = money(earner)

    with pytest.raises(Conflict) as refused:
        payout_mark_paid(payout=payout, by=operator)

    assert refused.value.code == "illegal_transition"
    assert money(earner) == after_first
    assert_consistent()


def test_a_held_payout_cannot_be_sent_and_an_approved_one_not_reviewed(
    earner, known_account, operator
):
    held = request(earner, register(earner), 2_000, key="held")
    approved = request(earner, known_account, 2_000, key="approved")

    with pytest.raises(Conflict) as not_approved:
        payout_mark_sent(payout=held, by=operator)
    with pytest.raises(Conflict) as not_held:
        payout_review(payout=approved, by=operator, approve=True)

    assert not_approved.value.code == not_held.value.code == "illegal_transition"
    assert not_approved.value.extra["state"] == "held_for_review"


def test_a_failure_needs_a_reason(earner, known_account, operator):
    payout = request(earner, known_account)

    with pytest.raises(RuleViolation) as refused:
        payout_mark_failed(payout=payout, by=operator, reason="  ")

    assert refused.value.code == "reason_required"


def test_only_operators_take_the_steps(earner, known_account):
    payout = request(earner, known_account)

    for step in (
        lambda: payout_review(payout=payout, by=earner, approve=True),
        lambda: payout_mark_sent(payout=payout, by=earner),
        lambda: payout_mark_paid(payout=payout, by=earner),
        lambda: payout_mark_failed(payout=payout, by=earner, reason="x"),
        lambda: payouts_transfer_csv(payouts=[payout], by=earner),
    ):
        with pytest.raises(PermissionDenied):
            step()


def test_money_withdrawn_without_a_payout_shows_as_a_payout_problem(earner):
    services.balance_withdraw(
        worker_reference=f"user:{earner.pk}", amount_yen=1_000, dedupe_key="bare"
    )

    assert payout_problems() == [
        f"payout_in_flight:user:{earner.pk} holds 1000 yen, open payouts add up to 0"
    ]


# --- the transfer file and the back office ---------------------------------------------


def test_the_transfer_file_holds_the_approved_payouts_in_clear(earner, known_account, operator):
    # given: one approved and one held payout
    approved = request(earner, known_account, 3_000, key="a")
    held = request(earner, register(earner), 2_000, key="b")

    # when
    content = payouts_transfer_csv(payouts=Payout.objects.all(), by=operator)

    # then
    assert content.splitlines() == [
        "payout_id,bank_code,branch_code,account_type,account_number,holder_name,amount_yen",
        f"{approved.pk},0001,001,1,1234567,ヤマダ\u3000タロウ,2900",
    ]
    assert held.status == PayoutStatus.HELD_FOR_REVIEW  # left out


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def admin_action(operator_client, action: str, payouts: list[Payout], **extra: str):
    return operator_client.post(
        reverse("admin:payments_payout_changelist"),
        {"action": action, "_selected_action": [p.pk for p in payouts], **extra},
    )


def test_operators_take_a_payout_through_its_steps_in_the_back_office(
    operator_client, earner, known_account
):
    # given
    payout = request(earner, known_account, 5_000)

    # when: the transfer file, then sent, then paid
    download = admin_action(operator_client, "download_transfer_file", [payout])
    admin_action(operator_client, "mark_sent", [payout])
    admin_action(operator_client, "mark_paid", [payout])

    # then
    assert download["Content-Type"].startswith("text/csv")
    assert "no-store" in download["Cache-Control"]  # bank details: no copy in caches
    assert "1234567" in download.content.decode()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert_consistent()


def test_marking_failed_in_the_back_office_asks_for_a_reason_first(
    operator_client, earner, known_account
):
    # given
    payout = request(earner, known_account, 5_000)

    # when: the action first shows the reason form, and acts once it is posted
    asked = admin_action(operator_client, "mark_failed", [payout])
    payout.refresh_from_db()
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert payout.status == PayoutStatus.APPROVED

    admin_action(operator_client, "mark_failed", [payout], apply="1", reason="口座なし")

    # then
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert payout.failure_reason == "口座なし"
    assert money(earner)["balance"] == EARNED


def test_the_back_office_shows_bank_accounts_masked(operator_client, known_account):
    listing = operator_client.get(reverse("admin:payments_bankaccount_changelist"))
    record = operator_client.get(
        reverse("admin:payments_bankaccount_change", args=[known_account.pk])
    )

    for page in (listing, record):
        text = page.content.decode()
        assert page.status_code == 200
        assert "***4567" in text
        assert "1234567" not in text
        assert known_account.account_number_encrypted not in text


def test_operators_review_held_payouts_in_the_back_office(operator_client, earner):
    held = request(earner, register(earner), 2_000, key="h1")
    rejected = request(earner, register(earner), 2_000, key="h2")

    admin_action(operator_client, "approve", [held])
    admin_action(operator_client, "reject", [rejected], apply="1", reason="本人確認中")

    held.refresh_from_db()
    rejected.refresh_from_db()
    assert held.status == PayoutStatus.APPROVED
    assert rejected.status == PayoutStatus.REJECTED
    assert money(earner)["in_flight"] == 2_000
    assert_consistent()


# --- races (PostgreSQL) ----------------------------------------------------------------


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_of_many_concurrent_sends_of_one_payout_exactly_one_succeeds():
    from tests.payments.test_concurrency import race

    # given
    worker = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    earn(worker)
    operator = UserFactory(is_staff=True)
    account = BankAccountFactory(owner=worker, created_at=timezone.now() - timedelta(days=30))
    payout = request(worker, account)

    # when
    outcomes = race(lambda _index: payout_mark_sent(payout=payout, by=operator), threads=8)

    # then
    sent = [outcome for outcome in outcomes if isinstance(outcome, Payout)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(sent) == 1
    assert len(refused) == 7
    assert {error.code for error in refused} == {"payout_already_sent"}
    assert AuditEvent.objects.filter(machine="payout", to_state="sent").count() == 1


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_overdraw_the_balance():
    from tests.payments.test_concurrency import race

    # given: ¥8,580, and eight requests of ¥2,000
    worker = WorkerFactory(identity_status=IdentityStatus.VERIFIED)
    earn(worker)
    account = BankAccountFactory(owner=worker, created_at=timezone.now() - timedelta(days=30))

    # when
    outcomes = race(lambda index: request(worker, account, 2_000, key=f"r{index}"), threads=8)

    # then: four fit
    assert sum(isinstance(outcome, Payout) for outcome in outcomes) == 4
    assert {o.code for o in outcomes if isinstance(o, DomainError)} == {"insufficient_funds"}
    assert money(worker)["balance"] == EARNED - 8_000
    assert_consistent()
