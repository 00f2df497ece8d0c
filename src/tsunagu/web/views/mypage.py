"""マイページ: the dashboard, the worker's own profile, skills, portfolio and
invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.accounts import services as account_services
from tsunagu.accounts.selectors import worker_profile_of
from tsunagu.errors import DomainError, NotFound
from tsunagu.skills import services as skill_services
from tsunagu.skills.models import Skill
from tsunagu.skills.selectors import worker_skills
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.forms.workers import PortfolioItemForm, SkillAddForm, WorkerProfileForm
from tsunagu.web.request_info import AuthenticatedRequest
from tsunagu.work import services as work_services
from tsunagu.work.models import Invitation
from tsunagu.work.selectors import invitations_of_worker, my_page


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "web/mypage/dashboard.html", {"page": my_page(request.user)})


@login_required
def profile_edit(request: AuthenticatedRequest) -> HttpResponse:
    """Edit the worker profile; a client who starts working gets one here."""
    refusal = None
    if request.method == "POST":
        form = WorkerProfileForm(request.POST)
        if form.is_valid():
            try:
                account_services.worker_profile_update(user=request.user, **form.cleaned_data)
            except DomainError as error:
                show_refusal(form, error)
                refusal = error
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("web:profile_edit")
    else:
        form = WorkerProfileForm.for_profile(worker_profile_of(request.user))
    return render(
        request,
        "web/mypage/profile.html",
        {"form": form},
        status=page_status(form, refusal=refusal),
    )


@login_required
def skills(request: AuthenticatedRequest) -> HttpResponse:
    """Declare skills by any name, at a level 1-5; list and remove them."""
    form = SkillAddForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            skill_services.worker_skill_set(worker=request.user, **form.cleaned_data)
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(
                request, _("%(skill)s is on your profile.") % {"skill": form.cleaned_data["skill"]}
            )
            return redirect("web:skills")
    return render(
        request,
        "web/mypage/skills.html",
        {"form": form, "skills": worker_skills(request.user.pk)},
        status=page_status(form, refusal=refusal),
    )


@require_POST
@login_required
def skill_remove(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    skill = get_object_or_404(Skill, slug=slug)
    try:
        skill_services.worker_skill_remove(worker=request.user, skill=skill)
    except NotFound as error:
        raise Http404(error.message) from None
    messages.success(request, _("%(skill)s is removed.") % {"skill": skill})
    return redirect("web:skills")


@login_required
def portfolio(request: AuthenticatedRequest) -> HttpResponse:
    form = PortfolioItemForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            account_services.portfolio_item_add(user=request.user, **form.cleaned_data)
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("The work is added to your portfolio."))
            return redirect("web:portfolio")
    return render(
        request,
        "web/mypage/portfolio.html",
        {"form": form, "profile": worker_profile_of(request.user)},
        status=page_status(form, refusal=refusal),
    )


@login_required
def invitations(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "web/mypage/invitations.html",
        {"invitations": invitations_of_worker(request.user)},
    )


@require_POST
@login_required
def invitation_respond(request: AuthenticatedRequest, invitation_id: int) -> HttpResponse:
    """Accept or decline; an accepted direct offer opens its contract."""
    invitation = get_object_or_404(Invitation.objects.select_related("job"), pk=invitation_id)
    accept = request.POST.get("answer") == "accept"
    try:
        contract = work_services.invitation_respond(
            invitation=invitation, by=request.user, accept=accept
        )
    except NotFound as error:
        raise Http404(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:invitations")
    if contract is not None:
        messages.success(request, _("The contract is made."))
        return redirect("web:contract_detail", contract_id=contract.pk)
    if accept:
        messages.success(request, _("Invitation accepted. You can now propose."))
        return redirect("web:job_detail", job_id=invitation.job_id)
    messages.success(request, _("Invitation declined."))
    return redirect("web:invitations")
