"""What the page tests share: signed-in browsers and a look at what a page says.

Pages are read as a person reads them: the response's HTML with the tags
stripped, so an assertion names the words on the screen, not the markup.
"""

import html
import re

import pytest
from django.test import Client

from tests.db_state import database_snapshot

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def signed_in(user) -> Client:
    """A browser with ``user`` signed in (CSRF checks off, as Django's tests do)."""
    browser = Client()
    browser.force_login(user)
    return browser


def text_of(response) -> str:
    """The page's visible words: tags removed, entities decoded, spaces folded."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body))).strip()


@pytest.fixture
def nothing_written(db):
    """Use as ``with nothing_written():`` around a refused request."""

    class _Unchanged:
        def __enter__(self):
            self.before = database_snapshot()
            return self

        def __exit__(self, *exc_info):
            if exc_info[0] is None:
                assert database_snapshot() == self.before, "a refused request wrote rows"

    return _Unchanged
