"""Job rows: jobs with their skills, task batches and competitions.

A job's words are made again from its seed whenever a row needs them (a
contract copies its job's title and description), instead of holding every
job's text in memory.
"""

from collections.abc import Iterator

import numpy as np

from tsunagu.demo import texts
from tsunagu.demo.jobs import COMPETITION, PROJECT, TASK
from tsunagu.demo.market import DemoMarket
from tsunagu.demo.write import Writer
from tsunagu.work.models import (
    Competition,
    Job,
    JobFormat,
    JobSkill,
    JobStatus,
    TaskBatch,
    Visibility,
)

FORMATS = {PROJECT: JobFormat.PROJECT, TASK: JobFormat.TASK, COMPETITION: JobFormat.COMPETITION}
STATUSES = (JobStatus.OPEN, JobStatus.CLOSED, JobStatus.CANCELLED, JobStatus.COMPLETED)
VISIBILITIES = (Visibility.PUBLIC, Visibility.INVITED)
DELIVERY_DATE_SHARE = 0.6  # projects that name the date the client wants the work by


def job_text(market: DemoMarket, job: int) -> tuple[str, str]:
    """The title and description of ``job``."""
    jobs, catalog = market.jobs, market.catalog
    seed = int(jobs.text_seed[job])
    category = catalog.category_slugs[jobs.category[job]]
    if jobs.format[job] == TASK:
        title = texts.task_title(category, int(jobs.unit_price_yen[job]), seed)
    elif jobs.format[job] == COMPETITION:
        title = texts.competition_title(category, seed)
    else:
        title = texts.project_title(category, seed)
    skills = [catalog.skill_names[s] for s in jobs.skills.skill[job] if s >= 0]
    description = texts.job_description(
        title=title, intro=_intro(market, int(jobs.client[job])), skills=skills, seed=seed
    )
    return title, description


def _intro(market: DemoMarket, client: int) -> str:
    organization = int(market.clients.organization[client])
    if organization < 0:
        return texts.client_intro(None)
    return texts.client_intro(texts.industry(int(market.organizations.text_seed[organization])))


def delivery_day(market: DemoMarket, job: int) -> float | None:
    """The day a project's client wants the work by, or None if not named."""
    jobs = market.jobs
    if jobs.format[job] != PROJECT or jobs.text_seed[job] % 10 >= DELIVERY_DATE_SHARE * 10:
        return None
    return float(jobs.deadline[job] + market.duration[job])


def jobs_write(writer: Writer) -> None:
    """Jobs, then their skills and the terms of task batches and competitions."""
    _jobs_write(writer)
    _job_skills_write(writer)
    _batches_write(writer)
    _competitions_write(writer)


def _jobs_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    jobs, states = market.jobs, market.states
    users, orgs = writer.ids.client_user, writer.ids.organization
    organization = market.clients.organization

    def build(start: int, stop: int) -> Iterator[Job]:
        for j in range(start, stop):
            client = int(jobs.client[j])
            title, description = job_text(market, j)
            delivery = delivery_day(market, j)
            yield Job(
                client_id=int(users[client]),
                organization_id=int(orgs[organization[client]])
                if organization[client] >= 0
                else None,
                format=FORMATS[int(jobs.format[j])],
                category_id=int(writer.category_pk[jobs.category[j]]),
                title=title,
                description=description,
                budget_yen=int(jobs.budget_yen[j]),
                deadline=clock.at(float(jobs.deadline[j])),
                delivery_due=clock.date(delivery) if delivery is not None else None,
                visibility=VISIBILITIES[int(jobs.visibility[j])],
                status=STATUSES[int(states.status[j])],
                created_at=clock.at(float(jobs.posted[j])),
                closed_at=clock.maybe(float(states.closed[j])),
            )

    writer.ids.job = writer.insert(Job, len(jobs), build)


def _job_skills_write(writer: Writer) -> None:
    skills = writer.market.jobs.skills
    job, column = np.nonzero(skills.skill >= 0)
    ids = writer.ids.job

    def build(start: int, stop: int) -> Iterator[JobSkill]:
        for row in range(start, stop):
            j, k = int(job[row]), int(column[row])
            yield JobSkill(
                job_id=int(ids[j]),
                skill_id=int(writer.skill_pk[skills.skill[j, k]]),
                required=bool(skills.required[j, k]),
                min_level=int(skills.min_level[j, k]),
            )

    writer.insert(JobSkill, len(job), build)


def _batches_write(writer: Writer) -> None:
    jobs = writer.market.jobs
    tasks = np.flatnonzero(jobs.format == TASK)
    ids = writer.ids.job

    def build(start: int, stop: int) -> Iterator[TaskBatch]:
        for j in tasks[start:stop].tolist():
            qualified = bool(jobs.qualified[j])
            yield TaskBatch(
                job_id=int(ids[j]),
                unit_count=int(jobs.unit_count[j]),
                unit_price_yen=int(jobs.unit_price_yen[j]),
                per_worker_cap=int(jobs.per_worker_cap[j]),
                qualification_skill_id=int(writer.skill_pk[jobs.skills.skill[j, 0]])
                if qualified
                else None,
                qualification_min_level=int(jobs.qualification_min_level[j]) if qualified else 1,
                instructions="作業マニュアルに沿って進めてください。不明点はメッセージでご質問ください。",
            )

    writer.ids.batch = _by_job(len(jobs), tasks, writer.insert(TaskBatch, len(tasks), build))


def _competitions_write(writer: Writer) -> None:
    market = writer.market
    jobs = market.jobs
    contests = np.flatnonzero(jobs.format == COMPETITION)
    ids = writer.ids.job

    def build(start: int, stop: int) -> Iterator[Competition]:
        for j in contests[start:stop].tolist():
            yield Competition(
                job_id=int(ids[j]),
                prize_yen=int(jobs.prize_yen[j]),
                winner_count=int(jobs.winner_count[j]),
                awarded_at=writer.clock.maybe(float(market.award[j])),
            )

    inserted = writer.insert(Competition, len(contests), build)
    writer.ids.competition = _by_job(len(jobs), contests, inserted)


def _by_job(n_jobs: int, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Spread ids of per-format rows over all job indices (-1 elsewhere)."""
    out = np.full(n_jobs, -1, dtype=np.int64)
    out[rows] = ids
    return out
