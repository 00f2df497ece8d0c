"""The accounts API: sign-up and sessions, one's own profile, public worker
profiles and organizations."""

from django.http import HttpRequest
from ninja import Router, Status

from tsunagu.accounts.models import (
    Membership,
    Organization,
    OrganizationInvitation,
    PortfolioItem,
    User,
    WorkerProfile,
)
from tsunagu.accounts.schemas import (
    MyOrganizationOut,
    MyOrganizationsOut,
    OrganizationIn,
    OrganizationInvitationOut,
    OrganizationInviteIn,
    OrganizationJoinIn,
    OrganizationOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PortfolioItemIn,
    PortfolioItemOut,
    ProfileOut,
    ProfileUpdateIn,
    PublicWorkerOut,
    SigninIn,
    SignupIn,
    UserOut,
    VerifyEmailIn,
)
from tsunagu.accounts.selectors import memberships_of
from tsunagu.accounts.services import (
    account_close,
    identity_submit,
    organization_create,
    organization_invitation_accept,
    organization_invite,
    password_reset_confirm,
    password_reset_request,
    portfolio_item_add,
    user_signup,
    user_verify_email,
    worker_profile_update,
)
from tsunagu.api.auth import SESSION, session_signin, session_signout, signed_in_user
from tsunagu.api.lookups import organization_of_member, own_worker_profile, public_worker_page
from tsunagu.work.selectors import WorkerPage

router = Router()

# --- sign-up and sessions -----------------------------------------------------


@router.post(
    "/auth/signup",
    response={201: UserOut},
    tags=["auth"],
    operation_id="auth_signup",
    summary="Create an account (worker, client or both); a verification mail follows",
)
def auth_signup(request: HttpRequest, payload: SignupIn) -> Status[User]:
    user = user_signup(
        email=payload.email,
        password=payload.password,
        display_name=payload.display_name,
        as_worker=payload.as_worker,
        as_client=payload.as_client,
        organization_name=payload.organization_name,
    )
    return Status(201, user)


@router.post(
    "/auth/signin",
    response=UserOut,
    tags=["auth"],
    operation_id="auth_signin",
    summary="Sign in: starts a session (cookie)",
)
def auth_signin(request: HttpRequest, payload: SigninIn) -> User:
    return session_signin(request, email=payload.email, password=payload.password)


@router.post(
    "/auth/signout",
    auth=SESSION,
    response={204: None},
    tags=["auth"],
    operation_id="auth_signout",
    summary="Sign out: ends the session",
)
def auth_signout(request: HttpRequest) -> Status[None]:
    session_signout(request)
    return Status(204, None)


@router.get(
    "/auth/me",
    auth=SESSION,
    response=UserOut,
    tags=["auth"],
    operation_id="auth_me",
    summary="The signed-in account",
)
def auth_me(request: HttpRequest) -> User:
    return signed_in_user(request)


@router.post(
    "/auth/verify-email",
    response=UserOut,
    tags=["auth"],
    operation_id="auth_verify_email",
    summary="Confirm an email address with the token from the mail",
)
def auth_verify_email(request: HttpRequest, payload: VerifyEmailIn) -> User:
    return user_verify_email(token=payload.token)


@router.post(
    "/auth/password-reset",
    response={202: None},
    tags=["auth"],
    operation_id="auth_password_reset",
    summary="Mail a reset link; the answer is the same whether the address is known",
)
def auth_password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status[None]:
    password_reset_request(email=payload.email)
    return Status(202, None)


@router.post(
    "/auth/password-reset/confirm",
    response={204: None},
    tags=["auth"],
    operation_id="auth_password_reset_confirm",
    summary="Choose a new password with the user id and token from the reset link",
)
def auth_password_reset_confirm(
    request: HttpRequest, payload: PasswordResetConfirmIn
) -> Status[None]:
    password_reset_confirm(
        user_id=payload.user_id, token=payload.token, new_password=payload.new_password
    )
    return Status(204, None)


@router.post(
    "/auth/close-account",
    auth=SESSION,
    response={204: None},
    tags=["auth"],
    operation_id="auth_close_account",
    summary="Close my account (退会); transaction records are kept as the law requires",
)
def auth_close_account(request: HttpRequest) -> Status[None]:
    account_close(user=signed_in_user(request))
    session_signout(request)
    return Status(204, None)


# --- my profile -----------------------------------------------------------------


@router.get(
    "/me/profile",
    auth=SESSION,
    response=ProfileOut,
    tags=["profile"],
    operation_id="my_profile_get",
    summary="My worker profile, with my portfolio and earnings",
)
def my_profile_get(request: HttpRequest) -> WorkerProfile:
    return own_worker_profile(signed_in_user(request))


@router.patch(
    "/me/profile",
    auth=SESSION,
    response=ProfileOut,
    tags=["profile"],
    operation_id="my_profile_update",
    summary="Change my worker profile (creates it when a client starts working)",
)
def my_profile_update(request: HttpRequest, payload: ProfileUpdateIn) -> WorkerProfile:
    return worker_profile_update(
        user=signed_in_user(request),
        headline=payload.headline,
        bio=payload.bio,
        hourly_rate_yen=payload.hourly_rate_yen,
        hours_per_week=payload.hours_per_week,
        prefecture=payload.prefecture,
        languages=payload.languages,
        is_public=payload.is_public,
    )


@router.post(
    "/me/portfolio",
    auth=SESSION,
    response={201: PortfolioItemOut},
    tags=["profile"],
    operation_id="my_portfolio_add",
    summary="Add a work to my portfolio",
)
def my_portfolio_add(request: HttpRequest, payload: PortfolioItemIn) -> Status[PortfolioItem]:
    item = portfolio_item_add(
        user=signed_in_user(request),
        title=payload.title,
        description=payload.description,
        url=payload.url,
    )
    return Status(201, item)


@router.post(
    "/me/identity",
    auth=SESSION,
    response={202: UserOut},
    tags=["profile"],
    operation_id="my_identity_submit",
    summary="Submit identity documents (本人確認) for review",
)
def my_identity_submit(request: HttpRequest) -> Status[User]:
    return Status(202, identity_submit(user=signed_in_user(request)))


@router.get(
    "/workers/{user_id}",
    response=PublicWorkerOut,
    tags=["workers"],
    operation_id="worker_get",
    summary="A worker's public profile: skills, portfolio, rating and work history",
)
def worker_get(request: HttpRequest, user_id: int) -> WorkerPage:
    return public_worker_page(user_id)


# --- organizations --------------------------------------------------------------


@router.post(
    "/organizations",
    auth=SESSION,
    response={201: OrganizationOut},
    tags=["organizations"],
    operation_id="organization_create",
    summary="Create an organization with me as its owner",
)
def organization_create_endpoint(
    request: HttpRequest, payload: OrganizationIn
) -> Status[Organization]:
    return Status(201, organization_create(owner=signed_in_user(request), name=payload.name))


@router.get(
    "/organizations",
    auth=SESSION,
    response=MyOrganizationsOut,
    tags=["organizations"],
    operation_id="organization_list_mine",
    summary="The organizations I belong to, with my role",
)
def organization_list_mine(request: HttpRequest) -> dict[str, list[Membership]]:
    return {"items": list(memberships_of(signed_in_user(request)))}


@router.post(
    "/organizations/{organization_id}/invitations",
    auth=SESSION,
    response={201: OrganizationInvitationOut},
    tags=["organizations"],
    operation_id="organization_invite",
    summary="Invite someone by email (owners and administrators)",
)
def organization_invite_endpoint(
    request: HttpRequest, organization_id: int, payload: OrganizationInviteIn
) -> Status[OrganizationInvitation]:
    user = signed_in_user(request)
    invitation, _token = organization_invite(
        organization=organization_of_member(user, organization_id),
        by=user,
        email=payload.email,
        role=payload.role,
    )
    return Status(201, invitation)


@router.post(
    "/organizations/join",
    auth=SESSION,
    response={201: MyOrganizationOut},
    tags=["organizations"],
    operation_id="organization_join",
    summary="Join an organization with the token from the invitation mail",
)
def organization_join(request: HttpRequest, payload: OrganizationJoinIn) -> Status[Membership]:
    membership = organization_invitation_accept(token=payload.token, user=signed_in_user(request))
    return Status(201, membership)
