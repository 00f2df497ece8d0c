"""The work API: jobs, proposals, invitations, tasks, competitions, contracts,
reviews and messages.

Each operation parses the request, finds what it names (404 when the caller
may not see it, per ``tsunagu.work.access``), calls one service or selector
and returns. The services decide everything else.
"""

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.params.functions import Header

from tsunagu.api.auth import SESSION, signed_in_user, viewer
from tsunagu.api.idempotency import HEADER, IDEMPOTENT
from tsunagu.api.lookups import (
    category_named,
    contract_visible,
    entries_with_ids,
    invitation_by_id,
    job_managed,
    job_thread_worker,
    job_visible,
    organization_with_id,
    proposal_by_id,
    skill_named,
    worker_with_id,
)
from tsunagu.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page, paginate
from tsunagu.work.models import (
    Competition,
    CompetitionEntry,
    Contract,
    Invitation,
    Job,
    Message,
    Proposal,
    Review,
    TaskParticipation,
)
from tsunagu.work.schemas import (
    AwardIn,
    AwardOut,
    CompetitionTermsIn,
    ContractDetailOut,
    ContractOut,
    ContractsOut,
    EntriesOut,
    EntryIn,
    EntryOut,
    InvitationIn,
    InvitationOut,
    InvitationsOut,
    JobCreateIn,
    JobFiltersIn,
    JobMessageIn,
    JobOut,
    JobPageOut,
    JobProposalsOut,
    JobSkillIn,
    MessageIn,
    MessageOut,
    MessagesOut,
    MilestoneIn,
    MyProposalsOut,
    ProposalAcceptIn,
    ProposalIn,
    ProposalOut,
    ReviewIn,
    ReviewOut,
    TaskParticipationOut,
    TaskTermsIn,
)
from tsunagu.work.selectors import (
    JobFilters,
    competition_entries,
    contract_messages,
    contracts_of,
    invitations_of_worker,
    job_list_open,
    job_proposals,
    job_thread_messages,
    proposals_by_worker,
)
from tsunagu.work.services import (
    CompetitionTerms,
    MilestonePlan,
    SkillRequirement,
    TaskTerms,
    competition_award,
    competition_close_unawarded,
    competition_enter,
    competition_shortlist,
    contract_complete,
    invitation_respond,
    invitation_send,
    job_close,
    job_post,
    message_post,
    proposal_accept,
    proposal_decline,
    proposal_submit,
    proposal_withdraw,
    review_submit,
    task_join,
)

IdempotencyKeyHeader = Annotated[str, Header(alias=HEADER)]

router = Router()

# --- parsing bodies into the services' terms -------------------------------------------


def _skill_requirements(skills: list[JobSkillIn]) -> list[SkillRequirement]:
    return [
        SkillRequirement(
            skill=skill_named(item.skill, field=f"skills.{index}.skill"),
            required=item.required,
            min_level=item.min_level,
        )
        for index, item in enumerate(skills)
    ]


def _task_terms(task: TaskTermsIn | None) -> TaskTerms | None:
    if task is None:
        return None
    qualification = task.qualification_skill
    return TaskTerms(
        unit_count=task.unit_count,
        unit_price_yen=task.unit_price_yen,
        per_worker_cap=task.per_worker_cap,
        qualification_skill=(
            skill_named(qualification, field="task.qualification_skill") if qualification else None
        ),
        qualification_min_level=task.qualification_min_level,
        instructions=task.instructions,
    )


def _competition_terms(competition: CompetitionTermsIn | None) -> CompetitionTerms | None:
    if competition is None:
        return None
    return CompetitionTerms(prize_yen=competition.prize_yen, winner_count=competition.winner_count)


def _milestone_plan(milestones: list[MilestoneIn] | None) -> list[MilestonePlan] | None:
    if milestones is None:
        return None
    return [
        MilestonePlan(title=m.title, amount_yen=m.amount_yen, due_date=m.due_date)
        for m in milestones
    ]


# --- jobs ------------------------------------------------------------------------------


@router.post(
    "/jobs",
    auth=SESSION,
    response={201: JobOut},
    tags=["jobs"],
    operation_id="job_post",
    summary="Post a project, a task batch or a competition",
)
def job_post_endpoint(request: HttpRequest, payload: JobCreateIn) -> Status[Job]:
    job = job_post(
        client=signed_in_user(request),
        format=payload.format,
        category=category_named(payload.category),
        title=payload.title,
        description=payload.description,
        deadline=payload.deadline,
        budget_yen=payload.budget_yen,
        skills=_skill_requirements(payload.skills),
        visibility=payload.visibility,
        delivery_due=payload.delivery_due,
        hires_wanted=payload.hires_wanted,
        organization=(
            organization_with_id(payload.organization_id) if payload.organization_id else None
        ),
        task=_task_terms(payload.task),
        competition=_competition_terms(payload.competition),
    )
    return Status(201, job)


@router.get(
    "/jobs",
    response=JobPageOut,
    tags=["jobs"],
    operation_id="job_list",
    summary="Open public jobs, newest first, filtered, a page at a time",
)
def job_list(
    request: HttpRequest,
    filters: Query[JobFiltersIn],
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[Job]:
    jobs = job_list_open(
        JobFilters(
            category=filters.category,
            format=filters.format,
            skill=filters.skill,
            budget_min=filters.budget_min,
            budget_max=filters.budget_max,
            text=filters.q,
        )
    )
    return paginate(jobs, cursor=cursor, limit=limit)


@router.get(
    "/jobs/{job_id}",
    response=JobOut,
    tags=["jobs"],
    operation_id="job_get",
    summary="One job (invited-only jobs: to their managers and invited workers)",
)
def job_get(request: HttpRequest, job_id: int) -> Job:
    return job_visible(viewer(request), job_id)


@router.post(
    "/jobs/{job_id}/close",
    auth=SESSION,
    response=JobOut,
    tags=["jobs"],
    operation_id="job_close",
    summary="Stop taking applications; pending proposals are declined",
)
def job_close_endpoint(request: HttpRequest, job_id: int) -> Job:
    user = signed_in_user(request)
    return job_close(job=job_visible(user, job_id), by=user)


# --- proposals -------------------------------------------------------------------------


@router.post(
    "/jobs/{job_id}/proposals",
    auth=SESSION,
    response={201: ProposalOut},
    tags=["proposals"],
    operation_id="proposal_submit",
    summary="Propose on a project: a price and a milestone plan",
)
def proposal_submit_endpoint(
    request: HttpRequest, job_id: int, payload: ProposalIn
) -> Status[Proposal]:
    user = signed_in_user(request)
    proposal = proposal_submit(
        job=job_visible(user, job_id),
        worker=user,
        price_yen=payload.price_yen,
        message=payload.message,
        milestones=_milestone_plan(payload.milestones),
    )
    return Status(201, proposal)


@router.get(
    "/jobs/{job_id}/proposals",
    auth=SESSION,
    response=JobProposalsOut,
    tags=["proposals"],
    operation_id="job_proposal_list",
    summary="The proposals on a job I manage, newest first",
)
def job_proposal_list(
    request: HttpRequest, job_id: int, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[Proposal]:
    proposals = job_proposals(job_managed(signed_in_user(request), job_id))
    return paginate(proposals, cursor=cursor, limit=limit)


@router.get(
    "/me/proposals",
    auth=SESSION,
    response=MyProposalsOut,
    tags=["proposals"],
    operation_id="my_proposal_list",
    summary="The proposals I made, newest first",
)
def my_proposal_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[Proposal]:
    return paginate(proposals_by_worker(signed_in_user(request)), cursor=cursor, limit=limit)


@router.post(
    "/proposals/{proposal_id}/accept",
    auth=SESSION,
    response={201: ContractOut},
    tags=["proposals"],
    operation_id="proposal_accept",
    summary="Accept a proposal: the contract is made on its price and milestones",
)
def proposal_accept_endpoint(
    request: HttpRequest, proposal_id: int, payload: ProposalAcceptIn | None = None
) -> Status[Contract]:
    terms = payload or ProposalAcceptIn()
    contract = proposal_accept(
        proposal=proposal_by_id(proposal_id),
        by=signed_in_user(request),
        payment_due_days=terms.payment_due_days,
    )
    return Status(201, contract)


@router.post(
    "/proposals/{proposal_id}/decline",
    auth=SESSION,
    response=ProposalOut,
    tags=["proposals"],
    operation_id="proposal_decline",
    summary="Decline a proposal on a job I manage",
)
def proposal_decline_endpoint(request: HttpRequest, proposal_id: int) -> Proposal:
    return proposal_decline(proposal=proposal_by_id(proposal_id), by=signed_in_user(request))


@router.post(
    "/proposals/{proposal_id}/withdraw",
    auth=SESSION,
    response=ProposalOut,
    tags=["proposals"],
    operation_id="proposal_withdraw",
    summary="Withdraw my proposal before it is decided",
)
def proposal_withdraw_endpoint(request: HttpRequest, proposal_id: int) -> Proposal:
    return proposal_withdraw(proposal=proposal_by_id(proposal_id), by=signed_in_user(request))


# --- invitations -----------------------------------------------------------------------


@router.post(
    "/jobs/{job_id}/invitations",
    auth=SESSION,
    response={201: InvitationOut},
    tags=["invitations"],
    operation_id="invitation_send",
    summary="Scout a worker, or make a direct offer at a price",
)
def invitation_send_endpoint(
    request: HttpRequest, job_id: int, payload: InvitationIn
) -> Status[Invitation]:
    user = signed_in_user(request)
    invitation = invitation_send(
        job=job_visible(user, job_id),
        by=user,
        worker=worker_with_id(payload.worker_id),
        kind=payload.kind,
        message=payload.message,
        offer_price_yen=payload.offer_price_yen,
    )
    return Status(201, invitation)


@router.get(
    "/me/invitations",
    auth=SESSION,
    response=InvitationsOut,
    tags=["invitations"],
    operation_id="my_invitation_list",
    summary="Scouts and direct offers I received, newest first",
)
def my_invitation_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[Invitation]:
    return paginate(invitations_of_worker(signed_in_user(request)), cursor=cursor, limit=limit)


@router.post(
    "/invitations/{invitation_id}/accept",
    auth=SESSION,
    response={200: InvitationOut, 201: ContractOut},
    tags=["invitations"],
    operation_id="invitation_accept",
    summary="Accept: a scout lets me propose; a direct offer becomes a contract (201)",
)
def invitation_accept(request: HttpRequest, invitation_id: int) -> Status[Contract | Invitation]:
    invitation = invitation_by_id(invitation_id)
    contract = invitation_respond(invitation=invitation, by=signed_in_user(request), accept=True)
    if contract is not None:
        return Status(201, contract)
    invitation.refresh_from_db(fields=["status", "responded_at"])
    return Status(200, invitation)


@router.post(
    "/invitations/{invitation_id}/decline",
    auth=SESSION,
    response=InvitationOut,
    tags=["invitations"],
    operation_id="invitation_decline",
    summary="Decline a scout or a direct offer",
)
def invitation_decline(request: HttpRequest, invitation_id: int) -> Invitation:
    invitation = invitation_by_id(invitation_id)
    invitation_respond(invitation=invitation, by=signed_in_user(request), accept=False)
    invitation.refresh_from_db(fields=["status", "responded_at"])
    return invitation


# --- tasks and competitions ------------------------------------------------------------


@router.post(
    "/jobs/{job_id}/task/join",
    auth=SESSION,
    response={201: TaskParticipationOut},
    tags=["tasks"],
    operation_id="task_join",
    summary="Join a task batch (the qualification skill is checked)",
)
def task_join_endpoint(request: HttpRequest, job_id: int) -> Status[TaskParticipation]:
    user = signed_in_user(request)
    return Status(201, task_join(job=job_visible(user, job_id), worker=user))


@router.post(
    "/jobs/{job_id}/entries",
    auth=SESSION,
    response={201: EntryOut},
    tags=["competitions"],
    operation_id="competition_enter",
    summary="Enter a competition (three entries per worker at most)",
)
def competition_enter_endpoint(
    request: HttpRequest, job_id: int, payload: EntryIn
) -> Status[CompetitionEntry]:
    user = signed_in_user(request)
    entry = competition_enter(
        job=job_visible(user, job_id),
        worker=user,
        title=payload.title,
        description=payload.description,
    )
    return Status(201, entry)


@router.get(
    "/jobs/{job_id}/entries",
    auth=SESSION,
    response=EntriesOut,
    tags=["competitions"],
    operation_id="competition_entry_list",
    summary="The entries of a competition I manage, newest first",
)
def competition_entry_list(
    request: HttpRequest, job_id: int, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[CompetitionEntry]:
    entries = competition_entries(job_managed(signed_in_user(request), job_id))
    return paginate(entries, cursor=cursor, limit=limit)


@router.post(
    "/jobs/{job_id}/award",
    auth=SESSION,
    response=AwardOut,
    tags=["competitions"],
    operation_id="competition_award",
    summary="Name the winners; the other entries are not selected",
)
def competition_award_endpoint(request: HttpRequest, job_id: int, payload: AwardIn) -> Competition:
    user = signed_in_user(request)
    return competition_award(
        job=job_visible(user, job_id), by=user, winners=entries_with_ids(payload.entry_ids)
    )


@router.post(
    "/jobs/{job_id}/shortlist",
    auth=SESSION,
    response=list[EntryOut],
    tags=["competitions"],
    operation_id="competition_shortlist",
    summary="Shortlist entries before naming the winners",
)
def competition_shortlist_endpoint(
    request: HttpRequest, job_id: int, payload: AwardIn
) -> list[CompetitionEntry]:
    user = signed_in_user(request)
    return competition_shortlist(
        job=job_visible(user, job_id),
        by=user,
        entries=entries_with_ids(payload.entry_ids),
    )


@router.post(
    "/jobs/{job_id}/close-unawarded",
    auth=SESSION,
    response=AwardOut,
    tags=["competitions"],
    operation_id="competition_close_unawarded",
    summary="Close a competition without winners; paid prizes are refunded. Needs an "
    "Idempotency-Key",
)
@IDEMPOTENT
def competition_close_unawarded_endpoint(
    request: HttpRequest, job_id: int, idempotency_key: IdempotencyKeyHeader
) -> Competition:
    user = signed_in_user(request)
    return competition_close_unawarded(job=job_visible(user, job_id), by=user)


# --- contracts and reviews -------------------------------------------------------------


@router.get(
    "/contracts",
    auth=SESSION,
    response=ContractsOut,
    tags=["contracts"],
    operation_id="contract_list",
    summary="My contracts, as worker, client or organization manager, newest first",
)
def contract_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[Contract]:
    return paginate(contracts_of(signed_in_user(request)), cursor=cursor, limit=limit)


@router.get(
    "/contracts/{contract_id}",
    auth=SESSION,
    response=ContractDetailOut,
    tags=["contracts"],
    operation_id="contract_get",
    summary="A contract's terms: scope, price, milestones, due dates, payment terms",
)
def contract_get(request: HttpRequest, contract_id: int) -> Contract:
    return contract_visible(signed_in_user(request), contract_id)


@router.post(
    "/contracts/{contract_id}/complete",
    auth=SESSION,
    response=ContractOut,
    tags=["contracts"],
    operation_id="contract_complete",
    summary="Declare the work done (the client); reviews open",
)
def contract_complete_endpoint(request: HttpRequest, contract_id: int) -> Contract:
    user = signed_in_user(request)
    return contract_complete(contract=contract_visible(user, contract_id), by=user)


@router.post(
    "/contracts/{contract_id}/reviews",
    auth=SESSION,
    response={201: ReviewOut},
    tags=["contracts"],
    operation_id="review_submit",
    summary="Review the other party of a completed contract",
)
def review_submit_endpoint(
    request: HttpRequest, contract_id: int, payload: ReviewIn
) -> Status[Review]:
    user = signed_in_user(request)
    review = review_submit(
        contract=contract_visible(user, contract_id),
        author=user,
        overall=payload.overall,
        quality=payload.quality,
        communication=payload.communication,
        timeliness=payload.timeliness,
        comment=payload.comment,
    )
    return Status(201, review)


# --- messages --------------------------------------------------------------------------


@router.get(
    "/contracts/{contract_id}/messages",
    auth=SESSION,
    response=MessagesOut,
    tags=["messages"],
    operation_id="contract_message_list",
    summary="The contract's messages, oldest first",
)
def contract_message_list(
    request: HttpRequest,
    contract_id: int,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[Message]:
    messages = contract_messages(contract_visible(signed_in_user(request), contract_id))
    return paginate(messages, cursor=cursor, limit=limit, newest_first=False)


@router.post(
    "/contracts/{contract_id}/messages",
    auth=SESSION,
    response={201: MessageOut},
    tags=["messages"],
    operation_id="contract_message_post",
    summary="Write in the contract's thread",
)
def contract_message_post(
    request: HttpRequest, contract_id: int, payload: MessageIn
) -> Status[Message]:
    user = signed_in_user(request)
    message = message_post(
        sender=user, body=payload.body, contract=contract_visible(user, contract_id)
    )
    return Status(201, message)


@router.get(
    "/jobs/{job_id}/messages",
    auth=SESSION,
    response=MessagesOut,
    tags=["messages"],
    operation_id="job_message_list",
    summary="Messages about a job before a contract; managers name the worker",
)
def job_message_list(
    request: HttpRequest,
    job_id: int,
    worker_id: int | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[Message]:
    user = signed_in_user(request)
    job = job_visible(user, job_id)
    messages = job_thread_messages(job, job_thread_worker(user, job, worker_id))
    return paginate(messages, cursor=cursor, limit=limit, newest_first=False)


@router.post(
    "/jobs/{job_id}/messages",
    auth=SESSION,
    response={201: MessageOut},
    tags=["messages"],
    operation_id="job_message_post",
    summary="Ask a job's client (workers) or answer a worker (managers, with worker_id)",
)
def job_message_post(request: HttpRequest, job_id: int, payload: JobMessageIn) -> Status[Message]:
    user = signed_in_user(request)
    message = message_post(
        sender=user,
        body=payload.body,
        job=job_visible(user, job_id),
        worker=worker_with_id(payload.worker_id) if payload.worker_id is not None else None,
    )
    return Status(201, message)
