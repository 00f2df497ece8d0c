"""The contract page: terms, messages (posted with htmx), completion, reviews."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.errors import DomainError, NotFound
from tsunagu.web.forms.contracts import MessageForm, ReviewForm
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.request_info import AuthenticatedRequest, viewer, wants_fragment
from tsunagu.work import services
from tsunagu.work.access import access_contract_act_as_client, access_contract_view
from tsunagu.work.models import Contract, ContractStatus, ReviewDirection
from tsunagu.work.selectors import contract_detail


def _visible_contract(request: HttpRequest, contract_id: int) -> Contract:
    contract = contract_detail(contract_id)
    if contract is None or not access_contract_view(viewer(request), contract):
        raise Http404
    return contract


def _context(request: HttpRequest, contract: Contract, **forms: Any) -> dict[str, Any]:
    """The page's data; what the viewer may do follows from the access helpers."""
    user = viewer(request)
    party = user.pk in (contract.client_id, contract.worker_id)
    reviews = list(contract.reviews.all())
    reviewed = any(review.author_id == user.pk for review in reviews)
    direction = (
        ReviewDirection.OF_WORKER if user.pk == contract.client_id else ReviewDirection.OF_CLIENT
    )
    can_review = party and contract.status == ContractStatus.COMPLETED and not reviewed
    return {
        "contract": contract,
        "reviews": reviews,
        "party": party,
        "acts_as_client": access_contract_act_as_client(user, contract),
        "message_form": MessageForm(),
        "review_form": ReviewForm(direction=direction) if can_review else None,
        **forms,
    }


@login_required
def contract_detail_view(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    contract = _visible_contract(request, contract_id)
    return render(request, "web/contracts/detail.html", _context(request, contract))


@require_POST
@login_required
def message_create(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    """Post in the contract's thread; htmx gets the refreshed thread alone."""
    contract = _visible_contract(request, contract_id)
    form = MessageForm(request.POST)
    refusal = None
    if form.is_valid():
        try:
            services.message_post(
                sender=request.user, body=form.cleaned_data["body"], contract=contract
            )
        except NotFound as error:
            raise Http404(error.message) from None
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            if not wants_fragment(request):
                return redirect("web:contract_detail", contract_id=contract.pk)
            contract = _visible_contract(request, contract_id)
            form = MessageForm()
    template = "web/contracts/detail.html"
    if wants_fragment(request):
        template += "#messages"
    status = page_status(form, refusal=refusal)
    return render(request, template, _context(request, contract, message_form=form), status=status)


@require_POST
@login_required
def contract_complete(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    contract = _visible_contract(request, contract_id)
    try:
        services.contract_complete(contract=contract, by=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The contract is completed. Please review each other."))
    return redirect("web:contract_detail", contract_id=contract.pk)


@require_POST
@login_required
def review_create(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    contract = _visible_contract(request, contract_id)
    direction = (
        ReviewDirection.OF_WORKER
        if request.user.pk == contract.client_id
        else ReviewDirection.OF_CLIENT
    )
    form = ReviewForm(request.POST, direction=direction)
    refusal = None
    if form.is_valid():
        try:
            services.review_submit(contract=contract, author=request.user, **form.cleaned_data)
        except NotFound as error:
            raise Http404(error.message) from None
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            messages.success(request, _("Thank you for your review."))
            return redirect("web:contract_detail", contract_id=contract.pk)
    return render(
        request,
        "web/contracts/detail.html",
        _context(request, contract, review_form=form),
        status=page_status(form, refusal=refusal),
    )
