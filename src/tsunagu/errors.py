"""Domain errors: the one way a service refuses a request.

A service raises ``DomainError`` (or a subclass) before it writes anything, so
a refusal leaves the database as it was. The API turns it into problem+json
with the error's HTTP status and stable ``code``; pages show ``message`` on
the form.
"""

from typing import Any


class DomainError(Exception):
    """A refusal with a stable machine-readable code and a human message."""

    status = 400
    code = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.extra = extra or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RuleViolation(DomainError):
    """A well-formed request that the business rules refuse."""

    status = 422
    code = "rule_violation"
