"""``Idempotency-Key`` for API calls that move money.

An operation guarded by ``IDEMPOTENT`` (Ninja's ``decorate_view``) needs the
header; what the caller gets:

- no key, or an empty or over-long one: 400 ``idempotency_key_missing`` /
  ``idempotency_key_invalid``, and the operation does not run;
- a new key: the operation runs once and its response is stored;
- the same key with the same request (method, path and body; a JSON body is
  compared by content, not by spacing or key order): the stored response
  again, with ``Idempotent-Replayed: true``, and no second effect;
- the same key with another request: 422 ``idempotency_key_reused``;
- the same key while the first call is still running: 409
  ``idempotency_request_in_progress``; retry later with the same key.

Keys are scoped to the caller (``user:<id>``) and kept at least
``IDEMPOTENCY_RETENTION`` (24 hours); ``idempotency_keys_purge`` deletes older
ones (``tsunagu purge-idempotency-keys``, run it from cron or a task).

What is stored. Successes and the operation's own refusals (a 4xx problem
such as ``insufficient_funds``) are stored and replayed: the answer to a
retried request does not change. Not stored, so that the same key can be
used again: server errors (5xx), answers the operation never reached (401,
403: not signed in, CSRF), 429, and refusals that say "try again"
(``RETRYABLE_CODES``). A service guarded here should still take a dedupe
key derived from the idempotency key (``idempotency_dedupe_key``): if the
stored row were lost, the ledger would still apply the effect once.

The claim is committed before the operation runs, in its own statement,
so a concurrent second call sees it; an ``in_progress`` claim older than
``ABANDONED_AFTER`` (its process died) is taken over.
"""

import contextlib
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view

from tsunagu.api.models import IdempotencyKey, IdempotencyState

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IDEMPOTENCY_RETENTION = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=10)

# Refusals that mean "the same request may succeed later": not stored.
RETRYABLE_CODES = frozenset({"ledger_busy"})
UNSTORED_STATUSES = frozenset({401, 403, 429})

View = Callable[..., HttpResponseBase]


def idempotent(run: View) -> View:
    """Wrap a Ninja operation's ``run`` (use through ``IDEMPOTENT``)."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        caller = _caller(request)
        if caller is None:
            # Not signed in: the operation's own authentication answers 401.
            return run(request, *args, **kwargs)

        key = request.headers.get(HEADER)
        if key is None:
            return _problem(
                request,
                status=400,
                code="idempotency_key_missing",
                detail=_("This operation needs an Idempotency-Key header."),
            )
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _problem(
                request,
                status=400,
                code="idempotency_key_invalid",
                detail=_("The Idempotency-Key must be 1 to 255 printable characters."),
            )

        fingerprint = request_fingerprint(request)
        claim, answer = _claim(request, caller=caller, key=key, fingerprint=fingerprint)
        if answer is not None:
            return answer
        assert claim is not None

        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            claim.delete()
            raise
        _settle(claim, response)
        return response

    return wrapper


def _caller(request: HttpRequest) -> str | None:
    # Session callers only, for now: Django's middleware has set the user
    # before the operation's own authentication runs.
    # TODO(#3): scope API-key callers (``apikey:<id>``) when API keys arrive.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return f"user:{user.pk}"


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the full path and the body (JSON by content)."""
    body = request.body
    with contextlib.suppress(ValueError):  # not JSON: the bytes as sent
        body = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    digest = hashlib.sha256()
    digest.update(f"{request.method}\n{request.get_full_path()}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def idempotency_dedupe_key(request: HttpRequest, *, purpose: str) -> str:
    """A ledger dedupe key for this call: the caller, and a digest of its key.

    The digest keeps it short (the ledger's keys are at most 200 characters)
    whatever the client's key looks like.
    """
    caller = _caller(request) or "anonymous"
    digest = hashlib.sha256(request.headers.get(HEADER, "").encode()).hexdigest()[:40]
    return f"{purpose}:{caller}:{digest}"


def _claim(
    request: HttpRequest, *, caller: str, key: str, fingerprint: str
) -> tuple[IdempotencyKey | None, HttpResponseBase | None]:
    """Insert the in-progress row; or the answer for a key seen before."""
    now = timezone.now()
    try:
        with transaction.atomic():
            claim = IdempotencyKey.objects.create(
                caller=caller, key=key, fingerprint=fingerprint, created_at=now, updated_at=now
            )
        return claim, None
    except IntegrityError:
        pass

    seen = IdempotencyKey.objects.filter(caller=caller, key=key).first()
    if seen is None:  # purged between the insert and this read
        return _claim(request, caller=caller, key=key, fingerprint=fingerprint)
    if seen.fingerprint != fingerprint:
        return None, _problem(
            request,
            status=422,
            code="idempotency_key_reused",
            detail=_("This Idempotency-Key was already used for a different request."),
        )
    if seen.state == IdempotencyState.DONE:
        assert seen.response_status is not None
        replay = HttpResponse(
            seen.response_body,
            status=seen.response_status,
            content_type=seen.response_content_type or "application/json",
        )
        replay[REPLAYED_HEADER] = "true"
        return None, replay
    if seen.updated_at < now - ABANDONED_AFTER and _take_over(seen, now=now):
        logger.warning("api: idempotency key %s of %s taken over", seen.pk, caller)
        return seen, None
    return None, _problem(
        request,
        status=409,
        code="idempotency_request_in_progress",
        detail=_("A request with this Idempotency-Key is still being processed."),
    )


def _take_over(seen: IdempotencyKey, *, now: datetime) -> bool:
    """Claim an abandoned in-progress row; exactly one taker wins."""
    taken = IdempotencyKey.objects.filter(
        pk=seen.pk, state=IdempotencyState.IN_PROGRESS, updated_at=seen.updated_at
    ).update(updated_at=now)
    seen.updated_at = now
    return taken == 1


def _settle(claim: IdempotencyKey, response: HttpResponseBase) -> None:
    """Store the response to replay, or free the key when it must not be kept."""
    status = response.status_code
    body = response.content if isinstance(response, HttpResponse) else b""
    if status >= 500 or status in UNSTORED_STATUSES or _retryable(body):
        claim.delete()
        return
    claim.state = IdempotencyState.DONE
    claim.response_status = status
    claim.response_content_type = response.get("Content-Type", "")
    claim.response_body = body.decode()
    claim.updated_at = timezone.now()
    claim.save(
        update_fields=[
            "state",
            "response_status",
            "response_content_type",
            "response_body",
            "updated_at",
        ]
    )


def _retryable(body: bytes) -> bool:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return False
    return code in RETRYABLE_CODES


def _problem(request: HttpRequest, *, status: int, code: str, detail: str) -> HttpResponse:
    from tsunagu.api.api import api  # the API module imports the routers that use this one
    from tsunagu.api.errors import problem_response

    return problem_response(api, request, status=status, code=code, detail=detail)


def idempotency_keys_purge(*, older_than: timedelta = IDEMPOTENCY_RETENTION) -> int:
    """Delete the keys created more than ``older_than`` ago; how many went.

    Refuses a retention under 24 hours: callers were promised at least that.
    """
    if older_than < IDEMPOTENCY_RETENTION:
        raise ValueError("idempotency keys are kept at least 24 hours")
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    logger.info("api: purged %d idempotency keys", deleted)
    return deleted


# ``@IDEMPOTENT`` under ``@router.post(...)``: the guard wraps the whole
# operation, authentication and error handling included, so it sees the
# final response (problem+json refusals too).
IDEMPOTENT = decorate_view(idempotent)
