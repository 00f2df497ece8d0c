"""Who is calling the API.

Operations that need a caller use ``SESSION`` (Django's session cookie,
CSRF-checked by Ninja on unsafe methods); API keys will join this list in
their own issue without changing the operations.
"""

import logging
from typing import cast

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import django_auth

from tsunagu.accounts.models import User
from tsunagu.errors import DomainError

logger = logging.getLogger(__name__)

SESSION = [django_auth]


def signed_in_user(request: HttpRequest) -> User:
    """The user an operation guarded by ``SESSION`` runs for."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


def viewer(request: HttpRequest) -> User:
    """The caller of an open operation, signed in or not.

    An anonymous caller is Django's ``AnonymousUser``; it is typed as a
    ``User`` because the access helpers take one and ask
    ``is_authenticated`` before anything else.
    """
    return cast(User, request.user)


def session_signin(request: HttpRequest, *, email: str, password: str) -> User:
    """Check the credentials and start a session (new session key and CSRF token).

    Raises ``invalid_credentials`` (401) for a wrong pair, an unknown address
    or a closed account alike, so the answer tells nobody who is registered.
    """
    user = authenticate(request, email=email.strip().lower(), password=password)
    if not isinstance(user, User):
        raise DomainError(
            _("The email address or the password is wrong."),
            code="invalid_credentials",
            status=401,
        )
    login(request, user)
    logger.info("api sign-in", extra={"user_id": user.pk})
    return user


def session_signout(request: HttpRequest) -> None:
    logout(request)
