"""Japanese first, English on request: the catalogue is complete and compiled,
pages speak Japanese by default and English after the switcher or ``?lang=en``,
and no English message id leaks onto a Japanese page."""

import gettext
import re
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.factories import (
    CompetitionJobFactory,
    ContractFactory,
    JobFactory,
    ProposalFactory,
    TaskJobFactory,
    WorkerSkillFactory,
)
from tests.web.conftest import signed_in, text_of
from tests.web.po_catalog import CATALOGUE, read_po
from tsunagu.work.models import Invitation

# --- the catalogue --------------------------------------------------------------


def test_every_message_has_a_japanese_translation():
    untranslated = [
        entry.msgid for entry in read_po() if not all(entry.msgstrs.values()) or not entry.msgstrs
    ]

    assert untranslated == []


def test_no_translation_is_fuzzy():
    fuzzy = [entry.msgid for entry in read_po() if "fuzzy" in entry.flags]

    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file():
    # given the entries of the .po file, as gettext files them
    expected: dict[object, str] = {}
    for entry in read_po():
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstrs[0]
        else:
            for index, text in entry.msgstrs.items():
                expected[(entry.key, index)] = text

    # when the committed .mo file is read
    with CATALOGUE.with_suffix(".mo").open("rb") as compiled:
        catalog = dict(gettext.GNUTranslations(compiled)._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header

    # then it holds exactly the same translations (else: compilemessages)
    assert catalog == expected


@pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext is not installed",
)
def test_the_catalogue_holds_every_message_of_the_source(tmp_path, settings, monkeypatch):
    # given a copy of the source with the committed catalogue
    source = CATALOGUE.parents[3]
    copy = tmp_path / "tsunagu"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))

    # when makemessages gathers the message ids of the copy into its catalogue
    settings.LOCALE_PATHS = []
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["ja"], no_obsolete=True, no_wrap=True, verbosity=0)

    # then no message id was missing from it (else: makemessages -l ja, translate)
    gathered = read_po(copy / CATALOGUE.relative_to(source))
    assert sorted(entry.msgid for entry in gathered if not entry.msgstrs.get(0)) == []
    assert {entry.key for entry in gathered} == {entry.key for entry in read_po()}


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)s")
    broken = [
        entry.msgid
        for entry in read_po()
        for text in entry.msgstrs.values()
        if sorted(placeholder.findall(text)) != sorted(placeholder.findall(entry.msgid))
    ]

    assert broken == []


# --- choosing the language -----------------------------------------------------


@pytest.mark.django_db
def test_pages_are_japanese_by_default():
    response = Client().get("/")

    assert response["Content-Language"] == "ja"
    assert "仕事を探す" in text_of(response)
    assert "Find work" not in text_of(response)


@pytest.mark.django_db
def test_an_english_browser_still_gets_japanese_first():
    response = Client().get("/", headers={"Accept-Language": "en-US,en;q=0.9"})

    assert response["Content-Language"] == "ja"
    assert "仕事を探す" in text_of(response)


@pytest.mark.django_db
def test_lang_en_in_the_address_switches_to_english_and_is_remembered():
    # given a visitor
    browser = Client()

    # when they open a page with ?lang=en
    response = browser.get("/", {"lang": "en"})

    # then it is English, and so is the next page without the parameter
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert "Find work" in text_of(response)
    assert "仕事を探す" not in text_of(response)
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Sign up" in text_of(browser.get("/accounts/signup/"))


@pytest.mark.django_db
def test_the_switcher_in_the_header_changes_the_language_both_ways():
    # given a visitor on the job list, in Japanese
    browser = Client()
    assert 'name="language" value="en"' in browser.get("/").content.decode()

    # when they press "English"
    response = browser.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)

    # then the page is English; pressing 日本語 brings Japanese back
    assert "Find work" in text_of(response)
    response = browser.post("/i18n/setlang/", {"language": "ja", "next": "/"}, follow=True)
    assert "仕事を探す" in text_of(response)


@pytest.mark.django_db
def test_an_unknown_language_falls_back_to_japanese():
    response = Client().get("/", {"lang": "xx"})

    assert response["Content-Language"] == "ja"


@pytest.mark.django_db
def test_refusals_follow_the_language(worker, project):
    ProposalFactory(job=project, worker=worker)
    browser = signed_in(worker)
    browser.get("/", {"lang": "en"})

    response = browser.post(
        f"/jobs/{project.pk}/propose/",
        {"price_yen": "30000", "message": "再提案です。", "milestones-TOTAL_FORMS": "0"}
        | {"milestones-INITIAL_FORMS": "0"},
    )

    assert "You have already proposed on this job." in text_of(response)


# --- nothing left in English -------------------------------------------------------

# Prose message ids: two words or more, translated to something else. Single
# words ("API") and proper names are left alone.
_PROSE = re.compile(r"[A-Za-z][a-z]+(?: [A-Za-z(][\w'().,]*)+")
# Three English words in a row on a Japanese page are a leak, unless they are
# the content a test wrote or a skill's own name.
_ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ ,.'-]+[A-Za-z]{2,}){2,}\b")
_ALLOWED_RUNS = {"Tsunagu"}


def _translated_prose() -> list[str]:
    return [
        entry.msgid
        for entry in read_po()
        if _PROSE.fullmatch(entry.msgid) and entry.msgstrs.get(0) not in ("", entry.msgid)
    ]


@pytest.fixture
def market(worker, other_worker, client_user):
    """One of everything a page shows, the worker taking part in each."""
    project = JobFactory(client=client_user)
    task = TaskJobFactory(client=client_user)
    competition = CompetitionJobFactory(client=client_user)
    ProposalFactory(job=project, worker=worker)
    WorkerSkillFactory(worker=worker)
    Invitation.objects.create(job=task, worker=worker, kind="scout", message="ぜひ。")
    contract = ContractFactory(job=JobFactory(client=client_user), worker=worker)
    return {
        "project": project,
        "task": task,
        "competition": competition,
        "contract": contract,
    }


def _pages(market, worker, client_user) -> list[tuple[Client, str]]:
    visitor = Client()
    as_worker = signed_in(worker)
    as_client = signed_in(client_user)
    jobs = [market["project"], market["task"], market["competition"]]
    return [
        (visitor, "/"),
        (visitor, "/accounts/signup/"),
        (visitor, "/accounts/login/"),
        (visitor, "/accounts/reset/"),
        (visitor, "/workers/"),
        (visitor, f"/workers/{worker.pk}/"),
        (visitor, "/no-such-page/"),
        *[(visitor, f"/jobs/{job.pk}/") for job in jobs],
        *[(as_worker, f"/jobs/{job.pk}/") for job in jobs],
        *[(as_client, f"/jobs/{job.pk}/") for job in jobs],
        (as_worker, "/mypage/"),
        (as_worker, "/mypage/profile/"),
        (as_worker, "/mypage/skills/"),
        (as_worker, "/mypage/portfolio/"),
        (as_worker, "/mypage/invitations/"),
        (as_worker, "/mypage/payouts/"),
        (as_worker, "/mypage/bank-accounts/"),
        (as_worker, f"/contracts/{market['contract'].pk}/"),
        (as_client, "/mypage/"),
        (as_client, "/jobs/new/"),
        (as_client, f"/workers/{worker.pk}/"),
        (as_client, f"/contracts/{market['contract'].pk}/"),
        (as_client, "/accounts/close/"),
    ]


@pytest.mark.django_db
def test_no_english_message_leaks_onto_a_japanese_page(market, worker, client_user):
    # given every translated prose message id
    prose = _translated_prose()
    assert len(prose) > 200

    for browser, path in _pages(market, worker, client_user):
        # when the page is shown in Japanese
        response = browser.get(path)
        assert response.status_code in (200, 404), path
        page = text_of(response)
        html = response.content.decode()

        # then no message id is on it, in its text or its attributes
        leaked = [msgid for msgid in prose if msgid in page or f'"{msgid}"' in html]
        assert leaked == [], path
        runs = {run for run in _ENGLISH_RUN.findall(page) if run not in _ALLOWED_RUNS}
        assert runs == set(), path
