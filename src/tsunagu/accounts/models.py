"""People and organizations: users, worker profiles, clients' organizations.

One person is one ``User`` whatever roles they play: a worker has a
``WorkerProfile``; a client posts as an individual or for an ``Organization``
they are a member of. Times are stored in UTC.
"""

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.prefectures import Prefecture


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class IdentityStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in by email. Closing an account blanks the person."""

    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    identity_status = models.CharField(
        max_length=12, choices=IdentityStatus.choices, default=IdentityStatus.UNVERIFIED
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["id"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or f"user {self.pk}"

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_identity_verified(self) -> bool:
        return self.identity_status == IdentityStatus.VERIFIED


class WorkerProfile(models.Model):
    """What a worker shows clients. Rating and history fields are derived.

    ``rating_*`` and ``completed_contracts`` are kept by the review and
    contract services; nobody edits them directly.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="worker_profile")
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    bio = models.TextField(_("bio"), blank=True)
    hourly_rate_yen = models.PositiveIntegerField(_("expected hourly rate (yen)"), default=0)
    hours_per_week = models.PositiveSmallIntegerField(_("hours available per week"), default=0)
    prefecture = models.CharField(
        _("prefecture"), max_length=12, choices=Prefecture.choices, blank=True
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    is_public = models.BooleanField(_("public profile"), default=True)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    completed_contracts = models.PositiveIntegerField(default=0)
    earned_total_yen = models.PositiveBigIntegerField(default=0)
    # 適格請求書発行事業者登録番号: "T" and 13 digits, or blank for a worker who is not registered.
    invoice_number = models.CharField(_("qualified invoice number"), max_length=14, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_week__lte=168), name="worker_hours_within_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.headline})"

    @property
    def rating(self) -> float | None:
        """Mean overall rating received, or None before the first review."""
        if not self.rating_count:
            return None
        return self.rating_sum / self.rating_count


class PortfolioItem(models.Model):
    profile = models.ForeignKey(WorkerProfile, on_delete=models.CASCADE, related_name="portfolio")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.title


class Organization(models.Model):
    """A corporate client. Jobs posted for it are visible to its members."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(unique=True, max_length=60)
    description = models.TextField(_("description"), blank=True)
    invoice_number = models.CharField(_("qualified invoice number"), max_length=14, blank=True)
    # Whether the organization withholds income tax (源泉徴収) on its payments to
    # individuals in the categories where the law asks for it.
    withholds_income_tax = models.BooleanField(_("withholds income tax"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_each"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class OrganizationInvitation(models.Model):
    """An invitation to join an organization, accepted by following a token."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"invitation to {self.organization}"
