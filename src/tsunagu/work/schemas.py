"""Bodies of the work API: jobs in three formats, proposals, invitations,
tasks, competitions, contracts, reviews and messages.

Request bodies forbid unknown fields: the status of anything, its owner, the
budget of a task batch or competition (computed from its terms) and every
rating are the services' to set. Amounts are whole yen without consumption
tax; the services refuse zero and negative ones with a stable code. People
appear as ``{id, display_name}``, never with an email address.
"""

from datetime import date, datetime

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field

from tsunagu.api.limits import LongText, SmallCount, Title, UnitCount, Yen
from tsunagu.work.models import (
    Competition,
    CompetitionEntry,
    Contract,
    Invitation,
    Job,
    JobSkill,
    Proposal,
    TaskBatch,
    TaskParticipation,
)

FORBID_EXTRA = ConfigDict(extra="forbid")

# --- shared parts ----------------------------------------------------------------


class PartyOut(Schema):
    """A person as others see them on a job or a contract."""

    id: int
    display_name: str


class OrganizationBriefOut(Schema):
    id: int
    name: str


class JobBriefOut(Schema):
    id: int
    title: str
    format: str
    category: str
    status: str

    @staticmethod
    def resolve_category(job: Job) -> str:
        return job.category.slug


# --- posting jobs ------------------------------------------------------------------


class JobSkillIn(Schema):
    model_config = FORBID_EXTRA

    skill: str = Field(description="A slug or any name of the skill (VBA, マクロ, ...).")
    required: bool = True
    min_level: SmallCount = 1


class TaskTermsIn(Schema):
    model_config = FORBID_EXTRA

    unit_count: UnitCount
    unit_price_yen: Yen
    per_worker_cap: UnitCount
    qualification_skill: str | None = Field(default=None, description="A skill workers must hold.")
    qualification_min_level: SmallCount = 1
    instructions: LongText = ""


class CompetitionTermsIn(Schema):
    model_config = FORBID_EXTRA

    prize_yen: Yen = Field(description="The prize for each winner.")
    winner_count: SmallCount = 1


class JobCreateIn(Schema):
    """One body for the three formats.

    A project gives ``budget_yen``; a task batch gives ``task`` and a
    competition ``competition``, whose totals become the budget.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "format": "project",
                    "category": "data-entry",
                    "title": "Excelマクロで売上集計を自動化",
                    "description": "毎月の売上データをVBAで集計する仕組みを作ってください。",
                    "deadline": "2027-08-31T18:00:00+09:00",
                    "budget_yen": 50000,
                    "skills": [{"skill": "excel-vba", "required": True, "min_level": 3}],
                    "delivery_due": "2027-09-30",
                },
                {
                    "format": "task",
                    "category": "data-entry",
                    "title": "商品データの入力（100件）",
                    "description": "商品名と価格を表に入力してください。",
                    "deadline": "2027-08-31T18:00:00+09:00",
                    "task": {"unit_count": 100, "unit_price_yen": 50, "per_worker_cap": 20},
                },
                {
                    "format": "competition",
                    "category": "design",
                    "title": "カフェのロゴデザイン募集",
                    "description": "温かみのあるロゴを募集します。",
                    "deadline": "2027-08-31T18:00:00+09:00",
                    "competition": {"prize_yen": 30000, "winner_count": 1},
                },
            ]
        },
    )

    format: str = Field(description="project, task or competition")
    category: str = Field(description="A category slug, as GET /categories lists them.")
    title: Title
    description: LongText
    deadline: AwareDatetime = Field(description="When proposals, entries or joining close.")
    budget_yen: Yen | None = Field(default=None, description="A project's whole budget.")
    task: TaskTermsIn | None = None
    competition: CompetitionTermsIn | None = None
    skills: list[JobSkillIn] = Field(default_factory=list, max_length=30)
    visibility: str = Field(
        default="public", description="public, or invited (invited workers only)"
    )
    delivery_due: date | None = None
    hires_wanted: SmallCount = 1
    organization_id: int | None = Field(default=None, description="Post for this organization.")


class JobFiltersIn(Schema):
    category: str | None = Field(default=None, description="A category slug.")
    format: str | None = Field(default=None, description="project, task or competition")
    skill: str | None = Field(default=None, description="A skill slug.")
    budget_min: int | None = None
    budget_max: int | None = None
    q: str | None = Field(
        default=None, max_length=200, description="Words in the title or description."
    )


# --- jobs out -----------------------------------------------------------------------


class JobSkillOut(Schema):
    skill: str
    name_ja: str
    name_en: str
    required: bool
    min_level: int

    @staticmethod
    def resolve_skill(job_skill: JobSkill) -> str:
        return job_skill.skill.slug

    @staticmethod
    def resolve_name_ja(job_skill: JobSkill) -> str:
        return job_skill.skill.name_ja

    @staticmethod
    def resolve_name_en(job_skill: JobSkill) -> str:
        return job_skill.skill.name_en


class TaskTermsOut(Schema):
    unit_count: int
    unit_price_yen: int
    per_worker_cap: int


class TaskTermsDetailOut(TaskTermsOut):
    qualification_skill: str | None
    qualification_min_level: int
    instructions: str

    @staticmethod
    def resolve_qualification_skill(batch: TaskBatch) -> str | None:
        skill = batch.qualification_skill
        return skill.slug if skill else None


class CompetitionTermsOut(Schema):
    prize_yen: int
    winner_count: int
    awarded_at: datetime | None


def _task_batch(job: Job) -> TaskBatch | None:
    # A missing reverse one-to-one raises an AttributeError subclass.
    return getattr(job, "task_batch", None)


def _competition(job: Job) -> Competition | None:
    return getattr(job, "competition", None)


class JobSummaryOut(Schema):
    id: int
    format: str
    category: str
    title: str
    budget_yen: int
    deadline: datetime
    delivery_due: date | None
    visibility: str
    status: str
    is_accepting: bool
    hires_wanted: int
    proposal_count: int
    created_at: datetime
    client: PartyOut
    organization: OrganizationBriefOut | None
    skills: list[JobSkillOut]
    task: TaskTermsOut | None
    competition: CompetitionTermsOut | None

    @staticmethod
    def resolve_category(job: Job) -> str:
        return job.category.slug

    @staticmethod
    def resolve_proposal_count(job: Job) -> int:
        # Listings annotate the count; a job fresh from a service counts once.
        count: int | None = getattr(job, "proposal_count", None)
        return job.proposals.count() if count is None else count

    @staticmethod
    def resolve_skills(job: Job) -> list[JobSkill]:
        return list(job.job_skills.all())

    @staticmethod
    def resolve_task(job: Job) -> TaskBatch | None:
        return _task_batch(job)

    @staticmethod
    def resolve_competition(job: Job) -> Competition | None:
        return _competition(job)


class JobOut(JobSummaryOut):
    description: str
    task: TaskTermsDetailOut | None


class JobPageOut(Schema):
    items: list[JobSummaryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


# --- proposals -----------------------------------------------------------------------


class MilestoneIn(Schema):
    model_config = FORBID_EXTRA

    title: Title
    amount_yen: Yen
    due_date: date | None = None


class ProposalIn(Schema):
    """A price and, optionally, a milestone plan adding up to it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "price_yen": 40000,
                    "message": "VBAでの自動化が得意です。2回に分けて納品します。",
                    "milestones": [
                        {"title": "集計マクロ", "amount_yen": 25000, "due_date": "2027-09-10"},
                        {"title": "操作説明書", "amount_yen": 15000, "due_date": "2027-09-20"},
                    ],
                }
            ]
        },
    )

    price_yen: Yen
    message: LongText
    milestones: list[MilestoneIn] | None = Field(
        default=None, max_length=50, description="Without a plan, one milestone carries the price."
    )


class ProposedMilestoneOut(Schema):
    position: int
    title: str
    amount_yen: int
    due_date: date | None


class ProposalOut(Schema):
    id: int
    job_id: int
    price_yen: int
    message: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    milestones: list[ProposedMilestoneOut]


class ProposingWorkerOut(Schema):
    id: int
    display_name: str
    headline: str
    rating: float | None
    rating_count: int
    completed_contracts: int


class JobProposalOut(ProposalOut):
    """A proposal as the job's managers see it, with the worker's record."""

    worker: ProposingWorkerOut

    @staticmethod
    def resolve_worker(proposal: Proposal) -> dict[str, object]:
        profile = proposal.worker.worker_profile
        return {
            "id": proposal.worker_id,
            "display_name": proposal.worker.display_name,
            "headline": profile.headline,
            "rating": profile.rating,
            "rating_count": profile.rating_count,
            "completed_contracts": profile.completed_contracts,
        }


class JobProposalsOut(Schema):
    items: list[JobProposalOut]
    next_cursor: str | None


class MyProposalOut(ProposalOut):
    job: JobBriefOut


class MyProposalsOut(Schema):
    items: list[MyProposalOut]
    next_cursor: str | None


class ProposalAcceptIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"payment_due_days": 30}]}
    )

    payment_due_days: SmallCount = Field(
        default=30, description="Payment within this many days of approval; 60 at most."
    )


# --- invitations -------------------------------------------------------------------


class InvitationIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"worker_id": 42, "kind": "scout", "message": "ぜひご提案ください。"},
                {
                    "worker_id": 42,
                    "kind": "direct_offer",
                    "message": "この金額でお願いできますか。",
                    "offer_price_yen": 45000,
                },
            ]
        },
    )

    worker_id: int
    kind: str = Field(
        default="scout", description="scout, or direct_offer (a contract if accepted)"
    )
    message: LongText = ""
    offer_price_yen: Yen | None = Field(default=None, description="A direct offer's price.")


class InvitationOut(Schema):
    id: int
    job: JobBriefOut
    client: PartyOut
    worker_id: int
    kind: str
    message: str
    offer_price_yen: int | None
    status: str
    created_at: datetime
    responded_at: datetime | None

    @staticmethod
    def resolve_client(invitation: Invitation) -> object:
        return invitation.job.client


class InvitationsOut(Schema):
    items: list[InvitationOut]
    next_cursor: str | None


# --- tasks and competitions ------------------------------------------------------------


class TaskParticipationOut(Schema):
    id: int
    job_id: int
    unit_price_yen: int
    per_worker_cap: int
    units_done: int
    joined_at: datetime

    @staticmethod
    def resolve_job_id(participation: TaskParticipation) -> int:
        return participation.batch.job_id

    @staticmethod
    def resolve_unit_price_yen(participation: TaskParticipation) -> int:
        return participation.batch.unit_price_yen

    @staticmethod
    def resolve_per_worker_cap(participation: TaskParticipation) -> int:
        return participation.batch.per_worker_cap


class EntryIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"title": "湯気のロゴ案", "description": "コーヒーの湯気を文字に。"}]
        },
    )

    title: Title
    description: LongText = ""


class EntryOut(Schema):
    id: int
    job_id: int
    title: str
    description: str
    status: str
    created_at: datetime
    worker: PartyOut

    @staticmethod
    def resolve_job_id(entry: CompetitionEntry) -> int:
        return entry.competition.job_id


class EntriesOut(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class AwardIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"entry_ids": [7]}]})

    entry_ids: list[int] = Field(max_length=100)


class AwardOut(Schema):
    job_id: int
    prize_yen: int
    winner_count: int
    awarded_at: datetime | None
    winners: list[EntryOut]

    @staticmethod
    def resolve_winners(competition: Competition) -> list[CompetitionEntry]:
        return list(competition.entries.filter(status="won").select_related("worker"))


# --- contracts and reviews ---------------------------------------------------------------


class MilestoneOut(Schema):
    position: int
    title: str
    amount_yen: int
    due_date: date | None
    status: str


class ContractOut(Schema):
    """The terms of the deal as fixed when it was made (下請法・フリーランス法)."""

    id: int
    job_id: int
    proposal_id: int | None
    invitation_id: int | None
    title: str
    scope: str
    price_yen: int
    delivery_due: date | None
    payment_due_days: int
    status: str
    created_at: datetime
    completed_at: datetime | None
    client: PartyOut
    worker: PartyOut
    organization: OrganizationBriefOut | None
    milestones: list[MilestoneOut]


class ContractsOut(Schema):
    items: list[ContractOut]
    next_cursor: str | None


class ReviewIn(Schema):
    """Each score 1-5. Of a worker: quality, communication, deadlines kept;
    of a client: clarity of the request, communication, prompt decisions."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "overall": 5,
                    "quality": 5,
                    "communication": 4,
                    "timeliness": 5,
                    "comment": "丁寧で迅速な対応でした。",
                }
            ]
        },
    )

    overall: SmallCount
    quality: SmallCount
    communication: SmallCount
    timeliness: SmallCount
    comment: LongText = ""


class ReviewOut(Schema):
    id: int
    contract_id: int
    direction: str = Field(description="of_worker or of_client")
    author_id: int
    subject_id: int
    overall: int
    quality: int
    communication: int
    timeliness: int
    comment: str
    created_at: datetime


class ContractDetailOut(ContractOut):
    reviews: list[ReviewOut]

    @staticmethod
    def resolve_reviews(contract: Contract) -> list[object]:
        return list(contract.reviews.all())


# --- messages ---------------------------------------------------------------------------


class MessageIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"body": "初回の納品物をお送りします。"}]}
    )

    body: LongText


class JobMessageIn(Schema):
    """A worker writes to the job's client; the client answers with worker_id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "納期の相談は可能でしょうか。"}]},
    )

    body: LongText
    worker_id: int | None = None


class MessageOut(Schema):
    id: int
    sender: PartyOut
    body: str
    created_at: datetime


class MessagesOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None
