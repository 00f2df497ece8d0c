"""Rows between posting and review: proposals, invitations, joins, entries,
contracts with milestones, message threads and reviews.

They copy what the services copy: a contract takes its job's title and
description and the accepted proposal's milestone plan (a direct offer, one
milestone of the whole price), so every contract's milestones add up to its
price; a completed contract's milestones are approved, a cancelled one's
cancelled, an active one's pending.
"""

from collections.abc import Iterator
from datetime import date

import numpy as np

from tsunagu.demo import texts
from tsunagu.demo.batches import NOT_SELECTED, WON
from tsunagu.demo.contracts import COMPLETED, milestones_split
from tsunagu.demo.projects import DIRECT_OFFER
from tsunagu.demo.reviews import OF_WORKER
from tsunagu.demo.threads import (
    ANSWER,
    APPROVAL,
    DELIVERY,
    KICKOFF,
    KICKOFF_REPLY,
    PROGRESS,
    QUESTION,
    WORKER_SIDE,
    Messages,
)
from tsunagu.demo.write import Writer
from tsunagu.demo.write_jobs import delivery_day, job_text
from tsunagu.work.models import (
    CompetitionEntry,
    Contract,
    ContractStatus,
    EntryStatus,
    Invitation,
    InvitationKind,
    InvitationStatus,
    Message,
    Milestone,
    MilestoneStatus,
    Proposal,
    ProposalStatus,
    ProposedMilestone,
    Review,
    ReviewDirection,
    TaskParticipation,
    Thread,
)

PROPOSAL_STATUSES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.ACCEPTED,
    ProposalStatus.DECLINED,
    ProposalStatus.WITHDRAWN,
)
INVITATION_STATUSES = (
    InvitationStatus.SENT,
    InvitationStatus.ACCEPTED,
    InvitationStatus.DECLINED,
)
ENTRY_STATUSES = {
    0: EntryStatus.SUBMITTED,
    WON: EntryStatus.WON,
    NOT_SELECTED: EntryStatus.NOT_SELECTED,
}
CONTRACT_STATUSES = (ContractStatus.ACTIVE, ContractStatus.COMPLETED, ContractStatus.CANCELLED)
MILESTONE_STATUSES = (MilestoneStatus.PENDING, MilestoneStatus.APPROVED, MilestoneStatus.CANCELLED)
MESSAGE_TEXTS = {
    QUESTION: texts.THREAD_QUESTIONS,
    ANSWER: texts.THREAD_ANSWERS,
    KICKOFF: texts.KICKOFF_MESSAGES,
    KICKOFF_REPLY: texts.KICKOFF_REPLIES,
    PROGRESS: texts.PROGRESS_MESSAGES,
    DELIVERY: texts.DELIVERY_MESSAGES,
    APPROVAL: texts.APPROVAL_MESSAGES,
}


class Plans:
    """Every proposal's milestone plan, as rows grouped by proposal."""

    def __init__(self, writer: Writer) -> None:
        market = writer.market
        proposals = market.hiring.proposals
        self.owner, self.position, self.amount = milestones_split(
            market.money.proposal, market.money.plan_count
        )
        self.count = np.bincount(self.owner, minlength=len(proposals))
        self.first = np.cumsum(self.count) - self.count
        start = market.jobs.deadline[proposals.job]
        span = market.duration[proposals.job]
        self.due = start[self.owner] + span[self.owner] * self.position / self.count[self.owner]


def deals_write(writer: Writer) -> None:
    plans = Plans(writer)
    _proposals_write(writer, plans)
    _invitations_write(writer)
    _participations_write(writer)
    _entries_write(writer)
    _contracts_write(writer, plans)
    _threads_write(writer)
    _reviews_write(writer)


def _proposals_write(writer: Writer, plans: Plans) -> None:
    market, clock = writer.market, writer.clock
    proposals, jobs = market.hiring.proposals, market.jobs
    workers, job_ids = writer.ids.worker_user, writer.ids.job
    names = market.catalog.category_names

    def build(start: int, stop: int) -> Iterator[Proposal]:
        for p in range(start, stop):
            seed = int(proposals.text_seed[p])
            yield Proposal(
                job_id=int(job_ids[proposals.job[p]]),
                worker_id=int(workers[proposals.worker[p]]),
                price_yen=int(market.money.proposal[p]),
                message=texts.proposal_message(names[jobs.category[proposals.job[p]]], seed),
                status=PROPOSAL_STATUSES[int(proposals.status[p])],
                created_at=clock.at(float(proposals.created[p])),
                decided_at=clock.maybe(float(proposals.decided[p])),
            )

    writer.ids.proposal = ids = writer.insert(Proposal, len(proposals), build)

    def milestones(start: int, stop: int) -> Iterator[ProposedMilestone]:
        for row in range(start, stop):
            p = int(plans.owner[row])
            position, count = int(plans.position[row]), int(plans.count[p])
            yield ProposedMilestone(
                proposal_id=int(ids[p]),
                position=position,
                title=texts.milestone_title(position, count, int(proposals.text_seed[p])),
                amount_yen=int(plans.amount[row]),
                due_date=clock.date(float(plans.due[row])),
            )

    writer.insert(ProposedMilestone, len(plans.owner), milestones)


def _invitations_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    invitations = market.hiring.invitations
    workers, job_ids = writer.ids.worker_user, writer.ids.job

    def build(start: int, stop: int) -> Iterator[Invitation]:
        for i in range(start, stop):
            direct = bool(invitations.kind[i] == DIRECT_OFFER)
            title, _ = job_text(market, int(invitations.job[i]))
            yield Invitation(
                job_id=int(job_ids[invitations.job[i]]),
                worker_id=int(workers[invitations.worker[i]]),
                kind=InvitationKind.DIRECT_OFFER if direct else InvitationKind.SCOUT,
                message=texts.invitation_message(
                    direct_offer=direct, title=title, seed=int(invitations.text_seed[i])
                ),
                offer_price_yen=int(market.money.invitation[i]) if direct else None,
                status=INVITATION_STATUSES[int(invitations.status[i])],
                created_at=clock.at(float(invitations.created[i])),
                responded_at=clock.maybe(float(invitations.responded[i])),
            )

    writer.ids.invitation = writer.insert(Invitation, len(invitations), build)


def _participations_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    joins = market.participations
    workers, batches = writer.ids.worker_user, writer.ids.batch

    def build(start: int, stop: int) -> Iterator[TaskParticipation]:
        for k in range(start, stop):
            yield TaskParticipation(
                batch_id=int(batches[joins.job[k]]),
                worker_id=int(workers[joins.worker[k]]),
                units_done=int(joins.units_done[k]),
                joined_at=clock.at(float(joins.joined[k])),
            )

    writer.insert(TaskParticipation, len(joins), build)


def _entries_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    entries = market.entries
    workers, competitions = writer.ids.worker_user, writer.ids.competition

    def build(start: int, stop: int) -> Iterator[CompetitionEntry]:
        for k in range(start, stop):
            seed = int(entries.text_seed[k])
            yield CompetitionEntry(
                competition_id=int(competitions[entries.job[k]]),
                worker_id=int(workers[entries.worker[k]]),
                title=texts.entry_title(seed, int(entries.number[k])),
                description=texts.entry_description(seed),
                status=ENTRY_STATUSES[int(entries.status[k])],
                created_at=clock.at(float(entries.created[k])),
            )

    writer.insert(CompetitionEntry, len(entries), build)


def _contracts_write(writer: Writer, plans: Plans) -> None:
    market, clock = writer.market, writer.clock
    hires, times = market.hiring.hires, market.times
    ids = writer.ids
    organization = market.clients.organization

    def build(start: int, stop: int) -> Iterator[Contract]:
        for c in range(start, stop):
            j, p, i = int(hires.job[c]), int(hires.proposal[c]), int(hires.invitation[c])
            client = int(market.jobs.client[j])
            title, description = job_text(market, j)
            yield Contract(
                job_id=int(ids.job[j]),
                client_id=int(ids.client_user[client]),
                organization_id=int(ids.organization[organization[client]])
                if organization[client] >= 0
                else None,
                worker_id=int(ids.worker_user[hires.worker[c]]),
                proposal_id=int(ids.proposal[p]) if p >= 0 else None,
                invitation_id=int(ids.invitation[i]) if i >= 0 else None,
                title=title,
                scope=description,
                price_yen=int(market.money.contract[c]),
                delivery_due=_contract_delivery(writer, plans, j, p),
                payment_due_days=int(times.payment_due_days[c]),
                status=CONTRACT_STATUSES[int(times.status[c])],
                created_at=clock.at(float(times.start[c])),
                completed_at=clock.maybe(float(times.ended[c]))
                if times.status[c] == COMPLETED
                else None,
            )

    ids.contract = writer.insert(Contract, len(hires), build)
    _milestones_write(writer, plans)


def _contract_delivery(writer: Writer, plans: Plans, job: int, proposal: int) -> date | None:
    """The job's delivery date, else the last due date of the plan (as the service)."""
    day = delivery_day(writer.market, job)
    if day is None and proposal >= 0:
        day = float(plans.due[plans.first[proposal] + plans.count[proposal] - 1])
    return writer.clock.date(day) if day is not None else None


def _milestones_write(writer: Writer, plans: Plans) -> None:
    # TODO(#2): fund the milestones of active contracts through the escrow
    # (payments app) so the demo shows holds and releases; until then they
    # stay pending and completed ones are approved without ledger entries,
    # as contract_complete does today.
    market, clock = writer.market, writer.clock
    hires, times = market.hiring.hires, market.times
    contracts = writer.ids.contract
    count = np.where(hires.proposal >= 0, plans.count[np.maximum(hires.proposal, 0)], 1)
    owner = np.repeat(np.arange(len(hires)), count)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)

    def build(start: int, stop: int) -> Iterator[Milestone]:
        for row in range(start, stop):
            c, k = int(owner[row]), int(offset[row])
            p = int(hires.proposal[c])
            status = MILESTONE_STATUSES[int(times.status[c])]
            if p >= 0:
                plan = int(plans.first[p]) + k
                yield Milestone(
                    contract_id=int(contracts[c]),
                    position=k + 1,
                    title=texts.milestone_title(
                        k + 1, int(plans.count[p]), int(market.hiring.proposals.text_seed[p])
                    ),
                    amount_yen=int(plans.amount[plan]),
                    due_date=clock.date(float(plans.due[plan])),
                    status=status,
                    created_at=clock.at(float(times.start[c])),
                )
            else:
                yield Milestone(
                    contract_id=int(contracts[c]),
                    position=1,
                    title=job_text(market, int(hires.job[c]))[0],
                    amount_yen=int(market.money.contract[c]),
                    status=status,
                    created_at=clock.at(float(times.start[c])),
                )

    writer.insert(Milestone, len(owner), build)


def _threads_write(writer: Writer) -> None:
    """A thread per contract and per question asked, then their messages."""
    market, clock = writer.market, writer.clock
    hires, proposals = market.hiring.hires, market.hiring.proposals
    ids = writer.ids
    asked = market.question_proposals

    def contract_threads(start: int, stop: int) -> Iterator[Thread]:
        for c in range(start, stop):
            yield Thread(
                job_id=int(ids.job[hires.job[c]]),
                worker_id=int(ids.worker_user[hires.worker[c]]),
                contract_id=int(ids.contract[c]),
                created_at=clock.at(float(market.times.start[c])),
            )

    first_question = market.questions.created[np.searchsorted(market.questions.owner, asked)]

    def question_threads(start: int, stop: int) -> Iterator[Thread]:
        for k in range(start, stop):
            p = int(asked[k])
            yield Thread(
                job_id=int(ids.job[proposals.job[p]]),
                worker_id=int(ids.worker_user[proposals.worker[p]]),
                created_at=clock.at(float(first_question[k])),
            )

    by_contract = writer.insert(Thread, len(hires), contract_threads, "Thread (contract)")
    by_question = writer.insert(Thread, len(asked), question_threads, "Thread (question)")
    by_proposal = np.full(len(proposals), -1, dtype=np.int64)
    by_proposal[asked] = by_question
    jobs_of = market.hiring.proposals.job
    _messages_write(writer, market.questions, by_proposal, proposals.worker, jobs_of)
    _messages_write(writer, market.contract_messages, by_contract, hires.worker, hires.job)


def _messages_write(
    writer: Writer,
    messages: Messages,
    thread: np.ndarray,
    worker: np.ndarray,
    job: np.ndarray,
) -> None:
    """Messages whose ``owner`` indexes ``thread``, ``worker`` and ``job``."""
    market, clock = writer.market, writer.clock
    users, clients = writer.ids.worker_user, writer.ids.client_user

    def build(start: int, stop: int) -> Iterator[Message]:
        for m in range(start, stop):
            owner = int(messages.owner[m])
            if messages.sender[m] == WORKER_SIDE:
                sender = int(users[worker[owner]])
            else:
                sender = int(clients[market.jobs.client[job[owner]]])
            yield Message(
                thread_id=int(thread[owner]),
                sender_id=sender,
                body=texts.pick(MESSAGE_TEXTS[int(messages.kind[m])], int(messages.text_seed[m])),
                created_at=clock.at(float(messages.created[m])),
            )

    writer.insert(Message, len(messages), build)


def _reviews_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    reviews, hires = market.reviews, market.hiring.hires
    ids = writer.ids

    def build(start: int, stop: int) -> Iterator[Review]:
        for r in range(start, stop):
            c = int(reviews.contract[r])
            worker = int(ids.worker_user[hires.worker[c]])
            client = int(ids.client_user[market.jobs.client[hires.job[c]]])
            of_worker = bool(reviews.direction[r] == OF_WORKER)
            overall = int(reviews.overall[r])
            yield Review(
                contract_id=int(ids.contract[c]),
                author_id=client if of_worker else worker,
                subject_id=worker if of_worker else client,
                direction=ReviewDirection.OF_WORKER if of_worker else ReviewDirection.OF_CLIENT,
                overall=overall,
                quality=int(reviews.quality[r]),
                communication=int(reviews.communication[r]),
                timeliness=int(reviews.timeliness[r]),
                comment=texts.review_comment(
                    of_worker=of_worker, overall=overall, seed=int(reviews.text_seed[r])
                ),
                created_at=clock.at(float(reviews.created[r])),
            )

    writer.insert(Review, len(reviews), build)
