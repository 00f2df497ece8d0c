"""Session sign-in and CSRF, as a browser-based client meets them."""

import pytest
from django.test import Client

from tests.api.http import BASE, assert_problem, post
from tests.db_state import database_snapshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROPOSAL = {"price_yen": 40_000, "message": "よろしくお願いします。"}


def test_a_session_call_without_the_csrf_token_is_refused(worker, project):
    # given a browser that checks CSRF like a real one, signed in
    browser = Client(enforce_csrf_checks=True)
    response = post(browser, "/auth/signin", {"email": worker.email, "password": PASSWORD})
    assert response.status_code == 200
    before = database_snapshot()

    # when it posts without the token
    response = post(browser, f"/jobs/{project.pk}/proposals", PROPOSAL)

    # then the call is refused and nothing is written
    assert_problem(response, 403, "csrf_failed")
    assert database_snapshot() == before


def test_the_token_set_at_sign_in_lets_the_session_write(worker, project):
    # given a browser that checks CSRF and has signed in
    browser = Client(enforce_csrf_checks=True)
    post(browser, "/auth/signin", {"email": worker.email, "password": PASSWORD})
    token = browser.cookies["csrftoken"].value

    # when it sends the token back in the header
    response = browser.post(
        f"{BASE}/jobs/{project.pk}/proposals",
        PROPOSAL,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    # then the proposal is made
    assert response.status_code == 201, response.content
