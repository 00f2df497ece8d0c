"""マイページ's notifications: the list, and marking them read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.notifications.selectors import notifications_of
from tsunagu.notifications.services import notifications_mark_read
from tsunagu.web.request_info import AuthenticatedRequest, safe_next

NOTIFICATIONS_PER_PAGE = 20


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(notifications_of(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "web/mypage/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_read(request: AuthenticatedRequest) -> HttpResponse:
    """POST ``id`` (repeated) to mark those notifications read, or none to mark all.

    Ids that are not the person's own are ignored, as if they did not exist.
    """
    raw_ids = request.POST.getlist("id")
    ids = [int(value) for value in raw_ids if value.isdigit()] if raw_ids else None
    notifications_mark_read(user=request.user, ids=ids)
    if ids is None:
        messages.success(request, _("Every notification is marked as read."))
    return redirect(safe_next(request, reverse("web:notifications")))
