"""factory-boy factories, one per entity, with realistic defaults.

Factories write rows directly for arranging a test; the behaviour under test
always goes through the services.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from tsunagu.accounts.models import MemberRole, Membership, Organization, User, WorkerProfile
from tsunagu.payments.field_crypto import field_encrypt
from tsunagu.payments.models import BankAccount, BankAccountType
from tsunagu.skills.models import Category, Skill, WorkerSkill
from tsunagu.work.models import (
    Competition,
    Contract,
    Job,
    JobFormat,
    Milestone,
    Proposal,
    TaskBatch,
)

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Sequence(lambda n: f"利用者{n}")
    password = factory.django.Password(PASSWORD)
    email_verified_at = factory.LazyFunction(timezone.now)


class WorkerFactory(UserFactory):
    """A user with a worker profile."""

    profile = factory.RelatedFactory(
        "tests.factories.WorkerProfileFactory", factory_related_name="user"
    )


class ClientFactory(UserFactory):
    email = factory.Sequence(lambda n: f"client{n}@example.test")


class WorkerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerProfile

    user = factory.SubFactory(UserFactory)
    headline = "Excel・VBAで業務を自動化します"
    bio = "経理事務10年の経験があります。"
    hourly_rate_yen = 2500
    hours_per_week = 20
    prefecture = "tokyo"
    languages = factory.LazyFunction(lambda: ["ja"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"株式会社テスト{n}")
    slug = factory.Sequence(lambda n: f"test-org-{n}")

    @factory.post_generation
    def owner(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted is not None:
            Membership.objects.create(organization=self, user=extracted, role=MemberRole.OWNER)


def category(slug: str = "data-entry") -> Category:
    return Category.objects.get(slug=slug)


def skill(slug: str = "excel-vba") -> Skill:
    return Skill.objects.get(slug=slug)


class WorkerSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerSkill

    worker = factory.SubFactory(WorkerFactory)
    skill = factory.LazyFunction(skill)
    level = 3


class JobFactory(factory.django.DjangoModelFactory):
    """An open public project in data entry, two weeks to propose."""

    class Meta:
        model = Job
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    format = JobFormat.PROJECT
    category = factory.LazyFunction(category)
    title = "Excelマクロで売上集計を自動化"
    description = "毎月の売上データをVBAで集計する仕組みを作ってください。"
    budget_yen = 50_000
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class TaskJobFactory(JobFactory):
    format = JobFormat.TASK
    title = "商品データの入力（100件）"
    budget_yen = 5_000
    batch = factory.RelatedFactory("tests.factories.TaskBatchFactory", factory_related_name="job")


class TaskBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskBatch

    job = factory.SubFactory(TaskJobFactory, batch=None)
    unit_count = 100
    unit_price_yen = 50
    per_worker_cap = 20


class CompetitionJobFactory(JobFactory):
    format = JobFormat.COMPETITION
    category = factory.LazyFunction(lambda: category("design"))
    title = "カフェのロゴデザイン募集"
    budget_yen = 30_000
    competition = factory.RelatedFactory(
        "tests.factories.CompetitionFactory", factory_related_name="job"
    )


class CompetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competition

    job = factory.SubFactory(CompetitionJobFactory, competition=None)
    prize_yen = 30_000
    winner_count = 1


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    job = factory.SubFactory(JobFactory)
    worker = factory.SubFactory(WorkerFactory)
    price_yen = 40_000
    message = "VBAでの自動化が得意です。よろしくお願いします。"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    job = factory.SubFactory(JobFactory)
    client = factory.SelfAttribute("job.client")
    worker = factory.SubFactory(WorkerFactory)
    title = factory.SelfAttribute("job.title")
    scope = factory.SelfAttribute("job.description")
    price_yen = 40_000
    milestone = factory.RelatedFactory(
        "tests.factories.MilestoneFactory",
        factory_related_name="contract",
        amount_yen=factory.SelfAttribute("..price_yen"),
    )


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    contract = factory.SubFactory(ContractFactory, milestone=None)
    position = 1
    title = "納品"
    amount_yen = 40_000


class BankAccountFactory(factory.django.DjangoModelFactory):
    """A worker's bank account, its number and holder name encrypted as the service stores them.

    ``number`` and ``holder`` are the details in clear (not fields of the model).
    """

    class Meta:
        model = BankAccount
        exclude = ["number", "holder"]

    number = "1234567"
    holder = "ヤマダ\u3000タロウ"
    owner = factory.SubFactory(WorkerFactory)
    bank_code = "0001"
    branch_code = "001"
    account_type = BankAccountType.ORDINARY
    account_number_encrypted = factory.LazyAttribute(lambda o: field_encrypt(o.number))
    holder_name_encrypted = factory.LazyAttribute(lambda o: field_encrypt(o.holder))
    account_number_last4 = factory.LazyAttribute(lambda o: o.number[-4:])
