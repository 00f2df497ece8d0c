"""Workers' public pages: the list (ワーカーを探す) and one worker's profile."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tsunagu.accounts.selectors import workers_listing
from tsunagu.web.forms.jobs import InvitationForm
from tsunagu.web.request_info import signed_in_user
from tsunagu.work.selectors import jobs_open_managed_by, worker_public_page

WORKERS_PER_PAGE = 20


def worker_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(workers_listing(), WORKERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/workers/list.html", {"page": page})


def worker_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """A public profile; clients with open jobs may invite the worker from here."""
    page = worker_public_page(user_id)
    if page is None:
        raise Http404
    user = signed_in_user(request)
    open_jobs = list(jobs_open_managed_by(user)) if user and user.pk != user_id else []
    return render(
        request,
        "web/workers/detail.html",
        {"page": page, "open_jobs": open_jobs, "invitation_form": InvitationForm()},
    )
