"""Cursor pagination for lists ordered by (created_at, id).

A cursor is opaque to clients: it names the last row of the page they have,
so a page never repeats or skips rows when new ones arrive in between (an
offset would). Responses are ``{"items": [...], "next_cursor": ...}``;
``next_cursor`` is null on the last page.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from ninja import P, QueryEx

from tsunagu.errors import DomainError

RowT = TypeVar("RowT", bound=Model)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# Query parameters of every paginated operation: `cursor: CursorQuery = None`.
CursorQuery = QueryEx[str | None, P(description="next_cursor of the previous page.")]
LimitQuery = QueryEx[int, P(ge=1, le=MAX_LIMIT, description="Rows per page, 100 at most.")]


@dataclass(frozen=True)
class Page(Generic[RowT]):
    items: list[RowT]
    next_cursor: str | None


def cursor_encode(created_at: datetime, pk: int) -> str:
    raw = json.dumps([created_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int]:
    """The position in ``cursor``; ``invalid_cursor`` (400) if it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        created_at = datetime.fromisoformat(stamp)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise DomainError(
            _("This cursor is not valid."), code="invalid_cursor", field="cursor"
        ) from None
    if created_at.tzinfo is None or not isinstance(pk, int):
        raise DomainError(_("This cursor is not valid."), code="invalid_cursor", field="cursor")
    return created_at, pk


def paginate(
    rows: QuerySet[RowT], *, cursor: str | None, limit: int, newest_first: bool = True
) -> Page[RowT]:
    """One page of ``rows`` after ``cursor``, in (created_at, id) order.

    Reads ``limit + 1`` rows to learn whether another page follows.
    """
    if cursor:
        created_at, pk = cursor_decode(cursor)
        if newest_first:
            after = Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
        else:
            after = Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk)
        rows = rows.filter(after)
    order = ("-created_at", "-pk") if newest_first else ("created_at", "pk")
    fetched = list(rows.order_by(*order)[: limit + 1])

    items = fetched[:limit]
    if len(fetched) <= limit:
        return Page(items=items, next_cursor=None)
    last = items[-1]
    stamp: datetime = last.created_at  # type: ignore[attr-defined]  # as ordered by
    return Page(items=items, next_cursor=cursor_encode(stamp, last.pk))
