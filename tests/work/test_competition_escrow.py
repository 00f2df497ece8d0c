"""Competitions with money: one hold per prize, a shortlist, several winners each paid,
prizes nobody won refunded, and the sweep closing competitions left without winners."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.db_state import table_counts
from tests.factories import CompetitionFactory, WorkerFactory
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import DomainError
from tsunagu.payments.models import AccountKind, Hold, HoldState, PaymentStatus, Posting
from tsunagu.payments.selectors import account_balance, ledger_check
from tsunagu.process.sweep import sweep_run
from tsunagu.work import escrow, services
from tsunagu.work.models import CompetitionEntry, EntryStatus, JobStatus

pytestmark = pytest.mark.django_db

CARD = "tok_visa"


def competition_with_entries(*, winners: int, entries: int, prize: int = 10_000):
    competition = CompetitionFactory(prize_yen=prize, winner_count=winners)
    made = [
        CompetitionEntry.objects.create(
            competition=competition, worker=WorkerFactory(), title=f"案{n}"
        )
        for n in range(entries)
    ]
    return competition, competition.job, made


def fund(job) -> None:
    escrow.competition_fund(job=job, by=job.client, method="card", card_token=CARD)


def balance(entry) -> int:
    return account_balance(kind=AccountKind.WORKER_BALANCE, reference=f"user:{entry.worker_id}")


def card_account() -> int:
    return account_balance(kind=AccountKind.EXTERNAL, reference="provider:card")


def holds(competition) -> list[str]:
    return list(
        Hold.objects.filter(reference__startswith=f"competition:{competition.pk}:")
        .order_by("reference")
        .values_list("state", flat=True)
    )


def refused(code: str, call, **kwargs) -> None:
    before = table_counts()
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert error.value.code == code
    assert table_counts() == before


# --- shortlist -----------------------------------------------------------------------


def test_the_client_shortlists_entries():
    _competition, job, (first, second, third) = competition_with_entries(winners=1, entries=3)

    shortlisted = services.competition_shortlist(job=job, by=job.client, entries=[first, second])
    again = services.competition_shortlist(job=job, by=job.client, entries=[second])

    assert [e.status for e in shortlisted] == [EntryStatus.SHORTLISTED] * 2
    assert [e.status for e in again] == [EntryStatus.SHORTLISTED]
    third.refresh_from_db()
    assert third.status == EntryStatus.SUBMITTED
    assert AuditEvent.objects.filter(machine="entry", to_state="shortlisted").count() == 2


def test_shortlist_refusals():
    _competition, job, (entry,) = competition_with_entries(winners=1, entries=1)
    _other, _job, (elsewhere,) = competition_with_entries(winners=1, entries=1)

    refused("not_found", services.competition_shortlist, job=job, by=entry.worker, entries=[entry])
    refused(
        "invalid_entries",
        services.competition_shortlist,
        job=job,
        by=job.client,
        entries=[elsewhere],
    )
    services.competition_award(job=job, by=job.client, winners=[entry])
    refused(
        "already_awarded", services.competition_shortlist, job=job, by=job.client, entries=[entry]
    )


# --- several winners ------------------------------------------------------------------------


def test_each_winner_gets_their_own_prize_in_the_order_named():
    competition, job, (first, second, third) = competition_with_entries(winners=2, entries=3)
    fund(job)
    services.competition_shortlist(job=job, by=job.client, entries=[first, third])

    services.competition_award(job=job, by=job.client, winners=[third, first])

    job.refresh_from_db()
    statuses = dict(competition.entries.values_list("pk", "status"))
    assert statuses == {
        first.pk: EntryStatus.WON,
        second.pk: EntryStatus.NOT_SELECTED,
        third.pk: EntryStatus.WON,
    }
    assert (balance(first), balance(second), balance(third)) == (8_580, 0, 8_580)
    assert holds(competition) == [HoldState.RELEASED, HoldState.RELEASED]
    first_prize = Posting.objects.get(
        entry__reference=f"competition:{competition.pk}:prize:1",
        account__kind=AccountKind.WORKER_BALANCE,
    )
    assert first_prize.account.reference == f"user:{third.worker_id}"
    assert job.status == JobStatus.COMPLETED
    assert ledger_check().problems == []


def test_a_prize_nobody_won_goes_back_to_the_client_on_award():
    competition, job, (first, _second) = competition_with_entries(winners=3, entries=2)
    fund(job)

    services.competition_award(job=job, by=job.client, winners=[first])

    assert balance(first) == 8_580
    assert holds(competition) == [HoldState.RELEASED, HoldState.REFUNDED, HoldState.REFUNDED]
    assert card_account() == -11_000  # two of the three ¥11,000 prizes came back
    assert ledger_check().problems == []


def test_a_declined_card_pays_no_prize_at_all():
    competition, job, _entries = competition_with_entries(winners=3, entries=0)

    refused(
        "card_declined",
        escrow.competition_fund,
        job=job,
        by=job.client,
        method="card",
        card_token="tok_declined",
    )
    assert holds(competition) == []


def test_prizes_are_paid_once():
    _competition, job, _entries = competition_with_entries(winners=2, entries=0)
    fund(job)

    refused(
        "payment_exists",
        escrow.competition_fund,
        job=job,
        by=job.client,
        method="card",
        card_token=CARD,
    )


# --- nobody awarded ----------------------------------------------------------------------


def test_the_client_closes_a_competition_without_winners_and_gets_every_prize_back():
    competition, job, (entry,) = competition_with_entries(winners=2, entries=1)
    fund(job)

    with time_machine.travel(job.deadline + timedelta(hours=1)):
        services.competition_close_unawarded(job=job, by=job.client)

    job.refresh_from_db()
    entry.refresh_from_db()
    assert job.status == JobStatus.CLOSED
    assert entry.status == EntryStatus.NOT_SELECTED
    assert holds(competition) == [HoldState.REFUNDED, HoldState.REFUNDED]
    assert card_account() == 0
    assert set(job.client.payments.values_list("status", flat=True)) == {PaymentStatus.REFUNDED}
    assert ledger_check().problems == []

    # and it can no longer be paid for or awarded
    refused(
        "competition_closed", services.competition_award, job=job, by=job.client, winners=[entry]
    )
    refused(
        "competition_closed",
        escrow.competition_fund,
        job=job,
        by=job.client,
        method="card",
        card_token=CARD,
    )


def test_closing_without_winners_waits_for_the_deadline_while_entries_are_live():
    _competition, job, (entry,) = competition_with_entries(winners=1, entries=1)
    fund(job)

    refused("competition_still_open", services.competition_close_unawarded, job=job, by=job.client)
    refused("not_found", services.competition_close_unawarded, job=job, by=entry.worker)
    services.competition_award(job=job, by=job.client, winners=[entry])
    refused("already_awarded", services.competition_close_unawarded, job=job, by=job.client)


def test_the_sweep_closes_a_competition_left_without_winners(settings):
    settings.TSUNAGU_COMPETITION_AWARD_DAYS = 7
    competition, job, (entry,) = competition_with_entries(winners=1, entries=1)
    fund(job)

    with time_machine.travel(job.deadline + timedelta(days=6)):
        assert sweep_run().competitions_closed == 0
    with time_machine.travel(job.deadline + timedelta(days=7, minutes=1)):
        assert sweep_run().competitions_closed == 1
        assert sweep_run().competitions_closed == 0

    job.refresh_from_db()
    assert job.status == JobStatus.CLOSED
    assert holds(competition) == [HoldState.REFUNDED]
    assert balance(entry) == 0
    assert ledger_check().problems == []


def test_the_sweep_leaves_awarded_competitions_alone(settings):
    competition, job, (entry,) = competition_with_entries(winners=1, entries=1)
    fund(job)
    services.competition_award(job=job, by=job.client, winners=[entry])

    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert sweep_run().competitions_closed == 0
    assert holds(competition) == [HoldState.RELEASED]


# --- the API ---------------------------------------------------------------------------


def test_shortlist_award_in_order_and_close_over_the_api():
    _competition, job, (first, second) = competition_with_entries(winners=2, entries=2)
    fund(job)
    browser = Client()
    browser.force_login(job.client)

    shortlisted = browser.post(
        f"/api/v1/jobs/{job.pk}/shortlist",
        {"entry_ids": [second.pk]},
        content_type="application/json",
    )
    awarded = browser.post(
        f"/api/v1/jobs/{job.pk}/award",
        {"entry_ids": [second.pk, first.pk]},
        content_type="application/json",
    )
    closing = browser.post(
        f"/api/v1/jobs/{job.pk}/close-unawarded", headers={"Idempotency-Key": "close-1"}
    )

    assert shortlisted.status_code == 200
    assert [entry["status"] for entry in shortlisted.json()] == ["shortlisted"]
    assert awarded.status_code == 200
    assert (balance(first), balance(second)) == (8_580, 8_580)
    assert closing.status_code == 409
    assert closing.json()["code"] == "already_awarded"
