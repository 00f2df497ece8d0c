"""Reads of people: public worker profiles and a user's organizations."""

from django.db.models import Prefetch, QuerySet

from tsunagu.accounts.models import Membership, Organization, User, WorkerProfile
from tsunagu.skills.models import WorkerSkill


def worker_public_profile(user_id: int) -> WorkerProfile | None:
    """A public, open worker profile with skills and portfolio, or None."""
    return (
        WorkerProfile.objects.filter(user_id=user_id, is_public=True, user__is_active=True)
        .select_related("user")
        .prefetch_related(
            "portfolio",
            Prefetch(
                "user__skills",
                queryset=WorkerSkill.objects.select_related("skill__category"),
            ),
        )
        .first()
    )


def workers_listing() -> QuerySet[WorkerProfile]:
    return (
        WorkerProfile.objects.filter(is_public=True, user__is_active=True)
        .select_related("user")
        .prefetch_related(
            Prefetch("user__skills", queryset=WorkerSkill.objects.select_related("skill"))
        )
        .order_by("-completed_contracts", "-id")
    )


def organizations_of(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("name")


def membership_of(user: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(user=user, organization=organization).first()


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's memberships with their organizations, by organization name."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "id")
    )


def worker_profile_of(user: User) -> WorkerProfile | None:
    return WorkerProfile.objects.filter(user=user).first()


def organization_invited_by_token(token: str) -> Organization | None:
    """The organization an open (unaccepted, unexpired) join link invites to.

    Tokens are stored as their SHA-256, as ``organization_invite`` writes them.
    """
    import hashlib

    from django.utils import timezone

    return Organization.objects.filter(
        invitations__token_hash=hashlib.sha256(token.encode()).hexdigest(),
        invitations__accepted_at__isnull=True,
        invitations__expires_at__gt=timezone.now(),
    ).first()
