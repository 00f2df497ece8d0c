"""How pages show money, times and codes: whole yen, Tokyo time, names.

Money is integer yen shown with thousands separators (``¥50,000``) in every
language; datetimes are converted to Asia/Tokyo whatever the server's zone.
"""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

from tsunagu.payments.models import PaymentMethod
from tsunagu.web.forms.workers import LANGUAGE_NAMES

register = template.Library()

TOKYO = ZoneInfo("Asia/Tokyo")


@register.filter
def yen(amount: int | None) -> str:
    """``50000`` -> ``¥50,000``; nothing for a missing amount."""
    if amount is None:
        return ""
    return f"¥{int(amount):,}"


@register.filter
def tokyo(moment: datetime | None, style: str = "DATETIME_FORMAT") -> str:
    """An aware datetime in Asia/Tokyo, in the active language's format."""
    # TODO(#2): Django's Japanese DATETIME_FORMAT runs date and time together
    # (2026年12月18日15:22); a FORMAT_MODULE_PATH for ja would add a space.
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = moment.astimezone(TOKYO)
    return formats.date_format(moment, style)


@register.filter
def day(value: date | None) -> str:
    """A date (a due date) in the active language's format."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(TOKYO).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


@register.filter
def language_names(codes: list[str] | None) -> str:
    """A worker's language codes as names in the active language."""
    separator = ", " if (get_language() or "ja").startswith("en") else "、"
    return separator.join(str(LANGUAGE_NAMES.get(code, code)) for code in codes or [])


@register.filter
def rating(value: float | None) -> str:
    """A mean rating with one decimal (``4.5``), or nothing before the first."""
    if value is None:
        return ""
    return f"{value:.1f}"


@register.filter
def percent(share: float | None) -> str:
    """A share 0-1 as a whole percentage (``0.8`` -> ``80%``)."""
    if share is None:
        return ""
    return f"{round(share * 100)}%"


@register.filter
def total(rows: Iterable[object], field: str) -> int:
    """The sum of ``field`` over ``rows`` (a statement's lines): ``lines|total:"net_yen"``."""
    return sum(int(getattr(row, field)) for row in rows)


@register.filter
def payment_method(method: str) -> str:
    """A payment method's name (``card`` -> クレジットカード)."""
    if method in PaymentMethod.values:
        return str(PaymentMethod(method).label)
    return method


@register.filter
def deducted(amount: int | None) -> str:
    """An amount taken off, ``2200`` -> ``−¥2,200``; nothing taken shows as ``¥0``."""
    if not amount:
        return "¥0"
    return f"−{yen(amount)}"
