"""The demo market: the command, its rows' rules, determinism and the truth file."""

import hashlib
import json
from datetime import UTC, datetime
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from tests.factories import ClientFactory
from tsunagu.accounts.models import User, WorkerProfile
from tsunagu.demo.market import market_draw
from tsunagu.demo.services import DemoSize, demo_market_build
from tsunagu.errors import Conflict
from tsunagu.skills.models import Evidence, WorkerSkill
from tsunagu.work.models import (
    CompetitionEntry,
    Contract,
    ContractStatus,
    Invitation,
    InvitationKind,
    Job,
    JobFormat,
    JobSkill,
    JobStatus,
    Message,
    Milestone,
    Proposal,
    Review,
    ReviewDirection,
    TaskParticipation,
    Thread,
    Visibility,
)

pytestmark = pytest.mark.django_db(transaction=False)

SMALL = DemoSize(workers=60, clients=15, months=6, seed=7)
MONEYED = DemoSize(workers=800, clients=120, months=6, seed=7)
NOW = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
TRUTH_KEYS = {
    "format_version",
    "seed",
    "market",
    "currency",
    "categories",
    "premiums",
    "anchor_premium",
    "price",
    "fit",
    "apply",
    "hire",
    "satisfaction",
    "workers",
    "clients",
}


class _Undo(Exception):
    """Raised to roll a build back inside a test's transaction."""


@pytest.fixture
def small_market(tmp_path):
    return demo_market_build(size=SMALL, now=timezone.now(), truth_path=tmp_path / "truth.json")


def fingerprint() -> str:
    """A digest of the market's rows by natural keys, without ids or update stamps."""
    rows = [
        list(User.objects.order_by("pk").values_list("email", "display_name", "date_joined")),
        list(
            Job.objects.order_by("pk").values_list(
                "client__email", "format", "title", "budget_yen", "status", "created_at"
            )
        ),
        list(Proposal.objects.order_by("pk").values_list("worker__email", "price_yen", "status")),
        list(Contract.objects.order_by("pk").values_list("worker__email", "price_yen", "status")),
        list(Review.objects.order_by("pk").values_list("author__email", "overall", "comment")),
        list(Message.objects.order_by("pk").values_list("sender__email", "body", "created_at")),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def build_and_fingerprint(size: DemoSize, tmp_path) -> str:
    """Build inside a savepoint, take the fingerprint, roll the build back."""
    digest = ""
    try:
        with transaction.atomic():
            demo_market_build(size=size, now=NOW, truth_path=tmp_path / f"{size.seed}.json")
            digest = fingerprint()
            raise _Undo
    except _Undo:
        pass
    return digest


def test_the_command_builds_a_small_market_and_prints_only_the_showcase_accounts(tmp_path):
    # given
    out = StringIO()

    # when
    call_command(
        "demo",
        workers=60,
        clients=15,
        months=6,
        seed=7,
        truth=tmp_path / "truth.json",
        verbosity=0,
        stdout=out,
    )

    # then
    text = out.getvalue()
    assert User.objects.count() == 1 + 60 + 15
    assert {"worker@demo.tsunagu.test", "client@demo.tsunagu.test"} <= set(
        User.objects.values_list("email", flat=True)
    )
    assert User.objects.get(email="operator@demo.tsunagu.test").is_superuser
    assert "tsunagu-demo-2026" in text
    assert "worker@demo.tsunagu.test" in text and "operator@demo.tsunagu.test" in text
    assert "worker000001" not in text and "client00001" not in text
    assert str(tmp_path / "truth.json") in text
    assert set(Job.objects.values_list("format", flat=True)) == set(JobFormat.values)


def test_every_demo_account_signs_in_with_the_demo_password(small_market):
    users = User.objects.all()

    assert all(user.check_password("tsunagu-demo-2026") for user in users)
    assert len(set(User.objects.values_list("password", flat=True))) == 1


def test_if_empty_does_nothing_when_the_market_has_users(tmp_path):
    # given
    ClientFactory()
    out = StringIO()

    # when
    call_command("demo", if_empty=True, truth=tmp_path / "truth.json", stdout=out)

    # then
    assert User.objects.count() == 1
    assert not Job.objects.exists()
    assert not (tmp_path / "truth.json").exists()
    assert "already has users" in out.getvalue()


def test_a_second_build_is_refused(small_market, tmp_path):
    with pytest.raises(Conflict) as refusal:
        demo_market_build(size=SMALL, now=timezone.now(), truth_path=tmp_path / "again.json")

    assert refusal.value.code == "demo_exists"


def test_the_same_seed_gives_the_same_market_and_another_seed_another(tmp_path):
    first = build_and_fingerprint(SMALL, tmp_path)
    again = build_and_fingerprint(SMALL, tmp_path)
    other = build_and_fingerprint(DemoSize(workers=60, clients=15, months=6, seed=8), tmp_path)

    assert first == again
    assert first != other


def test_the_truth_file_has_the_documented_fields_and_measurable_premiums(small_market):
    # given
    truth = json.loads(small_market.truth_path.read_text(encoding="utf-8"))

    # then
    assert set(truth) == TRUTH_KEYS
    assert truth["seed"] == SMALL.seed
    measurable = [p for p in truth["premiums"] if abs(p["factor"] - 1.0) >= 0.2]
    assert len(measurable) >= 30
    anchor = [
        p for p in truth["premiums"] if (p["category"], p["skill"]) == ("data-entry", "excel-vba")
    ]
    assert len(anchor) == 1 and anchor[0]["factor"] == pytest.approx(5.0, rel=0.01)
    assert {c["slug"] for c in truth["categories"]} >= {"data-entry", "design", "writing"}
    workers = truth["workers"]
    assert len(workers["user_id"]) == len(workers["quality"]) == SMALL.workers
    assert set(workers) == {"user_id", "quality", "apply_propensity", "accept_propensity"}
    assert set(truth["clients"]) == {
        "user_id",
        "hire_propensity",
        "posting_rate_per_month",
        "clarity",
    }
    profiles = set(WorkerProfile.objects.values_list("user_id", flat=True))
    assert set(workers["user_id"]) == profiles


def test_every_contract_obeys_the_contract_rules(small_market):
    contracts = Contract.objects.annotate(planned=Sum("milestones__amount_yen"))

    assert contracts.exists()
    for contract in contracts:
        assert contract.planned == contract.price_yen
        assert 0 <= contract.payment_due_days <= 60
        assert contract.client_id != contract.worker_id
        assert (contract.proposal_id is None) != (contract.invitation_id is None)
        assert Thread.objects.filter(contract=contract).count() == 1
    for proposal in Proposal.objects.annotate(planned=Sum("milestones__amount_yen")):
        assert proposal.planned == proposal.price_yen
    assert not Milestone.objects.filter(
        contract__status=ContractStatus.COMPLETED, status__in=["pending", "funded"]
    ).exists()
    offers = Invitation.objects.filter(kind=InvitationKind.DIRECT_OFFER, contract__isnull=False)
    for offer in offers.select_related("contract"):
        assert offer.contract.price_yen == offer.offer_price_yen


def test_completion_proves_skills_and_counts_on_profiles(small_market):
    done = Contract.objects.filter(status=ContractStatus.COMPLETED)

    assert done.exists()
    for held in WorkerSkill.objects.all():
        used = done.filter(worker_id=held.worker_id, job__job_skills__skill_id=held.skill_id)
        assert held.proven_contracts == used.count()
        assert (held.evidence == Evidence.PROVEN) == (held.proven_contracts > 0)
    for profile in WorkerProfile.objects.all():
        mine = done.filter(worker_id=profile.user_id)
        assert profile.completed_contracts == mine.count()
        assert profile.earned_total_yen == (mine.aggregate(s=Sum("price_yen"))["s"] or 0)
        reviews = Review.objects.filter(
            subject_id=profile.user_id, direction=ReviewDirection.OF_WORKER
        )
        assert profile.rating_count == reviews.count()
        assert profile.rating_sum == (reviews.aggregate(s=Sum("overall"))["s"] or 0)


def test_reviews_follow_completed_contracts_once_per_side(small_market):
    reviews = Review.objects.select_related("contract")

    assert reviews.filter(direction=ReviewDirection.OF_WORKER).exists()
    assert reviews.filter(direction=ReviewDirection.OF_CLIENT).exists()
    for review in reviews:
        assert review.contract.status == ContractStatus.COMPLETED
        assert review.created_at >= review.contract.completed_at
        parties = {review.contract.client_id, review.contract.worker_id}
        assert {review.author_id, review.subject_id} == parties
    per_side = Review.objects.values("contract", "author").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in per_side)


def test_the_market_has_open_recent_jobs_and_finished_past_ones(small_market):
    now = timezone.now()
    listed = Job.objects.filter(
        status=JobStatus.OPEN, visibility=Visibility.PUBLIC, deadline__gt=now
    )

    assert listed.count() >= 5
    assert Job.objects.filter(status__in=[JobStatus.CLOSED, JobStatus.COMPLETED]).exists()
    assert not Job.objects.filter(status=JobStatus.OPEN, closed_at__isnull=False).exists()
    assert not Job.objects.exclude(status=JobStatus.OPEN).filter(closed_at__isnull=True).exists()
    assert not Job.objects.filter(created_at__gt=now).exists()
    assert Contract.objects.filter(status=ContractStatus.ACTIVE).exists()


def test_taking_part_obeys_the_rules_of_the_services(small_market):
    # Invited-only projects hear only from workers who were invited.
    for proposal in Proposal.objects.filter(job__visibility=Visibility.INVITED):
        assert Invitation.objects.filter(job=proposal.job, worker=proposal.worker).exists()
    # Nobody works on their own job.
    assert not Proposal.objects.filter(worker=F("job__client")).exists()
    for join in TaskParticipation.objects.select_related("batch"):
        batch = join.batch
        assert join.units_done <= batch.per_worker_cap
        if batch.qualification_skill_id is not None:
            assert WorkerSkill.objects.filter(
                worker_id=join.worker_id,
                skill_id=batch.qualification_skill_id,
                level__gte=batch.qualification_min_level,
            ).exists()
    for entry in CompetitionEntry.objects.filter(status="won").select_related("competition"):
        assert entry.competition.awarded_at is not None
    for job in Job.objects.filter(format=JobFormat.PROJECT):
        assert JobSkill.objects.filter(job=job, required=True).exists()


def test_data_entry_by_a_macro_writer_is_priced_about_five_times_as_much():
    # given: a market drawn without the database, big enough to measure
    market = market_draw(seed=3, n_workers=4000, n_clients=600, months=12)
    proposals, jobs, catalog = market.hiring.proposals, market.jobs, market.catalog
    data_entry = jobs.category[proposals.job] == catalog.category_index("data-entry")
    macro = catalog.skill_index("excel-vba")

    # when: price over budget, holders of the macro skill against the others
    sets = market.workers.skills
    holder = np.zeros(len(market.workers), dtype=bool)
    holder[sets.worker[sets.skill == macro]] = True
    ratio = np.log(market.money.proposal / jobs.budget_yen[proposals.job])
    with_macro = data_entry & (holder[proposals.worker])
    without = data_entry & (~holder[proposals.worker])

    # then
    assert with_macro.sum() >= 50 and without.sum() >= 50
    factor = float(np.exp(ratio[with_macro].mean() - ratio[without].mean()))
    assert 3.0 < factor < 8.0


def test_the_active_orders_are_carried_forward_through_the_services(small_market):
    from tsunagu.payments.selectors import ledger_check
    from tsunagu.process.sweep import sweep_run

    # then: money moved, and the ledger the services made is consistent
    assert ledger_check().problems == []
    states = set(
        Milestone.objects.filter(contract__status=ContractStatus.ACTIVE).values_list(
            "status", flat=True
        )
    )
    status_of = {
        "unpaid": "pending",
        "transfer_pending": "pending",
        "in_progress": "funded",
        "revision": "funded",
        "awaiting_review": "submitted",
        "review_overdue": "submitted",
        "approved": "approved",
        "cancelled": "cancelled",
    }
    outcomes = small_market.money.outcomes
    assert len(outcomes) >= 3
    assert {status_of[outcome] for outcome in outcomes} <= states

    # when: the sweep runs twice
    first = sweep_run().deliveries_auto_approved
    second = sweep_run().deliveries_auto_approved

    # then: the overdue deliveries were approved once
    assert first == small_market.money.outcomes.get("review_overdue", 0)
    assert second == 0
    assert ledger_check().problems == []


def test_workers_with_money_are_paid_out_through_the_payout_services(tmp_path):
    from tsunagu.payments.models import BankAccount, Payout
    from tsunagu.payments.payouts import payout_problems
    from tsunagu.payments.selectors import ledger_check

    # given: a market large enough for a few workers to have earned money
    # (the small one's few active orders release nothing)
    built = demo_market_build(size=MONEYED, now=timezone.now(), truth_path=tmp_path / "t.json")

    # then: every payout went to its worker's own account, and each state shows
    payouts = built.money.payouts
    assert {"held_for_review", "approved", "sent", "paid", "failed"} <= set(payouts)
    assert sum(payouts.values()) == Payout.objects.count() > 0
    assert not Payout.objects.exclude(bank_account__owner=F("worker")).exists()
    assert BankAccount.objects.count() == Payout.objects.count()
    failed = Payout.objects.get(status="failed")
    assert failed.failure_reason and failed.settle_entry is not None

    # and the ledger agrees, money in flight included
    assert ledger_check().problems == []
    assert payout_problems() == []
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().startswith("ledger OK")
