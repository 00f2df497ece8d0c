"""What views need to know about a request: who asks, and how (htmx or not)."""

from typing import cast

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from tsunagu.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request past ``login_required``: ``user`` is a signed-in ``User``."""

    user: User


def viewer(request: HttpRequest) -> User:
    """The requester for the ``access_*`` helpers, which check sign-in themselves."""
    return cast(User, request.user)


def signed_in_user(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` address if it stays on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
