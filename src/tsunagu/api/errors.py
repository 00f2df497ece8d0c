"""problem+json (RFC 9457) for every error the API returns.

Each body carries ``type``, ``title``, ``status``, ``detail`` and our stable
``code``; clients branch on ``code``, people read ``detail``.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tsunagu.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://tsunagu.dev/problems/"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
}


# Ninja raises HttpError itself for these: 400 for a body that is not JSON,
# 403 when the CSRF check of a session-authenticated call fails.
HTTP_ERROR_CODES = {
    400: "invalid_json",
    403: "csrf_failed",
    404: "not_found",
    405: "method_not_allowed",
}


def problem_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    detail: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra or {})
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def install_problem_handlers(api: NinjaAPI) -> None:
    """Route every error the API can raise through ``problem_response``."""

    def on_domain_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, DomainError)  # Ninja types handlers loosely
        extra = dict(exc.extra)
        if exc.field:
            extra["field"] = exc.field
        return problem_response(
            api, request, status=exc.status, code=exc.code, detail=exc.message, extra=extra
        )

    def on_validation_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, ValidationError)  # Ninja types handlers loosely
        errors = [
            {"loc": list(error.get("loc", [])), "msg": error.get("msg", "")} for error in exc.errors
        ]
        return problem_response(
            api,
            request,
            status=422,
            code="validation_error",
            detail="The request body or parameters are not valid.",
            extra={"errors": errors},
        )

    def on_authentication_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, AuthenticationError)  # Ninja types handlers loosely
        return problem_response(
            api, request, status=401, code="not_authenticated", detail="Sign in first."
        )

    def on_http_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, HttpError)  # Ninja types handlers loosely
        code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
        return problem_response(
            api, request, status=exc.status_code, code=code, detail=str(exc.message)
        )

    def on_not_found(request: HttpRequest, exc: object) -> HttpResponse:
        return problem_response(api, request, status=404, code="not_found", detail="Not found.")

    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(HttpError, on_http_error)
