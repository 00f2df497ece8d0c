"""Bodies of the accounts API: sign-up and sign-in, profiles, organizations.

Request bodies forbid unknown fields, so a client cannot set what the
services keep (ratings, verification, roles it was not given). A response
about someone else shows what their public profile shows and no more: never
an email address.
"""

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from tsunagu.accounts.models import Membership, User
from tsunagu.api.limits import DisplayName, Email, LongText, SmallCount, Title, Yen
from tsunagu.skills.schemas import WorkerSkillOut
from tsunagu.work.selectors import WorkerPage

FORBID_EXTRA = ConfigDict(extra="forbid")

# --- sign-up, sign-in, passwords ----------------------------------------------


class SignupIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "hanako@example.jp",
                    "password": "kasumi-gaseki-2026",
                    "display_name": "山田花子",
                    "as_worker": True,
                    "as_client": False,
                },
                {
                    "email": "order@example.co.jp",
                    "password": "marunouchi-7-tower",
                    "display_name": "佐藤商事 発注担当",
                    "as_worker": False,
                    "as_client": True,
                    "organization_name": "佐藤商事株式会社",
                },
            ]
        },
    )

    email: Email
    password: str
    display_name: DisplayName
    as_worker: bool = True
    as_client: bool = False
    organization_name: Title = Field(default="", description="Creates the organization when given.")


class SigninIn(Schema):
    model_config = FORBID_EXTRA

    email: Email = Field(examples=["hanako@example.jp"])
    password: str


class UserOut(Schema):
    """The signed-in person's own account."""

    id: int
    email: str
    display_name: str
    is_worker: bool
    identity_status: str = Field(description="unverified, submitted or verified")
    email_verified: bool

    @staticmethod
    def resolve_is_worker(user: User) -> bool:
        return hasattr(user, "worker_profile")

    @staticmethod
    def resolve_email_verified(user: User) -> bool:
        return user.is_email_verified


class VerifyEmailIn(Schema):
    model_config = FORBID_EXTRA

    token: str = Field(description="The token from the link in the verification mail.")


class PasswordResetIn(Schema):
    model_config = FORBID_EXTRA

    email: Email


class PasswordResetConfirmIn(Schema):
    model_config = FORBID_EXTRA

    user_id: int
    token: str
    new_password: str


# --- the worker's own profile ---------------------------------------------------


class PortfolioItemIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "在庫管理マクロ",
                    "description": "Excel VBAで在庫表の集計を自動化しました。",
                    "url": "https://example.jp/works/stock-macro",
                }
            ]
        },
    )

    title: Title
    description: LongText = ""
    url: str = Field(default="", max_length=200)


class PortfolioItemOut(Schema):
    id: int
    title: str
    description: str
    url: str
    created_at: datetime


class ProfileUpdateIn(Schema):
    """The fields to change; those left out (or null) stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "headline": "Excel・VBAで業務を自動化します",
                    "hourly_rate_yen": 2500,
                    "hours_per_week": 20,
                    "prefecture": "tokyo",
                    "languages": ["ja", "en"],
                }
            ]
        },
    )

    headline: Title | None = None
    bio: LongText | None = None
    hourly_rate_yen: Yen | None = None
    hours_per_week: SmallCount | None = None
    prefecture: str | None = Field(default=None, description="A prefecture code such as tokyo.")
    languages: list[str] | None = None
    is_public: bool | None = None


class ProfileOut(Schema):
    """The worker's own profile, with what only they see (earnings)."""

    headline: str
    bio: str
    hourly_rate_yen: int
    hours_per_week: int
    prefecture: str
    languages: list[str]
    is_public: bool
    rating: float | None
    rating_count: int
    completed_contracts: int
    earned_total_yen: int
    portfolio: list[PortfolioItemOut]


# --- public worker profiles -------------------------------------------------------


class ReviewSummaryOut(Schema):
    overall: int
    quality: int
    communication: int
    timeliness: int
    comment: str


class WorkHistoryOut(Schema):
    """A completed contract as the public sees it: no price, no client."""

    title: str
    category: str
    completed_at: datetime | None
    review: ReviewSummaryOut | None


class PublicWorkerOut(Schema):
    user_id: int
    display_name: str
    identity_verified: bool
    headline: str
    bio: str
    hourly_rate_yen: int
    hours_per_week: int
    prefecture: str
    languages: list[str]
    rating: float | None
    rating_count: int
    completed_contracts: int
    skills: list[WorkerSkillOut]
    portfolio: list[PortfolioItemOut]
    history: list[WorkHistoryOut]

    @staticmethod
    def resolve_user_id(page: WorkerPage) -> int:
        return page.profile.user_id

    @staticmethod
    def resolve_display_name(page: WorkerPage) -> str:
        return page.profile.user.display_name

    @staticmethod
    def resolve_identity_verified(page: WorkerPage) -> bool:
        return page.profile.user.is_identity_verified

    @staticmethod
    def resolve_headline(page: WorkerPage) -> str:
        return page.profile.headline

    @staticmethod
    def resolve_bio(page: WorkerPage) -> str:
        return page.profile.bio

    @staticmethod
    def resolve_hourly_rate_yen(page: WorkerPage) -> int:
        return page.profile.hourly_rate_yen

    @staticmethod
    def resolve_hours_per_week(page: WorkerPage) -> int:
        return page.profile.hours_per_week

    @staticmethod
    def resolve_prefecture(page: WorkerPage) -> str:
        return page.profile.prefecture

    @staticmethod
    def resolve_languages(page: WorkerPage) -> list[str]:
        return list(page.profile.languages)

    @staticmethod
    def resolve_rating(page: WorkerPage) -> float | None:
        return page.profile.rating

    @staticmethod
    def resolve_rating_count(page: WorkerPage) -> int:
        return page.profile.rating_count

    @staticmethod
    def resolve_completed_contracts(page: WorkerPage) -> int:
        return page.profile.completed_contracts

    @staticmethod
    def resolve_skills(page: WorkerPage) -> list[object]:
        return list(page.profile.user.skills.all())

    @staticmethod
    def resolve_portfolio(page: WorkerPage) -> list[object]:
        return list(page.profile.portfolio.all())

    @staticmethod
    def resolve_history(page: WorkerPage) -> list[dict[str, object]]:
        return [
            {
                "title": entry.contract.title,
                "category": entry.contract.job.category.slug,
                "completed_at": entry.contract.completed_at,
                "review": entry.review,
            }
            for entry in page.history
        ]


# --- organizations -------------------------------------------------------------


class OrganizationIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "佐藤商事株式会社"}]}
    )

    name: Title


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str
    description: str


class MyOrganizationOut(Schema):
    """An organization the caller belongs to, with the caller's role in it."""

    id: int
    name: str
    slug: str
    description: str
    role: str = Field(description="owner, admin or member")

    @staticmethod
    def resolve_id(membership: Membership) -> int:
        return membership.organization_id

    @staticmethod
    def resolve_name(membership: Membership) -> str:
        return membership.organization.name

    @staticmethod
    def resolve_slug(membership: Membership) -> str:
        return membership.organization.slug

    @staticmethod
    def resolve_description(membership: Membership) -> str:
        return membership.organization.description


class MyOrganizationsOut(Schema):
    items: list[MyOrganizationOut]


class OrganizationInviteIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "tanaka@example.co.jp", "role": "member"}]},
    )

    email: Email
    role: str = Field(default="member", description="admin or member")


class OrganizationInvitationOut(Schema):
    """An invitation sent; its token goes to the invitee by mail only."""

    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class OrganizationJoinIn(Schema):
    model_config = FORBID_EXTRA

    token: str = Field(description="The token from the link in the invitation mail.")
