"""What pages never do: accept a form without its CSRF token, run inline code
(the CSP forbids it, so the markup must not need it), or show a person's
private data to others."""

import re

import pytest
from django.test import Client

from tests.factories import (
    PASSWORD,
    ContractFactory,
    JobFactory,
    ProposalFactory,
    WorkerProfileFactory,
)
from tests.web.conftest import signed_in, text_of
from tsunagu.work.models import Proposal

pytestmark = pytest.mark.django_db


def _csrf_token(browser: Client, path: str) -> str:
    html = browser.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_form_without_its_csrf_token_is_refused(worker, project, nothing_written):
    # given a signed-in worker whose browser checks CSRF as a real one does
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker)

    # when a form is posted without the token (as another site would)
    with nothing_written():
        response = browser.post(
            f"/jobs/{project.pk}/propose/", {"price_yen": "40000", "message": "こんにちは"}
        )

    # then it is refused and nothing is written
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_a_form_with_its_csrf_token_is_accepted(worker):
    browser = Client(enforce_csrf_checks=True)
    token = _csrf_token(browser, "/accounts/login/")

    response = browser.post(
        "/accounts/login/",
        {"email": worker.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302


def test_htmx_requests_carry_the_csrf_token_in_a_header(worker):
    # given the token htmx sends with every request (hx-headers on <body>)
    contract = ContractFactory(worker=worker)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker)
    html = browser.get(f"/contracts/{contract.pk}/").content.decode()
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html).group(1)

    # when htmx posts a message with it
    response = browser.post(
        f"/contracts/{contract.pk}/messages/",
        {"body": "納品しました。"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )

    # then the message is accepted
    assert response.status_code == 200


def test_signing_out_needs_a_post(worker):
    browser = Client()
    browser.force_login(worker)

    assert browser.get("/accounts/logout/").status_code == 405
    assert browser.get("/mypage/").status_code == 200


def test_the_content_security_policy_allows_no_inline_code(db):
    response = Client().get("/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize(
    ("path", "signed"),
    [
        ("/", False),
        ("/accounts/signup/", False),
        ("/workers/", False),
        ("/jobs/new/", True),
        ("/mypage/payouts/", True),
        ("/mypage/bank-accounts/", True),
    ],
)
def test_pages_have_no_inline_scripts_styles_or_handlers(client_user, path, signed):
    job = JobFactory()
    browser = signed_in(client_user) if signed else Client()

    html = browser.get(path).content.decode() + browser.get(f"/jobs/{job.pk}/").content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
    # htmx must not inject its indicator <style> either
    assert '"includeIndicatorStyles": false' in html


def test_a_public_profile_never_shows_the_email_address(worker):
    # given a worker with a completed, reviewed contract and a proposal
    ContractFactory(worker=worker, status="completed")
    ProposalFactory(worker=worker)

    # when anyone opens their public profile or the worker list
    profile = Client().get(f"/workers/{worker.pk}/").content.decode()
    listing = Client().get("/workers/").content.decode()

    # then the address is nowhere, nor are earnings
    assert worker.email not in profile
    assert worker.email not in listing
    assert "earned" not in profile


def test_a_job_page_never_shows_the_client_email_address(project, worker):
    ProposalFactory(job=project, worker=worker)

    for browser in (Client(), signed_in(worker), signed_in(project.client)):
        html = browser.get(f"/jobs/{project.pk}/").content.decode()
        assert project.client.email not in html
        assert worker.email not in html


def test_a_hidden_profile_is_not_shown(db):
    profile = WorkerProfileFactory(is_public=False)

    assert Client().get(f"/workers/{profile.user_id}/").status_code == 404
    assert profile.user.display_name not in text_of(Client().get("/workers/"))
