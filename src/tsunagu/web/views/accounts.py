"""Account pages: sign-up, sign-in and out, the links mailed by accounts'
services (verification, password reset, organization join) and closure (退会).
"""

import logging

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.accounts import services
from tsunagu.accounts.selectors import organization_invited_by_token
from tsunagu.errors import DomainError
from tsunagu.web.forms.accounts import (
    AccountCloseForm,
    LoginForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    SignupForm,
)
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.request_info import AuthenticatedRequest, safe_next

logger = logging.getLogger(__name__)


def signup(request: HttpRequest) -> HttpResponse:
    """Register (会員登録); signed in at once, the address confirmed by mail."""
    if request.user.is_authenticated:
        return redirect("web:mypage")
    form = SignupForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(**form.cleaned_data)
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome! We sent a link to %(email)s to confirm it.") % {"email": user.email},
            )
            return redirect(safe_next(request, reverse("web:mypage")))
    return render(
        request,
        "web/accounts/signup.html",
        {"form": form},
        status=page_status(form, refusal=refusal),
    )


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["email"].strip().lower(),
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(None, _("The email address or the password is wrong."))
        else:
            login(request, user)
            return redirect(safe_next(request, reverse("web:mypage")))
    return render(
        request,
        "web/accounts/login.html",
        {"form": form, "next": safe_next(request, "")},
        status=400 if form.errors else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("web:home")


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed confirmation link; following it again is harmless."""
    try:
        services.user_verify_email(token=token)
    except DomainError as error:
        return render(request, "web/accounts/verify.html", {"error": error.message}, status=400)
    return render(request, "web/accounts/verify.html", {"error": None})


def password_reset_request(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer is the same whether the address is known."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return render(request, "web/accounts/reset_sent.html")
    return render(request, "web/accounts/reset_request.html", {"form": form})


def password_reset_confirm(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    form = PasswordResetConfirmForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(
                user_id=user_id, token=token, new_password=form.cleaned_data["password"]
            )
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("Your password is changed. Sign in with it."))
            return redirect("web:login")
    return render(
        request,
        "web/accounts/reset_confirm.html",
        {"form": form},
        status=page_status(form, refusal=refusal),
    )


@login_required
def account_close(request: AuthenticatedRequest) -> HttpResponse:
    """Close the account (退会) after an explicit confirmation."""
    form = AccountCloseForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            services.account_close(user=request.user)
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            logout(request)
            return render(request, "web/accounts/closed.html")
    return render(
        request,
        "web/accounts/close.html",
        {"form": form},
        status=page_status(form, refusal=refusal),
    )


@login_required
def organization_join(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The mailed invitation link: shows the organization, joins on POST."""
    organization = organization_invited_by_token(token)
    if organization is None:
        return render(request, "web/accounts/join.html", {"organization": None}, status=404)
    if request.method == "POST":
        try:
            services.organization_invitation_accept(token=token, user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("You joined %(name)s.") % {"name": organization.name})
            return redirect("web:mypage")
    return render(request, "web/accounts/join.html", {"organization": organization})
