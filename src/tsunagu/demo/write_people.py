"""People rows: users, worker profiles and skills, portfolios, organizations.

Users are written operator first, then every worker, then every client
account; a client who also works posts as its worker user. Only the three
showcase accounts have memorable emails; the others are numbered, all on
the reserved ``.test`` top-level domain, so no mail can reach anyone.
"""

from collections.abc import Iterator

import numpy as np

from tsunagu.accounts.models import (
    IdentityStatus,
    MemberRole,
    Membership,
    Organization,
    PortfolioItem,
    User,
    WorkerProfile,
)
from tsunagu.demo import texts
from tsunagu.demo.market import PROFILES
from tsunagu.demo.model import stream
from tsunagu.demo.names import PREFECTURE_WEIGHTS
from tsunagu.demo.write import Writer
from tsunagu.skills.models import Evidence, WorkerSkill

DOMAIN = "demo.tsunagu.test"
OPERATOR_EMAIL = f"operator@{DOMAIN}"
SHOWCASE_WORKER_EMAIL = f"worker@{DOMAIN}"
SHOWCASE_CLIENT_EMAIL = f"client@{DOMAIN}"
SHOWCASE_NAMES = {"operator": "つなぐ運営事務局", "worker": "佐藤 美咲", "client": "山本 健太"}
ROLES = (MemberRole.OWNER, MemberRole.ADMIN, MemberRole.MEMBER)
TESTED_SHARE = 0.1


def worker_email(index: int) -> str:
    return SHOWCASE_WORKER_EMAIL if index == 0 else f"worker{index:06d}@{DOMAIN}"


def client_email(index: int) -> str:
    return SHOWCASE_CLIENT_EMAIL if index == 0 else f"client{index:05d}@{DOMAIN}"


def people_write(writer: Writer, password_hash: str) -> None:
    """Users, profiles, skills, portfolios, organizations and memberships."""
    _users_write(writer, password_hash)
    _profiles_write(writer)
    _skills_write(writer)
    _organizations_write(writer)


def _users_write(writer: Writer, password_hash: str) -> None:
    market, clock = writer.market, writer.clock
    workers, clients = market.workers, market.clients
    n_workers, n_accounts = len(workers), clients.n_accounts
    verified = np.concatenate([[True], workers.email_verified, clients.email_verified[:n_accounts]])
    joined = np.concatenate([[-720.0], workers.joined, clients.joined[:n_accounts]])
    seeds = np.concatenate([[0], workers.text_seed, clients.text_seed[:n_accounts]])

    def identity(index: int) -> tuple[str, str]:
        if index == 0:
            return OPERATOR_EMAIL, SHOWCASE_NAMES["operator"]
        if index <= n_workers:
            worker = index - 1
            if worker == 0:
                return worker_email(0), SHOWCASE_NAMES["worker"]
            category = market.catalog.category_slugs[workers.primary[worker]]
            return worker_email(worker), texts.worker_display_name(category, int(seeds[index]))
        client = index - 1 - n_workers
        name = SHOWCASE_NAMES["client"] if client == 0 else texts.person_name(int(seeds[index]))
        return client_email(client), name

    def build(start: int, stop: int) -> Iterator[User]:
        for index in range(start, stop):
            email, name = identity(index)
            day = float(joined[index])
            yield User(
                email=email,
                display_name=name,
                password=password_hash,
                is_staff=index == 0,
                is_superuser=index == 0,
                email_verified_at=clock.at(day + 0.01) if verified[index] else None,
                identity_status=_identity_status(int(seeds[index]), index),
                date_joined=clock.at(day),
            )

    ids = writer.insert(User, len(seeds), build)
    writer.ids.operator = int(ids[0])
    writer.ids.worker_user = ids[1 : 1 + n_workers]
    account = ids[1 + n_workers :]
    own = np.where(clients.worker >= 0, clients.worker, 0)
    writer.ids.client_user = np.where(
        clients.worker >= 0,
        writer.ids.worker_user[own],
        account[np.minimum(np.arange(len(clients)), max(n_accounts - 1, 0))],
    )


def _identity_status(seed: int, index: int) -> str:
    """A third verified, a few waiting; the showcase accounts verified."""
    if index <= 1 or seed % 3 == 0:
        return IdentityStatus.VERIFIED
    return IdentityStatus.SUBMITTED if seed % 17 == 1 else IdentityStatus.UNVERIFIED


def _profiles_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    workers, counters, catalog = market.workers, market.counters, market.catalog
    users = writer.ids.worker_user
    prefectures = [slug for slug, _ in PREFECTURE_WEIGHTS]
    # The first skill row of each worker is its most popular primary skill
    # only by chance; the headline names the highest-level one.
    top = _top_skill_rows(market.workers.skills.worker, market.workers.skills.level, len(workers))

    def build(start: int, stop: int) -> Iterator[WorkerProfile]:
        for w in range(start, stop):
            seed = int(workers.text_seed[w])
            label = texts.nick_label(catalog.category_slugs[workers.primary[w]], seed)
            skill = catalog.skill_names[workers.skills.skill[top[w]]] if top[w] >= 0 else label
            languages = ["ja"] + ["en"] * bool(workers.speaks_en[w])
            yield WorkerProfile(
                user_id=int(users[w]),
                headline=texts.headline(label, skill, seed),
                bio=texts.worker_bio(label, seed),
                hourly_rate_yen=int(workers.hourly_rate_yen[w]),
                hours_per_week=int(workers.hours_per_week[w]),
                prefecture=prefectures[workers.prefecture[w]],
                languages=languages + ["zh"] * bool(workers.speaks_zh[w]),
                is_public=bool(workers.is_public[w]),
                rating_sum=int(counters.rating_sum[w]),
                rating_count=int(counters.rating_count[w]),
                completed_contracts=int(counters.completed[w]),
                earned_total_yen=int(counters.earned_yen[w]),
                created_at=clock.at(float(workers.joined[w]) + 0.02),
            )

    profiles = writer.insert(WorkerProfile, len(workers), build)
    _portfolio_write(writer, profiles)


def _top_skill_rows(worker: np.ndarray, level: np.ndarray, n_workers: int) -> np.ndarray:
    """Per worker, the row of its highest-level skill (first on ties), or -1."""
    order = np.lexsort((np.arange(len(worker)), -level, worker))
    top = np.full(n_workers, -1, dtype=np.int64)
    first = np.ones(len(order), dtype=bool)
    first[1:] = worker[order][1:] != worker[order][:-1]
    top[worker[order][first]] = order[first]
    return top


def _portfolio_write(writer: Writer, profiles: np.ndarray) -> None:
    market, clock = writer.market, writer.clock
    workers = market.workers
    owner = np.repeat(np.arange(len(workers)), workers.portfolio_items)

    def build(start: int, stop: int) -> Iterator[PortfolioItem]:
        for row in range(start, stop):
            w = int(owner[row])
            seed = int(workers.text_seed[w]) + row
            category = market.catalog.category_slugs[workers.primary[w]]
            subject = texts.pick(texts.PROJECT_SUBJECTS.get(category, ("制作物",)), seed, 21)
            yield PortfolioItem(
                profile_id=int(profiles[w]),
                title=f"{texts.pick(texts.PORTFOLIO_TITLES, seed, 22)}：{subject}"[:120],
                description=texts.pick(texts.DETAILS, seed, 23),
                created_at=clock.at(float(workers.joined[w]) + 1.0),
            )

    writer.insert(PortfolioItem, len(owner), build)


def _skills_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    sets, proven = market.workers.skills, market.counters.proven
    users = writer.ids.worker_user
    tested = stream(market.seed, PROFILES).random(len(sets)) < TESTED_SHARE
    score = 55 + 9 * sets.level

    def build(start: int, stop: int) -> Iterator[WorkerSkill]:
        for row in range(start, stop):
            w = int(sets.worker[row])
            evidence = Evidence.PROVEN if proven[row] else Evidence.DECLARED
            if evidence == Evidence.DECLARED and tested[row]:
                evidence = Evidence.TESTED
            yield WorkerSkill(
                worker_id=int(users[w]),
                skill_id=int(writer.skill_pk[sets.skill[row]]),
                level=int(sets.level[row]),
                evidence=evidence,
                test_score=int(score[row]) if tested[row] else None,
                proven_contracts=int(proven[row]),
                created_at=clock.at(float(market.workers.joined[w]) + 0.02),
            )

    writer.insert(WorkerSkill, len(sets), build)


def _organizations_write(writer: Writer) -> None:
    market, clock = writer.market, writer.clock
    organizations, clients = market.organizations, market.clients

    def build(start: int, stop: int) -> Iterator[Organization]:
        for k in range(start, stop):
            seed = int(organizations.text_seed[k])
            number = f"T{seed % 10**13:013d}" if organizations.has_invoice_number[k] else ""
            yield Organization(
                name=texts.company_name(seed),
                slug=f"demo-{market.seed}-{k}",
                description=f"{texts.industry(seed)}を行っています。",
                invoice_number=number,
                created_at=clock.at(float(organizations.joined[k])),
            )

    writer.ids.organization = writer.insert(Organization, len(organizations), build)
    members = np.flatnonzero(clients.organization >= 0)
    orgs, users = writer.ids.organization, writer.ids.client_user

    def memberships(start: int, stop: int) -> Iterator[Membership]:
        for c in members[start:stop].tolist():
            yield Membership(
                organization_id=int(orgs[clients.organization[c]]),
                user_id=int(users[c]),
                role=ROLES[clients.role[c]],
                created_at=clock.at(float(clients.joined[c]) + 0.05),
            )

    writer.insert(Membership, len(members), memberships)
