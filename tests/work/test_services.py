from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    CompetitionJobFactory,
    ContractFactory,
    JobFactory,
    ProposalFactory,
    TaskJobFactory,
    WorkerFactory,
    WorkerSkillFactory,
    category,
    skill,
)
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.skills.models import WorkerSkill
from tsunagu.work import escrow, services
from tsunagu.work.models import Contract, JobSkill, JobStatus, MilestoneStatus, ProposalStatus
from tsunagu.work.services import (
    CompetitionTerms,
    MilestonePlan,
    SkillRequirement,
    TaskTerms,
)

pytestmark = pytest.mark.django_db


def in_days(days: int):
    return timezone.now() + timedelta(days=days)


def test_a_task_batch_budget_is_units_times_unit_price(client_user):
    job = services.job_post(
        client=client_user,
        format="task",
        category=category("data-entry"),
        title="名刺データの入力",
        description="名刺画像から氏名と会社名を入力してください。",
        deadline=in_days(7),
        task=TaskTerms(unit_count=300, unit_price_yen=40, per_worker_cap=50),
    )

    assert job.budget_yen == 12_000
    assert job.task_batch.unit_count == 300


def test_a_competition_budget_is_the_prizes(client_user):
    job = services.job_post(
        client=client_user,
        format="competition",
        category=category("design"),
        title="ロゴ募集",
        description="新しいカフェのロゴを募集します。",
        deadline=in_days(10),
        competition=CompetitionTerms(prize_yen=20_000, winner_count=2),
    )

    assert job.budget_yen == 40_000


def test_posting_records_required_and_nice_to_have_skills(client_user):
    job = services.job_post(
        client=client_user,
        format="project",
        category=category("data-entry"),
        title="在庫表の自動化",
        description="VBAで在庫表を自動化",
        deadline=in_days(7),
        budget_yen=80_000,
        skills=[
            SkillRequirement(skill=skill("excel-vba"), min_level=3),
            SkillRequirement(skill=skill("excel"), required=False),
        ],
    )

    rows = {(js.skill.slug, js.required, js.min_level) for js in JobSkill.objects.filter(job=job)}
    assert rows == {("excel-vba", True, 3), ("excel", False, 1)}


def test_a_cap_above_the_units_is_refused(client_user):
    with pytest.raises(DomainError) as refused:
        services.job_post(
            client=client_user,
            format="task",
            category=category("data-entry"),
            title="入力",
            description="入力作業",
            deadline=in_days(7),
            task=TaskTerms(unit_count=10, unit_price_yen=40, per_worker_cap=11),
        )

    assert refused.value.code == "invalid_worker_cap"


def test_a_deadline_in_the_past_is_refused(client_user):
    with pytest.raises(DomainError) as refused:
        services.job_post(
            client=client_user,
            format="project",
            category=category("data-entry"),
            title="入力",
            description="入力作業",
            deadline=in_days(-1),
            budget_yen=10_000,
        )

    assert refused.value.code == "deadline_passed"


def test_accepting_a_proposal_makes_the_contract_on_its_terms(project, worker):
    # given a proposal in two milestones
    proposal = services.proposal_submit(
        job=project,
        worker=worker,
        price_yen=60_000,
        message="2段階で納品します。",
        milestones=[
            MilestonePlan(title="設計", amount_yen=20_000),
            MilestonePlan(title="実装", amount_yen=40_000),
        ],
    )

    # when the client accepts it
    contract = services.proposal_accept(proposal=proposal, by=project.client)

    # then the contract carries the price, milestones and the job's scope
    assert contract.price_yen == 60_000
    assert [(m.title, m.amount_yen) for m in contract.milestones.all()] == [
        ("設計", 20_000),
        ("実装", 40_000),
    ]
    assert contract.scope == project.description
    assert contract.thread is not None
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED


def test_filling_the_job_closes_it_and_declines_the_rest(project, worker, other_worker):
    first = services.proposal_submit(job=project, worker=worker, price_yen=40_000, message="a")
    second = services.proposal_submit(
        job=project, worker=other_worker, price_yen=45_000, message="b"
    )

    services.proposal_accept(proposal=first, by=project.client)

    project.refresh_from_db()
    second.refresh_from_db()
    assert project.status == JobStatus.CLOSED
    assert second.status == ProposalStatus.DECLINED
    with pytest.raises(Conflict):
        services.proposal_accept(proposal=second, by=project.client)


def test_only_the_client_can_accept(project, worker, other_worker):
    proposal = services.proposal_submit(job=project, worker=worker, price_yen=1000, message="a")

    with pytest.raises(NotFound):
        services.proposal_accept(proposal=proposal, by=other_worker)

    assert not Contract.objects.exists()


def test_payment_terms_beyond_60_days_are_refused(project, worker):
    proposal = services.proposal_submit(job=project, worker=worker, price_yen=1000, message="a")

    with pytest.raises(DomainError) as refused:
        services.proposal_accept(proposal=proposal, by=project.client, payment_due_days=90)

    assert refused.value.code == "invalid_payment_terms"
    assert not Contract.objects.exists()


def test_an_invited_only_job_takes_proposals_from_the_invited_alone(client_user, worker):
    job = JobFactory(client=client_user, visibility="invited")
    outsider = WorkerFactory()
    services.invitation_send(job=job, by=client_user, worker=worker, message="ぜひ")

    services.proposal_submit(job=job, worker=worker, price_yen=30_000, message="はい")
    with pytest.raises(NotFound):
        services.proposal_submit(job=job, worker=outsider, price_yen=30_000, message="私も")


def test_an_accepted_direct_offer_is_a_contract(client_user, worker):
    job = JobFactory(client=client_user)
    invitation = services.invitation_send(
        job=job, by=client_user, worker=worker, kind="direct_offer", offer_price_yen=70_000
    )

    contract = services.invitation_respond(invitation=invitation, by=worker, accept=True)

    assert contract is not None
    assert contract.price_yen == 70_000
    assert contract.invitation_id == invitation.pk
    assert sum(m.amount_yen for m in contract.milestones.all()) == 70_000


def test_a_task_batch_with_a_qualification_checks_the_skill(client_user, worker):
    job = TaskJobFactory(client=client_user)
    job.task_batch.qualification_skill = skill("excel")
    job.task_batch.qualification_min_level = 2
    job.task_batch.save()

    with pytest.raises(PermissionDenied) as refused:
        services.task_join(job=job, worker=worker)
    assert refused.value.code == "not_qualified"

    WorkerSkillFactory(worker=worker, skill=skill("excel"), level=2)
    participation = services.task_join(job=job, worker=worker)
    assert participation.batch == job.task_batch


def test_joining_a_batch_twice_is_refused(worker):
    job = TaskJobFactory()
    services.task_join(job=job, worker=worker)

    with pytest.raises(Conflict) as refused:
        services.task_join(job=job, worker=worker)

    assert refused.value.code == "already_joined"


def test_a_competition_is_awarded_to_its_winners(worker, other_worker):
    job = CompetitionJobFactory()
    winning = services.competition_enter(job=job, worker=worker, title="案A")
    losing = services.competition_enter(job=job, worker=other_worker, title="案B")

    services.competition_award(job=job, by=job.client, winners=[winning])

    winning.refresh_from_db()
    losing.refresh_from_db()
    job.refresh_from_db()
    assert (winning.status, losing.status) == ("won", "not_selected")
    assert job.status == JobStatus.COMPLETED


def test_more_winners_than_the_competition_has_is_refused(worker, other_worker):
    job = CompetitionJobFactory()
    entries = [
        services.competition_enter(job=job, worker=worker, title="案A"),
        services.competition_enter(job=job, worker=other_worker, title="案B"),
    ]

    with pytest.raises(RuleViolation) as refused:
        services.competition_award(job=job, by=job.client, winners=entries)

    assert refused.value.code == "too_many_winners"
    job.competition.refresh_from_db()
    assert job.competition.awarded_at is None


def test_a_worker_enters_three_times_at_most(worker):
    job = CompetitionJobFactory()
    for n in range(3):
        services.competition_enter(job=job, worker=worker, title=f"案{n}")

    with pytest.raises(Conflict) as refused:
        services.competition_enter(job=job, worker=worker, title="案4")

    assert refused.value.code == "too_many_entries"


def test_completing_a_contract_proves_the_skills_it_used():
    # given a contract for a job that asked for VBA, by a worker who declared it
    contract = ContractFactory()
    JobSkill.objects.create(job=contract.job, skill=skill("excel-vba"))
    WorkerSkillFactory(worker=contract.worker, skill=skill("excel-vba"))
    WorkerSkillFactory(worker=contract.worker, skill=skill("python"))

    # when the client pays for the milestone and completes the contract
    escrow.milestone_fund(
        milestone=contract.milestones.get(), by=contract.client, method="card", card_token="t"
    )
    services.contract_complete(contract=contract, by=contract.client)

    # then VBA is proven by one contract, Python stays declared
    evidence = dict(
        WorkerSkill.objects.filter(worker=contract.worker).values_list("skill__slug", "evidence")
    )
    assert evidence == {"excel-vba": "proven", "python": "declared"}
    profile = contract.worker.worker_profile
    profile.refresh_from_db()
    assert (profile.completed_contracts, profile.earned_total_yen) == (1, 40_000)


def test_completing_cancels_the_milestones_nobody_paid_for():
    # given: a contract whose only milestone was never paid for
    contract = ContractFactory()

    # when
    services.contract_complete(contract=contract, by=contract.client)

    # then: nothing was earned, and the trail says why the milestone ended
    milestone = contract.milestones.get()
    assert milestone.status == MilestoneStatus.CANCELLED
    profile = contract.worker.worker_profile
    profile.refresh_from_db()
    assert (profile.completed_contracts, profile.earned_total_yen) == (1, 0)
    event = AuditEvent.objects.get(machine="milestone", object_id=milestone.pk)
    assert (event.from_state, event.to_state) == ("pending", "cancelled")
    assert AuditEvent.objects.filter(machine="contract", to_state="completed").count() == 1


def test_reviews_open_after_completion_once_per_side():
    contract = ContractFactory()
    scores = {"overall": 5, "quality": 5, "communication": 4, "timeliness": 5}

    with pytest.raises(Conflict):
        services.review_submit(contract=contract, author=contract.client, **scores)

    services.contract_complete(contract=contract, by=contract.client)
    services.review_submit(contract=contract, author=contract.client, **scores)
    services.review_submit(contract=contract, author=contract.worker, **scores, comment="丁寧")
    with pytest.raises(Conflict) as refused:
        services.review_submit(contract=contract, author=contract.client, **scores)

    assert refused.value.code == "duplicate_review"
    profile = contract.worker.worker_profile
    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating) == (1, 5.0)


def test_a_rating_outside_1_to_5_is_refused():
    contract = ContractFactory(status="completed")

    with pytest.raises(DomainError) as refused:
        services.review_submit(
            contract=contract,
            author=contract.client,
            overall=6,
            quality=5,
            communication=5,
            timeliness=5,
        )

    assert refused.value.code == "invalid_rating"


def test_job_messages_go_between_the_client_and_one_worker(project, worker, other_worker):
    # given a worker asking a question about a job
    question = services.message_post(sender=worker, job=project, body="納期は調整できますか？")

    # when the client answers that worker
    answer = services.message_post(
        sender=project.client, job=project, worker=worker, body="はい、可能です。"
    )

    # then both are in one thread, and the client cannot open threads unasked
    assert question.thread_id == answer.thread_id
    with pytest.raises(NotFound):
        services.message_post(
            sender=project.client, job=project, worker=other_worker, body="こんにちは"
        )


def test_a_stranger_cannot_write_in_a_contract_thread():
    contract = ContractFactory()

    with pytest.raises(NotFound):
        services.message_post(sender=WorkerFactory(), contract=contract, body="こんにちは")


def test_withdrawn_proposals_cannot_be_accepted(project, worker):
    proposal = ProposalFactory(job=project, worker=worker)
    services.proposal_withdraw(proposal=proposal, by=worker)

    with pytest.raises(Conflict) as refused:
        services.proposal_accept(proposal=proposal, by=project.client)

    assert refused.value.code == "proposal_decided"
