"""The escrow API: pay for a milestone, approve it or its delivery, statements.

Calls that move money take an ``Idempotency-Key`` header
(``tsunagu.api.idempotency``): a retried request gets the first answer and
has one effect. The services themselves are exactly-once per item too (the
ledger's dedupe keys name the item), so two different keys cannot pay or
release one milestone twice either.
"""

from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.params.functions import Header

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.idempotency import HEADER, IDEMPOTENT
from tsunagu.errors import DomainError, NotFound
from tsunagu.payments import funding
from tsunagu.payments.models import Payment
from tsunagu.process import services as process_services
from tsunagu.process.models import Delivery
from tsunagu.work import escrow, statements
from tsunagu.work.access import access_contract_view
from tsunagu.work.escrow_schemas import (
    DeliveryOut,
    MilestoneOut,
    PaymentIn,
    PaymentOut,
    PaymentReportLineOut,
    ReceiptOut,
    RevisionIn,
    StatementOut,
)
from tsunagu.work.models import Milestone

router = Router(tags=["escrow"])

IdempotencyKeyHeader = Annotated[str, Header(alias=HEADER)]


def _milestone_visible(request: HttpRequest, milestone_id: int) -> Milestone:
    milestone = get_object_or_404(Milestone.objects.select_related("contract"), pk=milestone_id)
    if not access_contract_view(signed_in_user(request), milestone.contract):
        raise NotFound(_("No such milestone."))
    return milestone


@router.post(
    "/milestones/{milestone_id}/payments",
    auth=SESSION,
    response={201: PaymentOut},
    operation_id="milestone_payment_create",
    summary="Pay for a milestone before work starts (仮払い); needs an Idempotency-Key",
)
@IDEMPOTENT
def milestone_payment_create(
    request: HttpRequest,
    milestone_id: int,
    payload: PaymentIn,
    idempotency_key: IdempotencyKeyHeader,
) -> Status[Payment]:
    milestone = _milestone_visible(request, milestone_id)
    payment = escrow.milestone_fund(
        milestone=milestone,
        by=signed_in_user(request),
        method=payload.method,
        card_token=payload.card_token,
    )
    return Status(201, payment)


@router.post(
    "/payments/{payment_id}/cancel",
    auth=SESSION,
    response=PaymentOut,
    operation_id="payment_cancel",
    summary="Cancel a bank transfer that has not arrived",
)
def payment_cancel(request: HttpRequest, payment_id: int) -> Payment:
    payment = get_object_or_404(Payment, pk=payment_id)
    return funding.payment_cancel(payment=payment, by=signed_in_user(request))


@router.post(
    "/milestones/{milestone_id}/approve",
    auth=SESSION,
    response=MilestoneOut,
    operation_id="milestone_approve",
    summary="Approve a paid milestone and release its money; needs an Idempotency-Key",
)
@IDEMPOTENT
def milestone_approve(
    request: HttpRequest, milestone_id: int, idempotency_key: IdempotencyKeyHeader
) -> Milestone:
    milestone = _milestone_visible(request, milestone_id)
    return escrow.milestone_approve(milestone=milestone, by=signed_in_user(request))


@router.post(
    "/deliveries/{delivery_id}/approve",
    auth=SESSION,
    response=DeliveryOut,
    operation_id="delivery_approve",
    summary="Approve a delivery and release the milestone's money; needs an Idempotency-Key",
)
@IDEMPOTENT
def delivery_approve(
    request: HttpRequest, delivery_id: int, idempotency_key: IdempotencyKeyHeader
) -> Delivery:
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    return process_services.delivery_approve(delivery=delivery, by=signed_in_user(request))


@router.post(
    "/deliveries/{delivery_id}/revision",
    auth=SESSION,
    response=DeliveryOut,
    operation_id="delivery_revision_request",
    summary="Ask for a revision, with the reason",
)
def delivery_revision_request(
    request: HttpRequest, delivery_id: int, payload: RevisionIn
) -> Delivery:
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    return process_services.delivery_revision_request(
        delivery=delivery, by=signed_in_user(request), reason=payload.reason
    )


@router.get(
    "/me/statements/{year}/{month}",
    auth=SESSION,
    response=StatementOut,
    operation_id="my_statement_get",
    summary="My month as a worker: releases, payouts, balances, the platform's fee",
)
def my_statement_get(request: HttpRequest, year: int, month: int) -> dict[str, Any]:
    _check_month(year, month)
    statement = statements.worker_statement(worker=signed_in_user(request), year=year, month=month)
    return {
        **vars(statement),
        "fee_total_yen": statement.fee_total_yen,
        "fee_tax_total_yen": statement.fee_tax_total_yen,
        "net_total_yen": statement.net_total_yen,
        "platform_invoice_number": getattr(settings, "TSUNAGU_INVOICE_NUMBER", ""),
    }


@router.get(
    "/me/payment-reports/{year}",
    auth=SESSION,
    response=list[PaymentReportLineOut],
    operation_id="my_payment_report_get",
    summary="What I paid each worker in a year, with withholding (支払調書)",
)
def my_payment_report_get(request: HttpRequest, year: int) -> list[statements.PaymentReportLine]:
    _check_month(year, 1)
    return statements.payment_report(client=signed_in_user(request), year=year)


@router.get(
    "/me/receipts/{year}/{month}",
    auth=SESSION,
    response=list[ReceiptOut],
    operation_id="my_receipts_get",
    summary="What I paid for items in a month, with the consumption tax in each",
)
def my_receipts_get(request: HttpRequest, year: int, month: int) -> list[statements.ReceiptLine]:
    _check_month(year, month)
    return statements.client_receipts(client=signed_in_user(request), year=year, month=month)


def _check_month(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise DomainError(
            _("Give a year from 2000 to 2100 and a month from 1 to 12."), code="invalid_period"
        )
