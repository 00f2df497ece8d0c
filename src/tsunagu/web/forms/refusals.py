"""Showing a service's refusal on the form that asked for it."""

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
