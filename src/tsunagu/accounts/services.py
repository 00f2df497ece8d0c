"""Every write to accounts: sign-up, verification, passwords, closure, teams.

Each function runs in one transaction and raises a ``DomainError`` before
writing anything when a rule refuses the request. Mail is sent only after
the transaction commits.
"""

import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tsunagu.accounts.models import (
    IdentityStatus,
    MemberRole,
    Membership,
    Organization,
    OrganizationInvitation,
    PortfolioItem,
    User,
    WorkerProfile,
)
from tsunagu.accounts.prefectures import Prefecture
from tsunagu.audit.services import transitions_bulk_record
from tsunagu.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation

logger = logging.getLogger(__name__)

EMAIL_VERIFICATION_SALT = "tsunagu.accounts.email-verification"
# A qualified invoice issuer's registration number (適格請求書発行事業者登録番号).
INVOICE_NUMBER = re.compile(r"T[0-9]{13}")
INVITATION_LIFETIME = timedelta(days=14)


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("Enter a valid email address."), code="invalid_email", field="email"
        ) from None
    return email


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(
            " ".join(error.messages), code="weak_password", field="password"
        ) from None


def _send_after_commit(subject: str, body: str, to: str) -> None:
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True)
    )


def email_verification_token(user: User) -> str:
    """A signed token naming the user and the address being verified."""
    return signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_VERIFICATION_SALT)


@transaction.atomic
def user_signup(
    *,
    email: str,
    password: str,
    display_name: str,
    as_worker: bool = True,
    as_client: bool = False,
    organization_name: str = "",
) -> User:
    """Create a person, their worker profile and, if named, their organization.

    Raises ``email_taken`` (409) when the address is in use and
    ``weak_password`` when Django's validators refuse the password. Sends the
    verification mail after commit.
    """
    email = _clean_email(email)
    display_name = display_name.strip()
    if not display_name:
        raise DomainError(_("Enter a display name."), code="display_name_required")
    if not (as_worker or as_client):
        raise DomainError(_("Choose to work, to order, or both."), code="no_role")
    if User.objects.filter(email=email).exists():
        raise Conflict(_("This email address is already registered."), code="email_taken")
    _check_password(password, User(email=email, display_name=display_name))

    user = User.objects.create_user(email, password, display_name=display_name)
    if as_worker:
        WorkerProfile.objects.create(user=user)
    if as_client and organization_name.strip():
        organization_create(owner=user, name=organization_name)

    link = f"{settings.SITE_URL}/accounts/verify/{email_verification_token(user)}/"
    _send_after_commit(
        _("Confirm your email address"),
        _("Open this link to confirm your address: %(link)s") % {"link": link},
        user.email,
    )
    logger.info("user signed up", extra={"user_id": user.pk})
    return user


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    """Mark the address in ``token`` verified; refuses stale or changed ones."""
    try:
        data = signing.loads(
            token,
            salt=EMAIL_VERIFICATION_SALT,
            max_age=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS,
        )
    except signing.BadSignature:
        raise DomainError(_("This link is invalid or has expired."), code="invalid_token") from None
    user = User.objects.select_for_update().filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email != data.get("email"):
        raise DomainError(_("This link is invalid or has expired."), code="invalid_token")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at", "updated_at"])
    return user


def password_reset_request(*, email: str) -> None:
    """Mail a reset link if the address belongs to an open account.

    Says nothing either way to the caller, so the form cannot be used to
    find out who is registered.
    """
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is None:
        return
    token = default_token_generator.make_token(user)
    link = f"{settings.SITE_URL}/accounts/reset/{user.pk}/{token}/"
    send_mail(
        _("Reset your password"),
        _("Open this link to choose a new password: %(link)s") % {"link": link},
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        fail_silently=True,
    )


@transaction.atomic
def password_reset_confirm(*, user_id: int, token: str, new_password: str) -> User:
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise DomainError(_("This link is invalid or has expired."), code="invalid_token")
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return user


@transaction.atomic
def account_close(*, user: User) -> None:
    """Close an account (退会), keeping only what the law requires.

    Contracts, reviews and messages stay (transaction records must be kept
    for seven years), tied to an anonymised user; the profile text,
    portfolio, skills, memberships and sign-in are removed.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.closed_at is not None:
        raise Conflict(_("This account is already closed."), code="already_closed")
    if user.contracts_as_worker.filter(status="active").exists() or (
        user.contracts_as_client.filter(status="active").exists()
    ):
        raise RuleViolation(
            _("Finish or cancel your active contracts before closing the account."),
            code="active_contracts",
        )

    user.email = f"closed-{user.pk}-{secrets.token_hex(4)}@closed.invalid"
    user.display_name = _("Former member")
    user.is_active = False
    user.closed_at = timezone.now()
    user.set_unusable_password()
    user.save(
        update_fields=["email", "display_name", "is_active", "closed_at", "password", "updated_at"]
    )
    user.memberships.all().delete()
    user.skills.all().delete()
    WorkerProfile.objects.filter(user=user).update(
        headline="", bio="", prefecture="", languages=[], is_public=False
    )
    PortfolioItem.objects.filter(profile__user=user).delete()
    open_jobs = list(user.jobs_posted.filter(status="open").values_list("pk", flat=True))
    user.jobs_posted.filter(pk__in=open_jobs).update(status="cancelled", closed_at=timezone.now())
    transitions_bulk_record(
        machine="job",
        object_ids=open_jobs,
        from_state="open",
        to="cancelled",
        by=user,
        reason="account closed",
    )
    logger.info("account closed", extra={"user_id": user.pk})


PROFILE_FIELDS = ("headline", "bio", "hourly_rate_yen", "hours_per_week", "prefecture", "languages")


@transaction.atomic
def worker_profile_update(
    *,
    user: User,
    headline: str | None = None,
    bio: str | None = None,
    hourly_rate_yen: int | None = None,
    hours_per_week: int | None = None,
    prefecture: str | None = None,
    languages: list[str] | None = None,
    is_public: bool | None = None,
) -> WorkerProfile:
    """Change the fields given; create the profile when a client starts working."""
    profile, _created = WorkerProfile.objects.select_for_update().get_or_create(user=user)
    changes = {
        "headline": headline,
        "bio": bio,
        "hourly_rate_yen": hourly_rate_yen,
        "hours_per_week": hours_per_week,
        "prefecture": prefecture,
        "languages": languages,
        "is_public": is_public,
    }
    changes = {name: value for name, value in changes.items() if value is not None}
    if hours_per_week is not None and not 0 <= hours_per_week <= 168:
        raise DomainError(_("A week has 168 hours."), code="invalid_hours", field="hours_per_week")
    if hourly_rate_yen is not None and hourly_rate_yen < 0:
        raise DomainError(
            _("Enter a rate of 0 yen or more."), code="invalid_rate", field="hourly_rate_yen"
        )
    if prefecture and prefecture not in Prefecture.values:
        raise DomainError(_("Unknown prefecture."), code="invalid_prefecture", field="prefecture")

    for name, value in changes.items():
        setattr(profile, name, value)
    profile.save(update_fields=[*changes, "updated_at"])
    return profile


@transaction.atomic
def portfolio_item_add(
    *, user: User, title: str, description: str = "", url: str = ""
) -> PortfolioItem:
    profile = WorkerProfile.objects.filter(user=user).first()
    if profile is None:
        raise RuleViolation(_("Only workers have a portfolio."), code="not_a_worker")
    if not title.strip():
        raise DomainError(_("Enter a title."), code="title_required", field="title")
    if url:
        # Only web links: a javascript: or data: address would run in the page.
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise DomainError(
                _("Enter a web address starting with http:// or https://."),
                code="invalid_url",
                field="url",
            ) from None
    return PortfolioItem.objects.create(
        profile=profile, title=title.strip(), description=description, url=url
    )


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:40] or "org"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def organization_create(*, owner: User, name: str) -> Organization:
    """A corporate client with ``owner`` as its first member."""
    name = name.strip()
    if not name:
        raise DomainError(_("Enter the organization's name."), code="name_required", field="name")
    organization = Organization.objects.create(name=name, slug=_unique_slug(name))
    Membership.objects.create(organization=organization, user=owner, role=MemberRole.OWNER)
    return organization


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def organization_invite(
    *, organization: Organization, by: User, email: str, role: str = MemberRole.MEMBER
) -> tuple[OrganizationInvitation, str]:
    """Invite an address to join; returns the invitation and its one-time token.

    Only owners and administrators may invite. The token is stored as a hash
    and mailed after commit.
    """
    email = _clean_email(email)
    inviter = Membership.objects.filter(organization=organization, user=by).first()
    if inviter is None or inviter.role == MemberRole.MEMBER:
        raise PermissionDenied(_("Only owners and administrators can invite."))
    if role not in MemberRole.values or role == MemberRole.OWNER:
        raise DomainError(_("Choose administrator or member."), code="invalid_role", field="role")
    if Membership.objects.filter(organization=organization, user__email=email).exists():
        raise Conflict(_("This person is already a member."), code="already_member")

    token = secrets.token_urlsafe(32)
    invitation = OrganizationInvitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    link = f"{settings.SITE_URL}/organizations/join/{token}/"
    _send_after_commit(
        _("You are invited to %(name)s on Tsunagu") % {"name": organization.name},
        _("Open this link to join: %(link)s") % {"link": link},
        email,
    )
    return invitation, token


@transaction.atomic
def organization_invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        OrganizationInvitation.objects.select_for_update()
        .filter(token_hash=_token_hash(token), accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.expires_at < timezone.now():
        raise NotFound(_("This invitation is invalid or has expired."), code="invalid_invitation")
    if invitation.email != user.email:
        raise PermissionDenied(_("This invitation is for another email address."))
    if Membership.objects.filter(organization=invitation.organization, user=user).exists():
        raise Conflict(_("You are already a member."), code="already_member")

    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return Membership.objects.create(
        organization=invitation.organization, user=user, role=invitation.role
    )


@transaction.atomic
def identity_submit(*, user: User) -> User:
    """Record that documents were submitted; review comes with the trust app."""
    # TODO(#11): store the documents encrypted and let operators review them.
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.identity_status != "unverified":
        raise Conflict(
            _("Your identity is already under review or verified."), code="identity_pending"
        )
    user.identity_status = "submitted"
    user.save(update_fields=["identity_status", "updated_at"])
    return user


@transaction.atomic
def identity_review(*, user: User, by: User, approve: bool) -> User:
    """An operator's decision on submitted identity documents.

    Approval makes the user ``verified``; a rejection sends them back to
    ``unverified`` so that they can submit again. Only staff may decide, and
    only on a submission: a verified or never-submitted user is a conflict.
    """
    if not by.is_staff:
        raise PermissionDenied(_("Only operators review identity documents."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.identity_status != IdentityStatus.SUBMITTED:
        raise Conflict(
            _("There is no identity submission to review."), code="identity_not_submitted"
        )

    user.identity_status = IdentityStatus.VERIFIED if approve else IdentityStatus.UNVERIFIED
    user.save(update_fields=["identity_status", "updated_at"])
    logger.info("identity reviewed", extra={"user_id": user.pk, "approved": approve})
    return user


def invoice_number_clean(number: str) -> str:
    """A registration number in its one stored form, or "" for none.

    Accepts full-width characters, hyphens and spaces as people type them
    (Ｔ１２３４-５６７８...) and returns "T" plus 13 digits. Raises 400
    ``invalid_invoice_number`` for anything else.
    """
    cleaned = unicodedata.normalize("NFKC", number).upper()
    cleaned = re.sub(r"[\s\-‐－ー]", "", cleaned)
    if not cleaned:
        return ""
    if not INVOICE_NUMBER.fullmatch(cleaned):
        raise DomainError(
            _("A registration number is T followed by 13 digits."),
            code="invalid_invoice_number",
            field="invoice_number",
        )
    return cleaned


@transaction.atomic
def worker_invoice_number_set(*, user: User, number: str) -> WorkerProfile:
    """Record (or with "" clear) the worker's qualified invoice issuer number."""
    cleaned = invoice_number_clean(number)
    profile = WorkerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise RuleViolation(_("Only workers have a profile."), code="not_a_worker")

    profile.invoice_number = cleaned
    profile.save(update_fields=["invoice_number", "updated_at"])
    return profile


@transaction.atomic
def organization_tax_settings_update(
    *, organization: Organization, by: User, invoice_number: str, withholds_income_tax: bool
) -> Organization:
    """An organization's owner or administrator sets its invoice number and withholding.

    Withholding (源泉徴収) is the paying organization's duty; when it opts in,
    releases to individual workers in the categories where the law asks for
    it are paid net of the tax. Raises 403 ``not_a_member`` to anyone else.
    """
    cleaned = invoice_number_clean(invoice_number)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not organization.memberships.filter(
        user=by, role__in=[MemberRole.OWNER, MemberRole.ADMIN]
    ).exists():
        raise PermissionDenied(
            _("Only the organization's administrators change its tax settings."),
            code="not_a_member",
        )

    organization.invoice_number = cleaned
    organization.withholds_income_tax = withholds_income_tax
    organization.save(update_fields=["invoice_number", "withholds_income_tax", "updated_at"])
    return organization
