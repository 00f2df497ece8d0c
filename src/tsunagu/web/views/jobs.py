"""Job pages: the open jobs list, posting, the job page and what is done there."""

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.accounts.selectors import organizations_of
from tsunagu.errors import DomainError, NotFound
from tsunagu.web.forms.jobs import (
    CompetitionAwardForm,
    CompetitionEntryForm,
    InvitationForm,
    JobFilterForm,
    JobPostForm,
    MilestoneFormSet,
    ProposalAcceptForm,
    ProposalForm,
    milestone_plan,
)
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.request_info import (
    AuthenticatedRequest,
    safe_next,
    signed_in_user,
    viewer,
    wants_fragment,
)
from tsunagu.work import services
from tsunagu.work.access import access_job_manage, access_job_view
from tsunagu.work.models import Job, Proposal
from tsunagu.work.selectors import job_detail, job_list_open, job_page

logger = logging.getLogger(__name__)

JOBS_PER_PAGE = 20


def home(request: HttpRequest) -> HttpResponse:
    """The open jobs (仕事を探す); htmx asks for the list partial alone."""
    form = JobFilterForm(request.GET or None)
    page = Paginator(job_list_open(form.filters()), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    template = "web/home.html#job-list" if wants_fragment(request) else "web/home.html"
    response = render(request, template, {"form": form, "page": page})
    patch_vary_headers(response, ("HX-Request",))
    return response


def _visible_job(request: HttpRequest, job_id: int) -> Job:
    """The job if the requester may see it; 404 otherwise, as if it did not exist."""
    job = job_detail(job_id)
    if job is None or not access_job_view(viewer(request), job):
        raise Http404
    return job


def _job_url(job: Job) -> str:
    return reverse("web:job_detail", args=[job.pk])


def _refused(request: HttpRequest, error: DomainError) -> None:
    """A refused button press: 404 for what may not be seen, else a notice."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    messages.error(request, error.message)


def _render_job_page(
    request: HttpRequest, job: Job, status: int = 200, **forms: Any
) -> HttpResponse:
    """The job page; ``forms`` replace the blank ones when a submission comes back."""
    manager = access_job_manage(viewer(request), job)
    page = job_page(job, signed_in_user(request), manager=manager)
    context: dict[str, Any] = {
        "page": page,
        "job": job,
        "manager": manager,
        "proposal_form": ProposalForm(),
        "milestone_formset": MilestoneFormSet(prefix="milestones"),
        "entry_form": CompetitionEntryForm(),
        "accept_form": ProposalAcceptForm(),
        "award_form": CompetitionAwardForm(entries=page.entries),
        "invitation_form": InvitationForm(),
        **forms,
    }
    return render(request, "web/jobs/detail.html", context, status=status)


def job_detail_view(request: HttpRequest, job_id: int) -> HttpResponse:
    return _render_job_page(request, _visible_job(request, job_id))


@login_required
def job_create(request: AuthenticatedRequest) -> HttpResponse:
    """Post a job (仕事を依頼する); the service's refusals land on the form."""
    organizations = list(organizations_of(request.user))
    form = JobPostForm(request.POST or None, organizations=organizations)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            job = services.job_post(client=request.user, **form.job_post_arguments())
        except DomainError as error:
            show_refusal(form, error, form.refusal_fields)
            refusal = error
        else:
            messages.success(request, _("Your job is posted."))
            return redirect(_job_url(job))
    status = page_status(form, refusal=refusal)
    return render(request, "web/jobs/form.html", {"form": form}, status=status)


@require_POST
@login_required
def proposal_create(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = _visible_job(request, job_id)
    form = ProposalForm(request.POST)
    formset = MilestoneFormSet(request.POST, prefix="milestones")
    refusal = None
    if form.is_valid() and formset.is_valid():
        try:
            services.proposal_submit(
                job=job,
                worker=request.user,
                price_yen=form.cleaned_data["price_yen"],
                message=form.cleaned_data["message"],
                milestones=milestone_plan(formset),
            )
        except DomainError as error:
            show_refusal(form, error, form.refusal_fields)
            refusal = error
        else:
            messages.success(request, _("Your proposal was sent to the client."))
            return redirect(_job_url(job))
    status = page_status(form, formset, refusal=refusal)
    return _render_job_page(request, job, status, proposal_form=form, milestone_formset=formset)


@require_POST
@login_required
def proposal_withdraw(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(Proposal.objects.select_related("job"), pk=proposal_id)
    try:
        services.proposal_withdraw(proposal=proposal, by=request.user)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Your proposal was withdrawn."))
    return redirect(_job_url(proposal.job))


@require_POST
@login_required
def proposal_accept(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    """Accept a proposal: the contract is made and its page shown."""
    proposal = get_object_or_404(Proposal.objects.select_related("job"), pk=proposal_id)
    form = ProposalAcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the payment terms in days, 0 to 60."))
        return redirect(_job_url(proposal.job))
    try:
        contract = services.proposal_accept(
            proposal=proposal,
            by=request.user,
            payment_due_days=form.cleaned_data["payment_due_days"],
        )
    except DomainError as error:
        _refused(request, error)
        return redirect(_job_url(proposal.job))
    messages.success(request, _("The contract is made."))
    return redirect("web:contract_detail", contract_id=contract.pk)


@require_POST
@login_required
def proposal_decline(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(Proposal.objects.select_related("job"), pk=proposal_id)
    try:
        services.proposal_decline(proposal=proposal, by=request.user)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The proposal was declined."))
    return redirect(_job_url(proposal.job))


@require_POST
@login_required
def task_join(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = _visible_job(request, job_id)
    try:
        services.task_join(job=job, worker=request.user)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("You joined this task batch."))
    return redirect(_job_url(job))


@require_POST
@login_required
def competition_enter(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = _visible_job(request, job_id)
    form = CompetitionEntryForm(request.POST)
    refusal = None
    if form.is_valid():
        try:
            services.competition_enter(job=job, worker=request.user, **form.cleaned_data)
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("Your entry is submitted."))
            return redirect(_job_url(job))
    return _render_job_page(request, job, page_status(form, refusal=refusal), entry_form=form)


@require_POST
@login_required
def competition_award(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = _visible_job(request, job_id)
    if not access_job_manage(request.user, job):
        raise Http404
    page = job_page(job, request.user, manager=True)
    form = CompetitionAwardForm(request.POST, entries=page.entries)
    refusal = None
    if form.is_valid():
        try:
            services.competition_award(
                job=job, by=request.user, winners=list(form.cleaned_data["winners"])
            )
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("The winners are announced."))
            return redirect(_job_url(job))
    return _render_job_page(request, job, page_status(form, refusal=refusal), award_form=form)


@require_POST
@login_required
def job_close(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = _visible_job(request, job_id)
    try:
        services.job_close(job=job, by=request.user)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The job is closed to new applications."))
    return redirect(_job_url(job))


@require_POST
@login_required
def invitation_create(request: AuthenticatedRequest) -> HttpResponse:
    """Scout a worker or make a direct offer, from the job or the worker's page."""
    form = InvitationForm(request.POST)
    back = safe_next(request, reverse("web:mypage"))
    if not form.is_valid():
        # The form sits on another page; each notice names its field.
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            text = " ".join(str(error) for error in field_errors)
            messages.error(request, f"{label}: {text}" if label else text)
        return redirect(back)
    job = _visible_job(request, form.cleaned_data["job"])
    try:
        services.invitation_send(
            job=job,
            by=request.user,
            worker=form.cleaned_data["worker"],
            kind=form.cleaned_data["kind"],
            message=form.cleaned_data["message"],
            offer_price_yen=form.cleaned_data["offer_price_yen"],
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Your invitation was sent."))
    return redirect(back)
