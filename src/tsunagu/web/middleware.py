"""Choose the page language: Japanese unless the person asked for English.

Unlike Django's ``LocaleMiddleware`` this never reads ``Accept-Language``: a
browser set to English still gets the Japanese site first, as Japanese
customers expect, and the switcher in the header is one click away. The
person asks through the language cookie (written by Django's
``set_language`` view) or a ``?lang=en`` / ``?lang=ja`` parameter; the
parameter wins and is remembered in the cookie.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

LANGUAGE_PARAMETER = "lang"


def _supported(code: str | None) -> str | None:
    if code and code in dict(settings.LANGUAGES):
        return code
    return None


class LanguageMiddleware:
    """Activate the asked-for language for the request, else ``LANGUAGE_CODE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from_parameter = _supported(request.GET.get(LANGUAGE_PARAMETER))
        from_cookie = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        language = from_parameter or from_cookie or settings.LANGUAGE_CODE

        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)

        if from_parameter and from_parameter != from_cookie:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                from_parameter,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
