"""Task batch pages: the worker's work page, the client's 作業管理 and 品質.

A worker answers units one at a time on the work page; htmx swaps the work
panel after each answer. The client reviews answers and adds units on the
作業管理 page and aggregates the batch on the 品質 page.
"""

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.errors import DomainError, NotFound
from tsunagu.process import task_units
from tsunagu.process.models import TaskAnswer, TaskAnswerStatus
from tsunagu.process.task_selectors import (
    task_answers_live_count,
    task_answers_of_batch,
    task_batch_totals,
    task_claim_open,
    task_worker_names,
)
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.forms.tasks import AnswerReviewForm, AnswersApproveForm, UnitsAddForm
from tsunagu.web.request_info import AuthenticatedRequest, viewer, wants_fragment
from tsunagu.work.access import access_job_manage, access_job_view
from tsunagu.work.models import Job, TaskBatch
from tsunagu.work.selectors import job_detail

logger = logging.getLogger(__name__)

ANSWERS_PER_PAGE = 50


def _task_job(request: HttpRequest, job_id: int, *, manage: bool = False) -> tuple[Job, TaskBatch]:
    """The task job and its batch if the requester may see (or manage) it; else 404."""
    job = job_detail(job_id)
    if job is None or job.format != "task" or not access_job_view(viewer(request), job):
        raise Http404
    if manage and not access_job_manage(viewer(request), job):
        raise Http404
    return job, job.task_batch


# --- the worker's work page -------------------------------------------------------


def _render_work(
    request: AuthenticatedRequest,
    job: Job,
    batch: TaskBatch,
    *,
    claim: TaskAnswer | None,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "job": job,
        "batch": batch,
        "claim": claim,
        "live": task_answers_live_count(batch=batch, worker=request.user),
        "notice": notice,
        "error": error,
    }
    template = (
        "web/tasks/work.html#work-panel" if wants_fragment(request) else "web/tasks/work.html"
    )
    return render(request, template, context, status=status)


@login_required
def task_work(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    """The unit the worker holds, or a button to claim the next one."""
    job, batch = _task_job(request, job_id)
    claim = task_claim_open(batch=batch, worker=request.user)
    return _render_work(request, job, batch, claim=claim)


@require_POST
@login_required
def task_claim(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job, batch = _task_job(request, job_id)
    try:
        claim = task_units.task_unit_claim(batch=batch, worker=request.user)
    except DomainError as error:
        return _render_work(
            request, job, batch, claim=None, error=error.message, status=error.status
        )
    return _render_work(request, job, batch, claim=claim)


@require_POST
@login_required
def task_answer_submit(request: AuthenticatedRequest, answer_id: int) -> HttpResponse:
    """Answer the unit, then claim the next one so the worker keeps going."""
    answer = get_object_or_404(TaskAnswer.objects.select_related("unit"), pk=answer_id)
    if answer.worker_id != request.user.pk:
        raise Http404
    job, batch = _task_job(request, answer.unit.batch.job_id)
    try:
        task_units.task_answer_submit(
            answer=answer, worker=request.user, value=request.POST.get("value", "")
        )
    except NotFound as error:
        raise Http404(error.message) from None
    except DomainError as error:
        claim = task_claim_open(batch=batch, worker=request.user)
        return _render_work(
            request, job, batch, claim=claim, error=error.message, status=error.status
        )

    # The next unit: its own transaction, so a refusal (no units left, the
    # cap reached) leaves the answer just given standing.
    try:
        claim = task_units.task_unit_claim(batch=batch, worker=request.user)
    except DomainError as error:
        return _render_work(
            request,
            job,
            batch,
            claim=None,
            notice=" ".join((_("Your answer is saved."), error.message)),
        )
    return _render_work(request, job, batch, claim=claim, notice=_("Your answer is saved."))


# --- the client's 作業管理 page --------------------------------------------------


def _render_manage(
    request: AuthenticatedRequest,
    job: Job,
    batch: TaskBatch,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    awaiting = task_answers_of_batch(batch=batch, status=TaskAnswerStatus.SUBMITTED).order_by(
        "submitted_at", "pk"
    )
    page = Paginator(awaiting, ANSWERS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "job": job,
        "batch": batch,
        "page": page,
        "totals": task_batch_totals(batch=batch),
        "add_form": UnitsAddForm(),
        **forms,
    }
    return render(request, "web/tasks/manage.html", context, status=status)


@login_required
def task_manage(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job, batch = _task_job(request, job_id, manage=True)
    return _render_manage(request, job, batch)


@require_POST
@login_required
def task_units_add(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job, batch = _task_job(request, job_id, manage=True)
    form = UnitsAddForm(request.POST)
    refusal = None
    if form.is_valid():
        try:
            added = task_units.task_units_add(
                batch=batch,
                by=request.user,
                units=form.unit_specs(),
                redundancy=form.cleaned_data["redundancy"],
            )
        except DomainError as error:
            show_refusal(form, error, {"redundancy": "redundancy", "choices": "choices"})
            refusal = error
        else:
            messages.success(request, _("%(n)d units were added.") % {"n": len(added)})
            return redirect("web:task_manage", job_id=job.pk)
    status = page_status(form, refusal=refusal)
    return _render_manage(request, job, batch, status, add_form=form)


@require_POST
@login_required
def task_answer_review(request: AuthenticatedRequest, answer_id: int) -> HttpResponse:
    answer = get_object_or_404(TaskAnswer.objects.select_related("unit"), pk=answer_id)
    job, _batch = _task_job(request, answer.unit.batch.job_id, manage=True)
    form = AnswerReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or reject the answer."))
        return redirect("web:task_manage", job_id=job.pk)
    try:
        task_units.task_answer_review(
            answer=answer,
            by=request.user,
            approve=form.approve,
            reason=form.cleaned_data["reason"],
        )
    except NotFound as error:
        raise Http404(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The answer is approved.") if form.approve else _("The answer is rejected.")
        )
    return redirect("web:task_manage", job_id=job.pk)


@require_POST
@login_required
def task_answers_approve(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    """Approve the ticked answers, each in its own transaction."""
    job, batch = _task_job(request, job_id, manage=True)
    awaiting = task_answers_of_batch(batch=batch, status=TaskAnswerStatus.SUBMITTED)
    form = AnswersApproveForm(request.POST, answer_ids=list(awaiting.values_list("pk", flat=True)))
    if not form.is_valid():
        messages.error(request, _("Tick the answers to approve."))
        return redirect("web:task_manage", job_id=job.pk)
    # TODO(#4): a bulk-review service (one call, its own transactions) would
    # keep this loop out of the view.
    approved = 0
    for answer in awaiting.filter(pk__in=form.cleaned_data["answers"]):
        try:
            task_units.task_answer_review(answer=answer, by=request.user, approve=True)
        except DomainError as error:  # decided meanwhile: say so, go on with the rest
            messages.error(request, error.message)
        else:
            approved += 1
    messages.success(request, _("%(n)d answers were approved.") % {"n": approved})
    return redirect("web:task_manage", job_id=job.pk)


# --- the client's 品質 page ------------------------------------------------------


def task_quality_rows(quality: task_units.BatchQuality) -> list[dict[str, Any]]:
    """Each worker's row of the chart, best first, with their name."""
    names = task_worker_names([worker.worker_id for worker in quality.workers])
    rows: list[dict[str, Any]] = [
        {
            "worker_id": worker.worker_id,
            "name": names.get(worker.worker_id, ""),
            "answers": worker.answers,
            "accuracy": worker.accuracy,
            "percent": round(worker.accuracy * 100),
            "gold_answers": worker.gold_answers,
            "gold_accuracy": worker.gold_accuracy,
            "flagged": worker.flagged,
            "test_score": worker.test_score,
        }
        for worker in quality.workers
    ]
    rows.sort(key=lambda row: (-row["accuracy"], row["worker_id"]))
    for index, row in enumerate(rows):
        row["y"] = index * 28
    return rows


# TODO(#4): the per-worker scores are not stored, so GET cannot show the last
# aggregation; only a POST (which re-aggregates) shows them.
@require_http_methods(["GET", "POST"])
@login_required
def task_quality(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    """GET shows the button; POST aggregates (it writes consensus and skill evidence)."""
    job, batch = _task_job(request, job_id, manage=True)
    context: dict[str, Any] = {"job": job, "batch": batch, "quality": None}
    if request.method == "POST":
        quality = task_units.task_batch_aggregate(batch=batch)
        units = batch.units.count()
        rows = task_quality_rows(quality)
        context.update(
            quality=quality,
            units=units,
            coverage=quality.units_with_consensus / units if units else 0.0,
            rows=rows,
            chart_height=max(len(rows), 1) * 28,
        )
    return render(request, "web/tasks/quality.html", context)
