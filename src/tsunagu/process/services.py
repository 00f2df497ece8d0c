"""Deliveries and their review: submit, approve, ask for a revision, auto-approve.

A worker delivers a funded milestone (it becomes ``submitted``); the client
approves it (the hold is released through ``tsunagu.work.escrow``) or asks
for a revision with a reason (the milestone goes back to ``funded``). A
delivery still awaiting review ``TSUNAGU_REVIEW_DAYS`` after submission is
approved by ``deliveries_auto_approve``, which the sweep runs, unless a dispute over the
milestone is open.

Lock order: the delivery row, then the milestone, then the ledger's rows.
Every status change is recorded by ``tsunagu.audit.services.transition``.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.services import check_transition, transition
from tsunagu.errors import Conflict, DomainError, NotFound
from tsunagu.notifications.kinds import Kind
from tsunagu.payments.ledger import ledger_transaction
from tsunagu.process.models import (
    Delivery,
    DeliveryFile,
    DeliveryStatus,
    Dispute,
    DisputeStatus,
)
from tsunagu.process.uploads import StoredFile, file_discard, file_store
from tsunagu.work import escrow
from tsunagu.work.access import access_contract_act_as_client
from tsunagu.work.models import ContractStatus, Milestone, MilestoneStatus

logger = logging.getLogger(__name__)

MAX_FILES_PER_DELIVERY = 10


def review_days() -> int:
    return int(getattr(settings, "TSUNAGU_REVIEW_DAYS", 14))


def delivery_submit(
    *, milestone: Milestone, by: User, message: str, files: list[UploadedFile]
) -> Delivery:
    """The worker delivers a funded milestone, with a message and files.

    Files are checked and stored first (413 ``file_too_large``, 415
    ``unsupported_file_type``); if the rows cannot be written they are
    removed again, so a refusal leaves neither rows nor files. Raises 404 to
    anyone but the contract's worker, 409 ``contract_not_active``, 409
    ``illegal_transition`` unless the milestone is funded, 400
    ``message_required``, 400 ``too_many_files``.
    """
    if not message.strip():
        raise DomainError(_("Write a message for the client."), code="message_required")
    if len(files) > MAX_FILES_PER_DELIVERY:
        raise DomainError(
            _("Attach %(n)d files at most.") % {"n": MAX_FILES_PER_DELIVERY},
            code="too_many_files",
        )
    _check_can_deliver(milestone, by)

    stored: list[StoredFile] = []
    try:
        for upload in files:
            stored.append(file_store(upload))
        return _delivery_create(milestone=milestone, by=by, message=message, stored=stored)
    except BaseException:
        for kept in stored:
            file_discard(kept.storage_name)
        raise


@transaction.atomic
def _delivery_create(
    *, milestone: Milestone, by: User, message: str, stored: list[StoredFile]
) -> Delivery:
    milestone = _check_can_deliver(milestone, by, lock=True)
    now = timezone.now()
    transition(machine="milestone", obj=milestone, to=MilestoneStatus.SUBMITTED, by=by)
    delivery = Delivery.objects.create(
        milestone=milestone,
        submitted_by=by,
        message=message.strip(),
        submitted_at=now,
        review_due_at=now + timedelta(days=review_days()),
    )
    DeliveryFile.objects.bulk_create(
        DeliveryFile(
            delivery=delivery,
            storage_name=kept.storage_name,
            original_name=kept.original_name,
            content_type=kept.content_type,
            size_bytes=kept.size_bytes,
            sha256=kept.sha256,
        )
        for kept in stored
    )
    logger.info("process: delivery %s submitted for milestone %s", delivery.pk, milestone.pk)
    escrow.milestone_notify(
        milestone=milestone, recipient=milestone.contract.client, kind=Kind.DELIVERY_SUBMITTED
    )
    return delivery


def _check_can_deliver(milestone: Milestone, by: User, *, lock: bool = False) -> Milestone:
    rows = Milestone.objects.select_related("contract")
    if lock:
        rows = rows.select_for_update(of=("self",))
    milestone = rows.get(pk=milestone.pk)
    if milestone.contract.worker_id != by.pk:
        raise NotFound(_("No such milestone."))
    if milestone.contract.status != ContractStatus.ACTIVE:
        raise Conflict(_("This contract is not active."), code="contract_not_active")
    check_transition(machine="milestone", current=milestone.status, to=MilestoneStatus.SUBMITTED)
    return milestone


@ledger_transaction
def delivery_approve(*, delivery: Delivery, by: User) -> Delivery:
    """The client approves the delivery; the milestone's hold is released.

    Locks the delivery, then the milestone and the ledger. Raises 404 to
    anyone but the client, 409 ``illegal_transition`` once decided.
    """
    delivery, milestone = _delivery_locked(delivery, by=by)

    _decide(delivery, by)
    transition(
        machine="delivery",
        obj=delivery,
        to=DeliveryStatus.APPROVED,
        by=by,
        also_update=("decided_at", "decided_by"),
    )
    escrow.milestone_release(milestone=milestone, by=by, reason="delivery approved")
    escrow.milestone_notify(
        milestone=milestone, recipient=milestone.contract.worker, kind=Kind.DELIVERY_APPROVED
    )
    return delivery


@transaction.atomic
def delivery_revision_request(*, delivery: Delivery, by: User, reason: str) -> Delivery:
    """The client asks for changes; the worker delivers again later.

    The milestone goes back to ``funded``, its money still held. Raises 404
    to anyone but the client, 400 ``reason_required``, 409
    ``illegal_transition`` once decided.
    """
    if not reason.strip():
        raise DomainError(_("Tell the worker what to change."), code="reason_required")
    delivery, milestone = _delivery_locked(delivery, by=by)

    delivery.decision_reason = reason.strip()
    _decide(delivery, by)
    transition(
        machine="delivery",
        obj=delivery,
        to=DeliveryStatus.REVISION_REQUESTED,
        by=by,
        reason=reason,
        also_update=("decided_at", "decided_by", "decision_reason"),
    )
    transition(machine="milestone", obj=milestone, to=MilestoneStatus.FUNDED, by=by, reason=reason)
    escrow.milestone_notify(
        milestone=milestone, recipient=milestone.contract.worker, kind=Kind.REVISION_REQUESTED
    )
    return delivery


def deliveries_auto_approve(*, now: datetime | None = None) -> int:
    """Approve every delivery whose review window has passed; returns how many.

    Each delivery is approved in its own transaction, with its row locked
    and ``SKIP LOCKED`` on PostgreSQL, so two sweeps running at once share
    the work and approve (and release) each delivery exactly once; a
    delivery decided meanwhile is left alone.
    """
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.SUBMITTED, review_due_at__lte=now)
        .exclude(milestone__disputes__status=DisputeStatus.OPEN)  # an operator decides those
        .values_list("pk", flat=True)
    )
    approved = 0
    for delivery_id in due:
        try:
            if _auto_approve_one(delivery_id, now=now):
                approved += 1
        except DomainError as error:  # one bad row must not stop the sweep
            logger.error("process: delivery %s not auto-approved: %s", delivery_id, error.code)
    if approved:
        logger.info("process: %d deliveries approved after the review window", approved)
    return approved


@ledger_transaction
def _auto_approve_one(delivery_id: int, *, now: datetime) -> bool:
    delivery = (
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(pk=delivery_id, status=DeliveryStatus.SUBMITTED, review_due_at__lte=now)
        .first()
    )
    if delivery is None:
        return False  # decided meanwhile, or another sweep holds it
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .get(pk=delivery.milestone_id)
    )
    if Dispute.objects.filter(milestone=milestone, status=DisputeStatus.OPEN).exists():
        return False  # disputed since the list was read
    delivery.decided_at = now
    transition(
        machine="delivery",
        obj=delivery,
        to=DeliveryStatus.AUTO_APPROVED,
        by=None,
        reason="review window passed",
        also_update=("decided_at",),
    )
    if milestone.status == MilestoneStatus.APPROVED:
        return True  # approved another way (the contract was completed); paid already
    escrow.milestone_release(milestone=milestone, by=None, reason="review window passed")
    escrow.milestone_notify(
        milestone=milestone, recipient=milestone.contract.worker, kind=Kind.DELIVERY_AUTO_APPROVED
    )
    return True


def deliveries_close_open(*, milestone_id: int, by: User, approve: bool, reason: str) -> None:
    """Close the delivery of a milestone that awaits review, if any, without a review.

    For a milestone settled otherwise (a dispute's outcome, a cancellation
    by agreement): the delivery is ``approved`` when the worker is paid in
    full, ``withdrawn`` otherwise. Runs in the caller's transaction; locks
    the delivery, so call it before locking the milestone.
    """
    open_deliveries = Delivery.objects.select_for_update().filter(
        milestone_id=milestone_id, status=DeliveryStatus.SUBMITTED
    )
    for delivery in open_deliveries:
        _decide(delivery, by)
        delivery.decision_reason = reason
        transition(
            machine="delivery",
            obj=delivery,
            to=DeliveryStatus.APPROVED if approve else DeliveryStatus.WITHDRAWN,
            by=by,
            reason=reason,
            also_update=("decided_at", "decided_by", "decision_reason"),
        )


def _delivery_locked(delivery: Delivery, *, by: User) -> tuple[Delivery, Milestone]:
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract__organization", "contract__job__category")
        .get(pk=delivery.milestone_id)
    )
    if not access_contract_act_as_client(by, milestone.contract):
        raise NotFound(_("No such delivery."))
    return delivery, milestone


def _decide(delivery: Delivery, by: User) -> None:
    delivery.decided_at = timezone.now()
    delivery.decided_by = by
