"""Showing a service's refusal on the form that asked for it."""

from typing import Any

from django import forms

from tsunagu.errors import DomainError


def show_refusal(
    form: forms.BaseForm, error: DomainError, fields: dict[str, str] | None = None
) -> None:
    """Attach ``error.message`` to the field the service named, else the form.

    ``fields`` maps a service's field name to the form's when they differ
    (``skills`` -> ``skills_required``).
    """
    name = (fields or {}).get(error.field or "", error.field)
    if name and name in form.fields:
        form.add_error(name, error.message)
    else:
        form.add_error(None, error.message)


def page_status(
    *shown: forms.BaseForm | forms.BaseFormSet[Any], refusal: DomainError | None = None
) -> int:
    """The status of a page that shows ``shown`` forms again.

    The refusal's own status (409 for a closed job, 422 for a broken rule)
    when a service refused; 400 when a submitted form is invalid; else 200.
    """
    if refusal is not None:
        return refusal.status
    if any(item.is_bound and not item.is_valid() for item in shown):
        return 400
    return 200
