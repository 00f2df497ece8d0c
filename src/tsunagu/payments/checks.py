"""System checks of the payments app (``tsunagu check``, and before every command).

The field keys are tried at start-up, so a mistyped ``TSUNAGU_FIELD_KEY``
stops the server instead of failing the first payout. A development key is
reported by ``tsunagu check --deploy``.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from tsunagu.payments.field_crypto import field_keys_check


@register(Tags.security)
def field_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        field_keys_check()
    except ValueError as error:
        return [Error(str(error), id="payments.E001")]
    return []


@register(Tags.security, deploy=True)
def field_key_not_development(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if getattr(settings, "TSUNAGU_FIELD_KEY_IS_DEVELOPMENT", False):
        return [
            Warning(
                "Bank details are encrypted with a development key derived from SECRET_KEY.",
                hint="Set TSUNAGU_FIELD_KEY to a Fernet key kept outside the database.",
                id="payments.W001",
            )
        ]
    return []
