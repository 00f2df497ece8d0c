"""Every write to work: posting, proposals, invitations, contracts, reviews.

Each function is one transaction. It checks every rule before its first
write and raises a ``DomainError`` with a stable code when one fails, so a
refusal writes nothing. The job row is locked (SELECT ... FOR UPDATE) by
anything that changes who works on it, so two acceptances cannot overfill.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import Membership, Organization, User, WorkerProfile
from tsunagu.audit.services import transition, transitions_bulk_record
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.services import notify
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.payments.models import Hold, HoldState
from tsunagu.skills.models import Category, Evidence, Skill, WorkerSkill
from tsunagu.work import escrow
from tsunagu.work.access import (
    access_contract_act_as_client,
    access_contract_view,
    access_job_manage,
    access_job_view,
)
from tsunagu.work.models import (
    Competition,
    CompetitionEntry,
    Contract,
    ContractStatus,
    EntryStatus,
    Invitation,
    InvitationKind,
    InvitationStatus,
    Job,
    JobFormat,
    JobSkill,
    JobStatus,
    Message,
    Milestone,
    MilestoneStatus,
    Proposal,
    ProposalStatus,
    ProposedMilestone,
    Review,
    ReviewDirection,
    TaskBatch,
    TaskParticipation,
    Thread,
    Visibility,
)

logger = logging.getLogger(__name__)

MAX_PAYMENT_DUE_DAYS = 60  # the freelance act: pay within 60 days of delivery
MAX_ENTRIES_PER_WORKER = 3


@dataclass(frozen=True)
class SkillRequirement:
    skill: Skill
    required: bool = True
    min_level: int = 1


@dataclass(frozen=True)
class MilestonePlan:
    title: str
    amount_yen: int
    due_date: date | None = None


@dataclass(frozen=True)
class TaskTerms:
    unit_count: int
    unit_price_yen: int
    per_worker_cap: int
    qualification_skill: Skill | None = None
    qualification_min_level: int = 1
    instructions: str = ""


@dataclass(frozen=True)
class CompetitionTerms:
    prize_yen: int
    winner_count: int = 1


# --- posting -------------------------------------------------------------


def _check_job_fields(*, title: str, description: str, deadline: datetime) -> None:
    if not title.strip():
        raise DomainError(_("Enter a title."), code="title_required", field="title")
    if not description.strip():
        raise DomainError(_("Describe the work."), code="description_required", field="description")
    if deadline <= timezone.now():
        raise DomainError(
            _("The deadline must be in the future."), code="deadline_passed", field="deadline"
        )


def _check_budget(amount: int, field: str) -> None:
    if amount <= 0:
        raise DomainError(
            _("The budget must be a positive amount of yen."), code="invalid_budget", field=field
        )


def _check_task_terms(terms: TaskTerms) -> None:
    if terms.unit_count <= 0:
        raise DomainError(
            _("A task batch needs at least one unit."),
            code="invalid_unit_count",
            field="unit_count",
        )
    _check_budget(terms.unit_price_yen, "unit_price_yen")
    if not 1 <= terms.per_worker_cap <= terms.unit_count:
        raise DomainError(
            _("The cap per worker must be between 1 and the number of units."),
            code="invalid_worker_cap",
            field="per_worker_cap",
        )
    if not 1 <= terms.qualification_min_level <= 5:
        raise DomainError(
            _("A skill level is 1 to 5."), code="invalid_level", field="qualification_min_level"
        )


def _check_competition_terms(terms: CompetitionTerms) -> None:
    _check_budget(terms.prize_yen, "prize_yen")
    if terms.winner_count < 1:
        raise DomainError(
            _("A competition has at least one winner."),
            code="invalid_winner_count",
            field="winner_count",
        )


def _check_skills(skills: list[SkillRequirement]) -> None:
    seen = set()
    for requirement in skills:
        if requirement.skill.pk in seen:
            raise DomainError(_("A skill is listed twice."), code="duplicate_skill", field="skills")
        seen.add(requirement.skill.pk)
        if not 1 <= requirement.min_level <= 5:
            raise DomainError(_("A skill level is 1 to 5."), code="invalid_level", field="skills")


def _job_budget(
    job_format: str,
    budget_yen: int | None,
    task: TaskTerms | None,
    competition: CompetitionTerms | None,
) -> int:
    """The whole budget: given for a project, computed for the other formats."""
    if job_format == JobFormat.PROJECT:
        _check_budget(budget_yen or 0, "budget_yen")
        return budget_yen or 0
    if job_format == JobFormat.TASK:
        if task is None:
            raise DomainError(_("Give the task batch's terms."), code="task_terms_required")
        _check_task_terms(task)
        return task.unit_count * task.unit_price_yen
    if job_format == JobFormat.COMPETITION:
        if competition is None:
            raise DomainError(_("Give the competition's prize."), code="competition_terms_required")
        _check_competition_terms(competition)
        return competition.prize_yen * competition.winner_count
    raise DomainError(_("Unknown job format."), code="invalid_format", field="format")


@transaction.atomic
def job_post(
    *,
    client: User,
    format: str,
    category: Category,
    title: str,
    description: str,
    deadline: datetime,
    budget_yen: int | None = None,
    skills: list[SkillRequirement] | None = None,
    visibility: str = Visibility.PUBLIC,
    delivery_due: date | None = None,
    hires_wanted: int = 1,
    organization: Organization | None = None,
    task: TaskTerms | None = None,
    competition: CompetitionTerms | None = None,
) -> Job:
    """Post a job in one of the three formats, open at once.

    A project takes ``budget_yen``; a task batch takes ``task`` and a
    competition ``competition``, whose totals become the budget. Refusals:
    ``invalid_budget``, ``invalid_unit_count``, ``invalid_worker_cap``,
    ``deadline_passed``, ``not_a_member`` and the field codes above.
    """
    skills = skills or []
    _check_job_fields(title=title, description=description, deadline=deadline)
    if visibility not in Visibility.values:
        raise DomainError(_("Unknown visibility."), code="invalid_visibility", field="visibility")
    if hires_wanted < 1:
        raise DomainError(
            _("Hire at least one worker."), code="invalid_hires", field="hires_wanted"
        )
    _check_skills(skills)
    total = _job_budget(format, budget_yen, task, competition)
    if (
        organization
        and not Membership.objects.filter(organization=organization, user=client).exists()
    ):
        raise PermissionDenied(_("You are not a member of this organization."), code="not_a_member")

    job = Job.objects.create(
        client=client,
        organization=organization,
        format=format,
        category=category,
        title=title.strip(),
        description=description.strip(),
        budget_yen=total,
        deadline=deadline,
        delivery_due=delivery_due,
        visibility=visibility,
        hires_wanted=hires_wanted,
    )
    JobSkill.objects.bulk_create(
        JobSkill(job=job, skill=r.skill, required=r.required, min_level=r.min_level) for r in skills
    )
    if task is not None and format == JobFormat.TASK:
        TaskBatch.objects.create(
            job=job,
            unit_count=task.unit_count,
            unit_price_yen=task.unit_price_yen,
            per_worker_cap=task.per_worker_cap,
            qualification_skill=task.qualification_skill,
            qualification_min_level=task.qualification_min_level,
            instructions=task.instructions,
        )
    if competition is not None and format == JobFormat.COMPETITION:
        Competition.objects.create(
            job=job, prize_yen=competition.prize_yen, winner_count=competition.winner_count
        )
    logger.info("job posted", extra={"job_id": job.pk, "format": format})
    return job


def _lock_job(job: Job) -> Job:
    return Job.objects.select_for_update().get(pk=job.pk)


@transaction.atomic
def job_close(*, job: Job, by: User) -> Job:
    """Stop taking proposals; pending proposals are declined."""
    job = _lock_job(job)
    if not access_job_manage(by, job):
        raise PermissionDenied(_("Only the client can close this job."))
    if job.status != JobStatus.OPEN:
        raise Conflict(_("This job is not open."), code="job_not_open")
    _close(job, by=by)
    return job


def _close(job: Job, *, by: User | None) -> None:
    # TODO(#4): the proposals declined here in bulk notify nobody (proposal_decline does).
    job.closed_at = timezone.now()
    transition(machine="job", obj=job, to=JobStatus.CLOSED, by=by, also_update=("closed_at",))
    job.proposals.filter(status=ProposalStatus.SUBMITTED).update(
        status=ProposalStatus.DECLINED, decided_at=job.closed_at
    )


# --- taking part ---------------------------------------------------------


def _check_can_take_part(job: Job, worker: User, expected_format: str) -> None:
    """The rules every proposal, join and entry shares."""
    if job.format != expected_format:
        raise RuleViolation(
            _("This job does not take that kind of application."), code="wrong_format"
        )
    if job.client_id == worker.pk or access_job_manage(worker, job):
        raise RuleViolation(_("You cannot apply to your own job."), code="own_job")
    if not job.is_accepting:
        raise Conflict(_("This job is no longer accepting applications."), code="job_closed")
    if not WorkerProfile.objects.filter(user=worker).exists():
        raise RuleViolation(_("Create a worker profile first."), code="not_a_worker")
    if job.visibility == Visibility.INVITED and not job.invitations.filter(worker=worker).exists():
        raise NotFound(_("No such job."))


def _check_milestones(milestones: list[MilestonePlan], price_yen: int) -> None:
    if price_yen <= 0:
        raise DomainError(
            _("The price must be a positive amount of yen."),
            code="invalid_price",
            field="price_yen",
        )
    if any(m.amount_yen <= 0 for m in milestones):
        raise DomainError(
            _("Every milestone needs a positive amount."),
            code="invalid_milestone",
            field="milestones",
        )
    if any(not m.title.strip() for m in milestones):
        raise DomainError(
            _("Every milestone needs a title."), code="invalid_milestone", field="milestones"
        )
    total = sum(m.amount_yen for m in milestones)
    if total != price_yen:
        raise RuleViolation(
            _("The milestones add up to ¥%(total)s, not the price of ¥%(price)s.")
            % {"total": f"{total:,}", "price": f"{price_yen:,}"},
            code="milestones_mismatch",
            field="milestones",
            extra={"milestones_total": total, "price_yen": price_yen},
        )


@transaction.atomic
def proposal_submit(
    *,
    job: Job,
    worker: User,
    price_yen: int,
    message: str,
    milestones: list[MilestonePlan] | None = None,
) -> Proposal:
    """Propose on a project. Without a plan, one milestone carries the price.

    Refusals: ``job_closed`` (409), ``own_job``, ``duplicate_proposal``
    (409), ``milestones_mismatch``, ``invalid_price``, ``not_a_worker``.
    """
    job = _lock_job(job)
    _check_can_take_part(job, worker, JobFormat.PROJECT)
    if Proposal.objects.filter(job=job, worker=worker).exists():
        raise Conflict(_("You have already proposed on this job."), code="duplicate_proposal")
    if not message.strip():
        raise DomainError(_("Write a message to the client."), code="message_required")
    plan = milestones or [MilestonePlan(title=job.title[:120], amount_yen=price_yen)]
    _check_milestones(plan, price_yen)

    proposal = Proposal.objects.create(
        job=job, worker=worker, price_yen=price_yen, message=message.strip()
    )
    ProposedMilestone.objects.bulk_create(
        ProposedMilestone(
            proposal=proposal,
            position=position,
            title=m.title.strip(),
            amount_yen=m.amount_yen,
            due_date=m.due_date,
        )
        for position, m in enumerate(plan, start=1)
    )
    notify(
        recipient=job.client,
        kind=Kind.PROPOSAL_RECEIVED,
        link=reverse("web:job_detail", args=[job.pk]),
        params={"job_id": job.pk, "job_title": job.title},
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by: User) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.worker_id != by.pk:
        raise NotFound(_("No such proposal."))
    if proposal.status != ProposalStatus.SUBMITTED:
        raise Conflict(_("This proposal was already decided."), code="proposal_decided")
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    return proposal


@transaction.atomic
def proposal_decline(*, proposal: Proposal, by: User) -> Proposal:
    job = _lock_job(proposal.job)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not access_job_manage(by, job):
        raise NotFound(_("No such proposal."))
    if proposal.status != ProposalStatus.SUBMITTED:
        raise Conflict(_("This proposal was already decided."), code="proposal_decided")
    proposal.status = ProposalStatus.DECLINED
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    notify(
        recipient=proposal.worker,
        kind=Kind.PROPOSAL_DECLINED,
        link=reverse("web:job_detail", args=[job.pk]),
        params={"job_id": job.pk, "job_title": job.title},
    )
    return proposal


def _contract_create(
    *,
    job: Job,
    worker: User,
    price_yen: int,
    milestones: list[MilestonePlan],
    proposal: Proposal | None = None,
    invitation: Invitation | None = None,
    payment_due_days: int = 30,
) -> Contract:
    """Write the contract, its milestones and its thread; close a filled job."""
    due_dates = [m.due_date for m in milestones if m.due_date]
    contract = Contract.objects.create(
        job=job,
        client=job.client,
        organization=job.organization,
        worker=worker,
        proposal=proposal,
        invitation=invitation,
        title=job.title,
        scope=job.description,
        price_yen=price_yen,
        delivery_due=job.delivery_due or (max(due_dates) if due_dates else None),
        payment_due_days=payment_due_days,
    )
    Milestone.objects.bulk_create(
        Milestone(
            contract=contract,
            position=position,
            title=m.title,
            amount_yen=m.amount_yen,
            due_date=m.due_date,
        )
        for position, m in enumerate(milestones, start=1)
    )
    Thread.objects.create(job=job, worker=worker, contract=contract)

    hired = Contract.objects.filter(job=job).exclude(status=ContractStatus.CANCELLED).count()
    if hired >= job.hires_wanted and job.status == JobStatus.OPEN:
        _close(job, by=None)  # filled: the platform closes it
    logger.info("contract made", extra={"contract_id": contract.pk, "job_id": job.pk})
    return contract


@transaction.atomic
def proposal_accept(*, proposal: Proposal, by: User, payment_due_days: int = 30) -> Contract:
    """Accept a proposal: the contract is made on the proposal's terms.

    Locks the job, then the proposal. Refusals: ``proposal_decided`` (409),
    ``job_not_open`` (409), ``invalid_payment_terms``; 404 to anyone who
    does not manage the job.
    """
    job = _lock_job(proposal.job)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not access_job_manage(by, job):
        raise NotFound(_("No such proposal."))
    if proposal.status != ProposalStatus.SUBMITTED:
        raise Conflict(_("This proposal was already decided."), code="proposal_decided")
    if job.status != JobStatus.OPEN:
        raise Conflict(_("This job is not open."), code="job_not_open")
    _check_payment_terms(payment_due_days)

    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    plan = [
        MilestonePlan(title=m.title, amount_yen=m.amount_yen, due_date=m.due_date)
        for m in proposal.milestones.all()
    ]
    contract = _contract_create(
        job=job,
        worker=proposal.worker,
        price_yen=proposal.price_yen,
        milestones=plan,
        proposal=proposal,
        payment_due_days=payment_due_days,
    )
    notify(
        recipient=proposal.worker,
        kind=Kind.PROPOSAL_ACCEPTED,
        link=reverse("web:contract_detail", args=[contract.pk]),
        params={"job_id": job.pk, "job_title": job.title, "contract_id": contract.pk},
    )
    return contract


def _check_payment_terms(payment_due_days: int) -> None:
    if not 0 <= payment_due_days <= MAX_PAYMENT_DUE_DAYS:
        raise DomainError(
            _("Payment must be due within 60 days of approval."),
            code="invalid_payment_terms",
            field="payment_due_days",
        )


# --- invitations ---------------------------------------------------------


@transaction.atomic
def invitation_send(
    *,
    job: Job,
    by: User,
    worker: User,
    kind: str = InvitationKind.SCOUT,
    message: str = "",
    offer_price_yen: int | None = None,
) -> Invitation:
    """Scout a worker for a job, or make a direct offer at a price.

    Refusals: ``own_job`` (inviting oneself), ``not_a_worker``,
    ``duplicate_invitation`` (409), ``job_closed`` (409), ``invalid_price``.
    """
    job = _lock_job(job)
    if not access_job_manage(by, job):
        raise NotFound(_("No such job."))
    if worker.pk == job.client_id:
        raise RuleViolation(_("You cannot invite yourself."), code="own_job")
    if not job.is_accepting:
        raise Conflict(_("This job is no longer accepting applications."), code="job_closed")
    if not WorkerProfile.objects.filter(user=worker, user__is_active=True).exists():
        raise RuleViolation(_("This person does not take work."), code="not_a_worker")
    if kind not in InvitationKind.values:
        raise DomainError(_("Unknown invitation kind."), code="invalid_kind", field="kind")
    if kind == InvitationKind.DIRECT_OFFER and (offer_price_yen or 0) <= 0:
        raise DomainError(
            _("A direct offer needs a positive price."),
            code="invalid_price",
            field="offer_price_yen",
        )
    if Invitation.objects.filter(job=job, worker=worker).exists():
        raise Conflict(_("This worker is already invited."), code="duplicate_invitation")

    invitation = Invitation.objects.create(
        job=job,
        worker=worker,
        kind=kind,
        message=message.strip(),
        offer_price_yen=offer_price_yen if kind == InvitationKind.DIRECT_OFFER else None,
    )
    notify(
        recipient=worker,
        kind=Kind.DIRECT_OFFER_RECEIVED
        if kind == InvitationKind.DIRECT_OFFER
        else Kind.SCOUT_RECEIVED,
        link=reverse("web:invitations"),
        params={"job_id": job.pk, "job_title": job.title, "invitation_id": invitation.pk},
    )
    return invitation


@transaction.atomic
def invitation_respond(*, invitation: Invitation, by: User, accept: bool) -> Contract | None:
    """The worker accepts or declines. An accepted direct offer is a contract."""
    job = _lock_job(invitation.job)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.worker_id != by.pk:
        raise NotFound(_("No such invitation."))
    if invitation.status != InvitationStatus.SENT:
        raise Conflict(_("This invitation was already answered."), code="invitation_answered")
    if accept and invitation.kind == InvitationKind.DIRECT_OFFER and job.status != JobStatus.OPEN:
        raise Conflict(_("This job is not open."), code="job_not_open")

    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    if not accept or invitation.kind != InvitationKind.DIRECT_OFFER:
        return None
    price = invitation.offer_price_yen or 0
    contract = _contract_create(
        job=job,
        worker=by,
        price_yen=price,
        milestones=[MilestonePlan(title=job.title[:120], amount_yen=price)],
        invitation=invitation,
    )
    notify(
        recipient=job.client,
        kind=Kind.DIRECT_OFFER_ACCEPTED,
        link=reverse("web:contract_detail", args=[contract.pk]),
        params={"job_id": job.pk, "job_title": job.title, "contract_id": contract.pk},
    )
    return contract


# --- tasks and competitions -----------------------------------------------


@transaction.atomic
def task_join(*, job: Job, worker: User) -> TaskParticipation:
    """Join a task batch; the qualification skill is checked here.

    Refusals: ``wrong_format``, ``own_job``, ``job_closed`` (409),
    ``not_qualified`` (403), ``already_joined`` (409).
    """
    job = _lock_job(job)
    _check_can_take_part(job, worker, JobFormat.TASK)
    batch = job.task_batch
    if batch.qualification_skill_id is not None:
        qualified = WorkerSkill.objects.filter(
            worker=worker,
            skill_id=batch.qualification_skill_id,
            level__gte=batch.qualification_min_level,
        ).exists()
        if not qualified:
            raise PermissionDenied(
                _("This batch asks for a skill you have not shown yet."), code="not_qualified"
            )
    if TaskParticipation.objects.filter(batch=batch, worker=worker).exists():
        raise Conflict(_("You have already joined this batch."), code="already_joined")
    return TaskParticipation.objects.create(batch=batch, worker=worker)


@transaction.atomic
def competition_enter(
    *, job: Job, worker: User, title: str, description: str = ""
) -> CompetitionEntry:
    """Enter a competition, up to three entries per worker."""
    job = _lock_job(job)
    _check_can_take_part(job, worker, JobFormat.COMPETITION)
    if not title.strip():
        raise DomainError(_("Give the entry a title."), code="title_required", field="title")
    competition = job.competition
    entries = competition.entries.filter(worker=worker).exclude(status=EntryStatus.WITHDRAWN)
    if entries.count() >= MAX_ENTRIES_PER_WORKER:
        raise Conflict(_("You have entered three times already."), code="too_many_entries")
    return CompetitionEntry.objects.create(
        competition=competition, worker=worker, title=title.strip(), description=description
    )


@transaction.atomic
def competition_award(*, job: Job, by: User, winners: list[CompetitionEntry]) -> Competition:
    """Name the winners; every other entry is not selected; the job completes.

    ``winners`` are in prize order: prizes paid in advance are released, the
    first to the first winner and so on, and the prizes left over (fewer
    winners than prizes) go back to the client, in the same transaction.
    Locks the job, then the competition, then each prize's payment and
    hold. Refusals: 404 to anyone who does not manage the job, 409
    ``already_awarded``, 409 ``competition_closed`` once the prizes were
    refunded, ``invalid_winners``, 422 ``too_many_winners``.
    """
    job = _lock_job(job)
    if not access_job_manage(by, job):
        raise NotFound(_("No such job."))
    competition = Competition.objects.select_for_update().get(job=job)
    if competition.awarded_at is not None:
        raise Conflict(_("This competition was already awarded."), code="already_awarded")
    escrow.competition_check_not_refunded(competition)
    ordered_ids = list(dict.fromkeys(entry.pk for entry in winners))
    winner_ids = set(ordered_ids)
    valid = competition.entries.filter(pk__in=winner_ids, status__in=["submitted", "shortlisted"])
    entries = valid.in_bulk()
    if not winner_ids or len(entries) != len(winner_ids):
        raise DomainError(_("Choose winners among the entries."), code="invalid_winners")
    if len(winner_ids) > competition.winner_count:
        raise RuleViolation(
            _("This competition has %(n)s winner(s) at most.") % {"n": competition.winner_count},
            code="too_many_winners",
        )

    now = timezone.now()
    _entries_decide(competition, winner_ids=winner_ids, by=by)
    competition.awarded_at = now
    competition.save(update_fields=["awarded_at"])
    for position, entry_id in enumerate(ordered_ids, start=1):
        escrow.competition_prize_release(
            competition=competition, winner=entries[entry_id], position=position
        )
    escrow.competition_prizes_refund(competition=competition, first_position=len(ordered_ids) + 1)
    job.closed_at = now
    transition(machine="job", obj=job, to=JobStatus.COMPLETED, by=by, also_update=("closed_at",))
    return competition


@transaction.atomic
def competition_shortlist(
    *, job: Job, by: User, entries: list[CompetitionEntry]
) -> list[CompetitionEntry]:
    """The client shortlists entries before naming the winners.

    Entries already shortlisted stay so; the others must be submitted
    entries of this competition. Locks the job, then the competition.
    Refusals: 404 to anyone who does not manage the job, 409
    ``already_awarded``, ``invalid_entries``.
    """
    job = _lock_job(job)
    if not access_job_manage(by, job):
        raise NotFound(_("No such job."))
    competition = Competition.objects.select_for_update().get(job=job)
    if competition.awarded_at is not None:
        raise Conflict(_("This competition was already awarded."), code="already_awarded")
    wanted = {entry.pk for entry in entries}
    live = competition.entries.filter(
        pk__in=wanted, status__in=[EntryStatus.SUBMITTED, EntryStatus.SHORTLISTED]
    )
    if not wanted or live.count() != len(wanted):
        raise DomainError(
            _("Choose entries of this competition to shortlist."), code="invalid_entries"
        )

    ids = list(live.filter(status=EntryStatus.SUBMITTED).values_list("pk", flat=True))
    competition.entries.filter(pk__in=ids).update(status=EntryStatus.SHORTLISTED)
    transitions_bulk_record(
        machine="entry",
        object_ids=ids,
        from_state=EntryStatus.SUBMITTED,
        to=EntryStatus.SHORTLISTED,
        by=by,
    )
    return list(competition.entries.filter(pk__in=wanted).order_by("pk"))


def competition_award_days() -> int:
    """Days after the deadline for naming winners before the sweep closes a competition."""
    return int(getattr(settings, "TSUNAGU_COMPETITION_AWARD_DAYS", 14))


@ledger_transaction
def competition_close_unawarded(
    *, job: Job, by: User | None, now: datetime | None = None
) -> Competition:
    """Close a competition without winners: every prize paid goes back to the client.

    The client may do it once the deadline has passed or while no entry is
    live; the sweep (``by`` None) once ``competition_award_days`` have passed
    since the deadline. An open job is closed and its entries are not
    selected. Locks the job, then the competition, then each prize's payment
    and hold. Refusals: 404 to anyone who does not manage the job, 409
    ``already_awarded``, 409 ``competition_still_open``.
    """
    now = now or timezone.now()
    job = _lock_job(job)
    if by is not None and not access_job_manage(by, job):
        raise NotFound(_("No such job."))
    competition = Competition.objects.select_for_update().get(job=job)
    if competition.awarded_at is not None:
        raise Conflict(_("This competition was already awarded."), code="already_awarded")
    live = competition.entries.filter(status__in=[EntryStatus.SUBMITTED, EntryStatus.SHORTLISTED])
    if by is None:
        may_close = job.deadline + timedelta(days=competition_award_days()) <= now
    else:
        may_close = job.deadline <= now or not live.exists()
    if not may_close:
        raise Conflict(
            _("Entries are still open; close the competition after its deadline."),
            code="competition_still_open",
        )

    escrow.competition_prizes_refund(competition=competition)
    _entries_decide(competition, winner_ids=set(), by=by)
    if job.status == JobStatus.OPEN:
        _close(job, by=by)
    logger.info("work: competition %s closed without winners", competition.pk)
    return competition


def competitions_close_unawarded_due(*, now: datetime | None = None) -> int:
    """Close every competition whose time to name winners has run out; returns how many.

    The candidates are open competitions past their deadline plus
    ``competition_award_days`` and closed ones still holding a paid prize.
    Each is closed in its own transaction; one refusal does not stop the
    others (a competition awarded meanwhile is left alone).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=competition_award_days())
    funded = {
        int(reference.split(":")[1])
        for reference in Hold.objects.filter(
            reference__startswith="competition:", state=HoldState.FUNDED
        ).values_list("reference", flat=True)
    }
    due = Competition.objects.filter(
        Q(job__status=JobStatus.OPEN) | Q(pk__in=funded),
        awarded_at__isnull=True,
        job__deadline__lte=cutoff,
        job__status__in=[JobStatus.OPEN, JobStatus.CLOSED],
    ).select_related("job")
    closed = 0
    for competition in due.order_by("pk"):
        try:
            competition_close_unawarded(job=competition.job, by=None, now=now)
        except DomainError as error:
            logger.error("work: competition %s not closed: %s", competition.pk, error.code)
            continue
        closed += 1
    return closed


def _entries_decide(competition: Competition, *, winner_ids: set[int], by: User | None) -> None:
    """Winners won; every other live entry was not selected; each step recorded."""
    for status in (EntryStatus.SUBMITTED, EntryStatus.SHORTLISTED):
        live = competition.entries.filter(status=status)
        won = list(live.filter(pk__in=winner_ids).values_list("pk", flat=True))
        lost = list(live.exclude(pk__in=winner_ids).values_list("pk", flat=True))
        for ids, outcome in ((won, EntryStatus.WON), (lost, EntryStatus.NOT_SELECTED)):
            competition.entries.filter(pk__in=ids).update(status=outcome)
            transitions_bulk_record(
                machine="entry", object_ids=ids, from_state=status, to=outcome, by=by
            )


# --- completion and reviews -------------------------------------------------


@transaction.atomic
def contract_complete(*, contract: Contract, by: User) -> Contract:
    """The client declares the work done; skills used become proven.

    Milestones paid for in advance (funded or delivered) are approved and
    their holds released to the worker, one approval each; milestones never
    paid for are cancelled, since no money stands behind them. The worker's
    history counts the contract and what was released; each of the job's
    skills the worker holds gains a proven contract. Locks the contract,
    then each paid milestone and its hold. Raises 409 ``dispute_open``
    while a milestone is in dispute.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not access_contract_act_as_client(by, contract):
        raise NotFound(_("No such contract."))
    if contract.status != ContractStatus.ACTIVE:
        raise Conflict(_("This contract is not active."), code="contract_not_active")

    now = timezone.now()
    paid = (
        contract.milestones.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .filter(status__in=[MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED])
    )
    # TODO(#4): tell the worker the contract is complete and asks for a review.
    for milestone in paid:
        escrow.milestone_release(milestone=milestone, by=by, reason="contract completed")
    unpaid = list(
        contract.milestones.filter(status=MilestoneStatus.PENDING).values_list("pk", flat=True)
    )
    contract.milestones.filter(pk__in=unpaid).update(
        status=MilestoneStatus.CANCELLED, updated_at=now
    )
    transitions_bulk_record(
        machine="milestone",
        object_ids=unpaid,
        from_state=MilestoneStatus.PENDING,
        to=MilestoneStatus.CANCELLED,
        by=by,
        reason="contract completed without payment",
    )

    return contract_finish(contract=contract, by=by, now=now)


def contract_finish(*, contract: Contract, by: User | None, now: datetime) -> Contract:
    """Mark ``contract`` (locked by the caller, no money left held) completed.

    The worker's history counts the contract and what was approved on it;
    each of the job's skills the worker holds gains a proven contract. Runs
    in the caller's transaction (``contract_complete``, an accepted early
    end).
    """
    contract.completed_at = now
    transition(
        machine="contract",
        obj=contract,
        to=ContractStatus.COMPLETED,
        by=by,
        also_update=("completed_at",),
    )
    released = contract.milestones.filter(status=MilestoneStatus.APPROVED).aggregate(
        total=Sum("amount_yen")
    )["total"]
    WorkerProfile.objects.filter(user_id=contract.worker_id).update(
        completed_contracts=F("completed_contracts") + 1,
        earned_total_yen=F("earned_total_yen") + (released or 0),
    )
    WorkerSkill.objects.filter(
        worker_id=contract.worker_id, skill__job_skills__job_id=contract.job_id
    ).update(proven_contracts=F("proven_contracts") + 1, evidence=Evidence.PROVEN, updated_at=now)
    return contract


@transaction.atomic
def review_submit(
    *,
    contract: Contract,
    author: User,
    overall: int,
    quality: int,
    communication: int,
    timeliness: int,
    comment: str = "",
) -> Review:
    """One review per side of a completed contract; the worker's rating follows.

    Refusals: ``contract_not_completed`` (409), ``duplicate_review`` (409),
    ``invalid_rating``; 404 to anyone not a party.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if author.pk not in (contract.client_id, contract.worker_id):
        raise NotFound(_("No such contract."))
    if contract.status != ContractStatus.COMPLETED:
        raise Conflict(
            _("Reviews open when the contract is completed."), code="contract_not_completed"
        )
    scores = {
        "overall": overall,
        "quality": quality,
        "communication": communication,
        "timeliness": timeliness,
    }
    for name, score in scores.items():
        if not 1 <= score <= 5:
            raise DomainError(_("Ratings are 1 to 5."), code="invalid_rating", field=name)
    if Review.objects.filter(contract=contract, author=author).exists():
        raise Conflict(_("You have already reviewed this contract."), code="duplicate_review")

    of_worker = author.pk == contract.client_id
    review = Review.objects.create(
        contract=contract,
        author=author,
        subject_id=contract.worker_id if of_worker else contract.client_id,
        direction=ReviewDirection.OF_WORKER if of_worker else ReviewDirection.OF_CLIENT,
        comment=comment.strip(),
        **scores,
    )
    if of_worker:
        WorkerProfile.objects.filter(user_id=contract.worker_id).update(
            rating_sum=F("rating_sum") + overall, rating_count=F("rating_count") + 1
        )
    return review


# --- messages -------------------------------------------------------------


@transaction.atomic
def message_post(
    *,
    sender: User,
    body: str,
    job: Job | None = None,
    worker: User | None = None,
    contract: Contract | None = None,
) -> Message:
    """Post in a contract's thread, or in the (job, worker) thread before one.

    A worker writes to a job's client with ``job``; the client answers with
    ``job`` and ``worker``. 404 when the sender is not in the conversation.
    """
    if not body.strip():
        raise DomainError(_("Write a message."), code="message_required", field="body")
    if contract is not None:
        if not access_contract_view(sender, contract) or (
            sender.is_staff
            and sender.pk
            not in (
                contract.client_id,
                contract.worker_id,
            )
        ):
            raise NotFound(_("No such contract."))
        thread, _created = Thread.objects.get_or_create(
            contract=contract, defaults={"job": contract.job, "worker": contract.worker}
        )
    elif job is not None:
        thread = _job_thread(sender=sender, job=job, worker=worker)
    else:
        raise DomainError(_("Say which job or contract."), code="thread_required")
    return Message.objects.create(thread=thread, sender=sender, body=body.strip())


def _job_thread(*, sender: User, job: Job, worker: User | None) -> Thread:
    if access_job_manage(sender, job):
        if worker is None:
            raise DomainError(_("Say which worker you write to."), code="worker_required")
        if not Thread.objects.filter(job=job, worker=worker, contract__isnull=True).exists():
            raise NotFound(_("This worker has not written about this job."))
    else:
        if not access_job_view(sender, job) or job.client_id == sender.pk:
            raise NotFound(_("No such job."))
        worker = sender
    thread, _created = Thread.objects.get_or_create(job=job, worker=worker, contract=None)
    return thread
