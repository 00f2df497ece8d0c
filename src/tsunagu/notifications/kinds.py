"""What a notification is about: a stable code per kind and the sentence it reads as.

The code is stored with each notification and is part of the API; the
sentence is the in-app headline and the mail's subject, in the reader's
language, filled from the notification's ``params`` (ids and titles only).
"""

from collections.abc import Mapping

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # to the client (the member who posted the job)
    # TODO(#4): an organization's other owners and admins are not told; and a
    # bank transfer still awaiting its deposit sends the client no reminder.
    PROPOSAL_RECEIVED = "proposal_received", _("Proposal received")
    DIRECT_OFFER_ACCEPTED = "direct_offer_accepted", _("Direct offer accepted")
    DELIVERY_SUBMITTED = "delivery_submitted", _("Delivery to review")
    # to the worker
    PROPOSAL_ACCEPTED = "proposal_accepted", _("Proposal accepted")
    PROPOSAL_DECLINED = "proposal_declined", _("Proposal declined")
    SCOUT_RECEIVED = "scout_received", _("Scout received")
    DIRECT_OFFER_RECEIVED = "direct_offer_received", _("Direct offer received")
    MILESTONE_FUNDED = "milestone_funded", _("Payment into escrow")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    DELIVERY_APPROVED = "delivery_approved", _("Delivery approved")
    DELIVERY_AUTO_APPROVED = "delivery_auto_approved", _("Delivery approved automatically")
    # to both sides
    DELIVERY_OVERDUE = "delivery_overdue", _("Delivery date passed")
    PAYMENT_DUE_SOON = "payment_due_soon", _("Payment due under the freelance act")


HEADLINES: dict[str, Promise] = {
    Kind.PROPOSAL_RECEIVED: _("A proposal arrived for “%(job_title)s”"),
    Kind.DIRECT_OFFER_ACCEPTED: _("Your direct offer for “%(job_title)s” was accepted"),
    Kind.DELIVERY_SUBMITTED: _("Please review the delivery of “%(contract_title)s”"),
    Kind.PROPOSAL_ACCEPTED: _("Your proposal for “%(job_title)s” was accepted"),
    Kind.PROPOSAL_DECLINED: _("Your proposal for “%(job_title)s” was declined"),
    Kind.SCOUT_RECEIVED: _("You are invited to propose on “%(job_title)s”"),
    Kind.DIRECT_OFFER_RECEIVED: _("You received a direct offer for “%(job_title)s”"),
    Kind.MILESTONE_FUNDED: _("“%(contract_title)s” is paid into escrow. You can start the work"),
    Kind.REVISION_REQUESTED: _("A revision of “%(contract_title)s” is requested"),
    Kind.DELIVERY_APPROVED: _("“%(contract_title)s” is approved and the payment released"),
    Kind.DELIVERY_AUTO_APPROVED: _(
        "“%(contract_title)s” is approved after the review period and the payment released"
    ),
    Kind.DELIVERY_OVERDUE: _("The delivery date of “%(contract_title)s” has passed"),
    Kind.PAYMENT_DUE_SOON: _("Payment for “%(contract_title)s” falls due soon"),
}


class _Params(dict[str, object]):
    """The params, with an empty string for one a headline names but the row lacks."""

    def __missing__(self, key: str) -> str:
        return ""


def headline(kind: str, params: Mapping[str, object]) -> str:
    """The kind's sentence in the active language, filled from ``params``."""
    template = HEADLINES.get(kind)
    if template is None:
        return str(kind)
    return str(template) % _Params(params)
