"""The contract page: terms, milestones with their payment (仮払い), deliveries
and release, messages (posted with htmx), completion, reviews.

Deliveries are uploaded and reviewed through ``tsunagu.process.views``, which
come back here; paying, cancelling a bank transfer and approving a milestone
without a delivery are posted here.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.errors import DomainError, NotFound
from tsunagu.payments import funding
from tsunagu.payments.models import Payment, PaymentStatus
from tsunagu.payments.providers import TestCardGateway, card_gateway
from tsunagu.process.selectors import contract_milestones
from tsunagu.process.services import review_days
from tsunagu.web.forms.contracts import FundForm, MessageForm, ReviewForm
from tsunagu.web.forms.refusals import page_status, show_refusal
from tsunagu.web.request_info import AuthenticatedRequest, viewer, wants_fragment
from tsunagu.work import escrow, services
from tsunagu.work.access import access_contract_act_as_client, access_contract_view
from tsunagu.work.models import Contract, ContractStatus, Milestone, ReviewDirection
from tsunagu.work.selectors import contract_detail


def _visible_contract(request: HttpRequest, contract_id: int) -> Contract:
    contract = contract_detail(contract_id)
    if contract is None or not access_contract_view(viewer(request), contract):
        raise Http404
    return contract


def _visible_milestone(request: HttpRequest, milestone_id: int) -> tuple[Contract, Milestone]:
    milestone = Milestone.objects.filter(pk=milestone_id).only("pk", "contract_id").first()
    if milestone is None:
        raise Http404
    contract = _visible_contract(request, milestone.contract_id)
    return contract, milestone


def _context(
    request: HttpRequest,
    contract: Contract,
    *,
    fund_form: tuple[int, FundForm] | None = None,
    refusal: DomainError | None = None,
    **forms: Any,
) -> dict[str, Any]:
    """The page's data; what the viewer may do follows from the access helpers.

    ``fund_form`` is a milestone's payment form shown again with its errors;
    ``refusal`` a service's refusal of a button without a form.
    """
    user = viewer(request)
    party = user.pk in (contract.client_id, contract.worker_id)
    acts_as_client = access_contract_act_as_client(user, contract)
    active = contract.status == ContractStatus.ACTIVE
    test_card = isinstance(card_gateway(), TestCardGateway)
    milestones = []
    for progress in contract_milestones(contract):
        form = None
        if fund_form is not None and fund_form[0] == progress.milestone.pk:
            form = fund_form[1]
        elif acts_as_client and active and progress.step == 1 and not progress.pending_transfer:
            form = FundForm(
                invoice=contract.organization_id is not None,
                test_card=test_card,
                auto_id=f"id_m{progress.milestone.pk}_%s",
            )
        milestones.append({"progress": progress, "fund_form": form})
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
        "acts_as_client": acts_as_client,
        "acts_as_worker": user.pk == contract.worker_id,
        "active": active,
        "milestones": milestones,
        "review_days": review_days(),
        "refusal": refusal,
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


@require_POST
@login_required
def milestone_fund(request: AuthenticatedRequest, milestone_id: int) -> HttpResponse:
    """The client pays for a milestone by card, bank transfer or invoice."""
    contract, milestone = _visible_milestone(request, milestone_id)
    form = FundForm(
        request.POST,
        invoice=contract.organization_id is not None,
        test_card=isinstance(card_gateway(), TestCardGateway),
        auto_id=f"id_m{milestone.pk}_%s",
    )
    refusal = None
    if form.is_valid():
        try:
            payment = escrow.milestone_fund(
                milestone=milestone, by=request.user, **form.cleaned_data
            )
        except NotFound as error:
            raise Http404(error.message) from None
        except DomainError as error:
            show_refusal(form, error)
            refusal = error
        else:
            if payment.status == PaymentStatus.PENDING:
                messages.success(
                    request, _("Please make the bank transfer with the code shown below.")
                )
            else:
                messages.success(request, _("The milestone is paid for. The worker can start."))
            return _back_to(contract, milestone)
    return render(
        request,
        "web/contracts/detail.html",
        _context(request, contract, fund_form=(milestone.pk, form)),
        status=page_status(form, refusal=refusal),
    )


@require_POST
@login_required
def payment_cancel(
    request: AuthenticatedRequest, milestone_id: int, payment_id: int
) -> HttpResponse:
    """The client withdraws a bank transfer not yet made, to pay another way."""
    contract, milestone = _visible_milestone(request, milestone_id)
    payment = get_object_or_404(
        Payment, pk=payment_id, reference=escrow.milestone_reference(milestone)
    )
    try:
        funding.payment_cancel(payment=payment, by=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    except DomainError as error:
        return _refused(request, contract, error)
    messages.success(request, _("The bank transfer is cancelled."))
    return _back_to(contract, milestone)


@require_POST
@login_required
def milestone_approve(request: AuthenticatedRequest, milestone_id: int) -> HttpResponse:
    """The client approves a paid-for milestone without a delivery; the money is released."""
    contract, milestone = _visible_milestone(request, milestone_id)
    try:
        escrow.milestone_approve(milestone=milestone, by=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    except DomainError as error:
        return _refused(request, contract, error)
    messages.success(request, _("The milestone is approved and the payment released."))
    return _back_to(contract, milestone)


def _back_to(contract: Contract, milestone: Milestone) -> HttpResponse:
    address = reverse("web:contract_detail", kwargs={"contract_id": contract.pk})
    return redirect(f"{address}#milestone-{milestone.pk}")


def _refused(request: HttpRequest, contract: Contract, error: DomainError) -> HttpResponse:
    """The contract page again, with the refusal on top and the refusal's status."""
    contract = _visible_contract(request, contract.pk)
    return render(
        request,
        "web/contracts/detail.html",
        _context(request, contract, refusal=error),
        status=error.status,
    )
