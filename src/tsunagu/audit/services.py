"""Moving an object from one state to another, checked and recorded.

``transition`` is the one way a status changes: the caller holds the row's
lock (``select_for_update``) inside its own transaction, and the step is
checked against ``tsunagu.audit.machines`` before anything is written.
"""

from django.db import models
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User
from tsunagu.audit.machines import allowed_next, is_allowed
from tsunagu.audit.models import AuditEvent
from tsunagu.errors import Conflict


class IllegalTransition(Conflict):
    """409 with the object's current ``state`` and the ``allowed`` next steps."""

    code = "illegal_transition"


def transition(
    *,
    machine: str,
    obj: models.Model,
    to: str,
    by: User | None,
    reason: str = "",
    field: str = "status",
    also_update: tuple[str, ...] = (),
) -> None:
    """Move ``obj`` (locked by the caller) to ``to`` and record who did it.

    ``by`` is None when the platform acts (a sweep). ``also_update`` names
    other fields the caller changed on ``obj`` to save with the status.
    Raises ``IllegalTransition`` (409) and writes nothing for a step the
    machine does not allow.
    """
    current = getattr(obj, field)
    check_transition(machine=machine, current=current, to=to)

    setattr(obj, field, to)
    update_fields = [field, *also_update]
    if any(f.name == "updated_at" for f in obj._meta.get_fields()):
        update_fields.append("updated_at")
    obj.save(update_fields=update_fields)
    AuditEvent.objects.create(
        machine=machine,
        object_id=obj.pk,
        from_state=current,
        to_state=to,
        actor=by,
        reason=reason[:500],
    )


def check_transition(*, machine: str, current: str, to: str) -> None:
    """Raise ``IllegalTransition`` unless ``current -> to`` is a step of ``machine``."""
    if not is_allowed(machine, current, to):
        raise IllegalTransition(
            _("This step is not possible from the current state."),
            extra={"state": current, "allowed": allowed_next(machine, current)},
        )


def transitions_bulk_record(
    *,
    machine: str,
    object_ids: list[int],
    from_state: str,
    to: str,
    by: User | None,
    reason: str = "",
) -> None:
    """Record a step taken by a bulk UPDATE of rows the caller checked were in ``from_state``."""
    check_transition(machine=machine, current=from_state, to=to)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            machine=machine,
            object_id=pk,
            from_state=from_state,
            to_state=to,
            actor=by,
            reason=reason[:500],
        )
        for pk in object_ids
    )
