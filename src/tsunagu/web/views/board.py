"""マイページ's order board (案件ボード): every order as a client or as a worker."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from tsunagu.process.board import order_board
from tsunagu.web.forms.board import BoardFilterForm
from tsunagu.web.order_board import board_rows, stage_chart
from tsunagu.web.request_info import AuthenticatedRequest, wants_fragment

ORDERS_PER_PAGE = 50


@login_required
def order_board_page(request: AuthenticatedRequest) -> HttpResponse:
    """The orders of one side, most urgent first, filtered by the query string.

    The chart counts every order of the side, so the board is read once more
    when a filter is applied (a fixed number of queries either way). htmx
    asks for the results alone.
    """
    form = BoardFilterForm(request.GET or None)
    choice = form.choice()
    now = timezone.now()
    every = order_board(user=request.user, as_worker=choice.as_worker, now=now)
    shown = every
    if choice.only is not None:
        shown = order_board(
            user=request.user, as_worker=choice.as_worker, now=now, only=choice.only
        )

    page = Paginator(shown, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    template = "web/mypage/board.html"
    response = render(
        request,
        f"{template}#board-results" if wants_fragment(request) else template,
        {
            "form": form,
            "choice": choice,
            "page": page,
            "rows": board_rows(list(page.object_list), as_worker=choice.as_worker),
            "chart": stage_chart(every, as_worker=choice.as_worker, current=choice.stage),
            "filtered": choice.only is not None,
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response
