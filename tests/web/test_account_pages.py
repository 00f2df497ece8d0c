"""Account journeys in the pages: sign-up as each kind of member, the mailed
confirmation link, signing in and out, and the worker's own pages (profile,
skills with a level, portfolio)."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, UserFactory, WorkerSkillFactory, skill
from tests.web.conftest import signed_in, text_of
from tsunagu.accounts.models import Membership, PortfolioItem, User, WorkerProfile
from tsunagu.skills.models import WorkerSkill

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "hanako@example.jp",
    "password": "tsunagu-hanako-2026",
    "display_name": "山田花子",
}


def _sign_up(browser: Client, captured, **fields):
    with captured(execute=True):
        return browser.post("/accounts/signup/", {**SIGNUP, **fields})


def test_a_worker_signs_up_and_lands_on_my_page(django_capture_on_commit_callbacks):
    # given a visitor on the sign-up page, in Japanese
    browser = Client()
    page = browser.get("/accounts/signup/")
    assert page.status_code == 200
    assert "会員登録" in text_of(page)

    # when they sign up to work
    response = _sign_up(browser, django_capture_on_commit_callbacks, as_worker="on")

    # then they are signed in on their page, as a worker, and a link is mailed
    assert response.status_code == 302
    assert response["Location"] == "/mypage/"
    user = User.objects.get(email="hanako@example.jp")
    assert WorkerProfile.objects.filter(user=user).exists()
    page = browser.get("/mypage/")
    assert "こんにちは、山田花子さん。" in text_of(page)
    assert "hanako@example.jp に確認用のリンクをお送りしました。" in text_of(page)
    assert [message.to for message in mail.outbox] == [["hanako@example.jp"]]
    assert mail.outbox[0].subject == "メールアドレスの確認"


def test_a_client_signs_up_without_a_worker_profile(django_capture_on_commit_callbacks):
    # given a visitor who only orders work
    browser = Client()

    # when they sign up as a client
    response = _sign_up(browser, django_capture_on_commit_callbacks, as_client="on")

    # then no worker profile is made, and their page offers to start one
    assert response.status_code == 302
    user = User.objects.get(email="hanako@example.jp")
    assert not WorkerProfile.objects.filter(user=user).exists()
    assert "ワーカープロフィールを作成する" in text_of(browser.get("/mypage/"))


def test_a_company_signs_up_with_its_organization(django_capture_on_commit_callbacks):
    # given a visitor ordering for a company
    browser = Client()

    # when they sign up as a client with the company's name
    response = _sign_up(
        browser,
        django_capture_on_commit_callbacks,
        as_client="on",
        organization_name="佐藤商事株式会社",
    )

    # then the organization exists with them as its owner, and posting offers it
    assert response.status_code == 302
    membership = Membership.objects.select_related("organization").get(
        user__email="hanako@example.jp"
    )
    assert (membership.organization.name, membership.role) == ("佐藤商事株式会社", "owner")
    assert "佐藤商事株式会社" in text_of(browser.get("/jobs/new/"))


def test_signing_up_with_neither_role_is_refused_on_the_form(nothing_written):
    # given a visitor who ticks neither box
    browser = Client()

    # when they submit the form
    with nothing_written():
        response = browser.post("/accounts/signup/", SIGNUP)

    # then the form says why, and no account exists
    assert response.status_code == 400
    assert not User.objects.exists()
    assert "「仕事を受ける」「仕事を依頼する」のどちらか" in text_of(response)


def test_signing_up_with_a_taken_address_is_refused(nothing_written):
    # given a member with the address
    UserFactory(email="hanako@example.jp")

    # when someone signs up with it again
    with nothing_written():
        response = Client().post("/accounts/signup/", {**SIGNUP, "as_worker": "on"})

    # then the form says the address is registered
    assert response.status_code == 409
    assert "このメールアドレスはすでに登録されています。" in text_of(response)


def test_the_mailed_link_confirms_the_address(django_capture_on_commit_callbacks):
    # given a new member and the link mailed to them
    browser = Client()
    _sign_up(browser, django_capture_on_commit_callbacks, as_worker="on")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]

    # when they open it
    page = browser.get(path)

    # then the address is confirmed, and opening it again is harmless
    assert page.status_code == 200
    assert "メールアドレスの確認が完了しました。" in text_of(page)
    assert User.objects.get(email="hanako@example.jp").email_verified_at is not None
    assert browser.get(path).status_code == 200


def test_a_forged_confirmation_link_is_refused(db):
    page = Client().get("/accounts/verify/not-a-token/")

    assert page.status_code == 400
    assert "このリンクは無効か、有効期限が切れています。" in text_of(page)


def test_signing_in_and_out(worker):
    # given a member on the sign-in page
    browser = Client()

    # when they sign in with their password
    response = browser.post("/accounts/login/", {"email": worker.email, "password": PASSWORD})

    # then they reach their page; signing out brings them back to the top page
    assert response.status_code == 302
    assert response["Location"] == "/mypage/"
    assert browser.get("/mypage/").status_code == 200
    response = browser.post("/accounts/logout/", follow=True)
    assert "ログアウトしました。" in text_of(response)
    assert browser.get("/mypage/").status_code == 302


def test_signing_in_with_a_wrong_password_says_so(worker):
    response = Client().post("/accounts/login/", {"email": worker.email, "password": "nope"})

    assert response.status_code == 400
    assert "メールアドレスまたはパスワードが正しくありません。" in text_of(response)


def test_signing_in_returns_to_the_page_asked_for(worker, project):
    response = Client().post(
        f"/accounts/login/?next=/jobs/{project.pk}/",
        {"email": worker.email, "password": PASSWORD},
    )

    assert response["Location"] == f"/jobs/{project.pk}/"


def test_signing_in_never_sends_to_another_site(worker):
    response = Client().post(
        "/accounts/login/?next=https://evil.example/",
        {"email": worker.email, "password": PASSWORD},
    )

    assert response["Location"] == "/mypage/"


def test_private_pages_ask_to_sign_in(db):
    for path in ("/mypage/", "/mypage/profile/", "/mypage/skills/", "/jobs/new/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_a_worker_edits_the_profile(worker):
    # given a signed-in worker
    browser = signed_in(worker)
    assert "キャッチコピー" in text_of(browser.get("/mypage/profile/"))

    # when they save a new headline, rate, prefecture and languages
    response = browser.post(
        "/mypage/profile/",
        {
            "headline": "経理のExcel業務を自動化します",
            "bio": "簿記2級。VBAで月次作業を短縮してきました。",
            "hourly_rate_yen": "3000",
            "hours_per_week": "25",
            "prefecture": "osaka",
            "languages": ["ja", "en"],
            "is_public": "on",
        },
        follow=True,
    )

    # then the profile is stored and the public page shows it in Japanese
    assert "プロフィールを保存しました。" in text_of(response)
    profile = WorkerProfile.objects.get(user=worker)
    assert (profile.hourly_rate_yen, profile.prefecture, profile.languages) == (
        3000,
        "osaka",
        ["ja", "en"],
    )
    public = text_of(Client().get(f"/workers/{worker.pk}/"))
    assert "経理のExcel業務を自動化します" in public
    assert "大阪府" in public
    assert "日本語、英語" in public
    assert "¥3,000" in public


def test_a_profile_with_too_many_hours_is_refused_on_the_form(worker, nothing_written):
    browser = signed_in(worker)

    with nothing_written():
        response = browser.post(
            "/mypage/profile/", {"hourly_rate_yen": "3000", "hours_per_week": "200"}
        )

    assert response.status_code == 400
    assert "1週間は168時間です。" in text_of(response)


def test_a_client_becomes_a_worker_from_the_profile_page(client_user):
    browser = signed_in(client_user)

    browser.post("/mypage/profile/", {"hourly_rate_yen": "0", "hours_per_week": "10"})

    assert WorkerProfile.objects.filter(user=client_user).exists()


def test_a_worker_adds_a_skill_by_any_name_with_a_level(worker):
    # given a signed-in worker
    browser = signed_in(worker)

    # when they add "マクロ" at level 4
    response = browser.post("/mypage/skills/", {"skill": "マクロ", "level": "4"}, follow=True)

    # then Excel VBA is on their profile at level 4, shown in Japanese
    held = WorkerSkill.objects.get(worker=worker)
    assert (held.skill.slug, held.level, held.evidence) == ("excel-vba", 4, "declared")
    page = text_of(response)
    assert f"{held.skill.name_ja}をプロフィールに追加しました。" in page
    assert "Lv.4" in page
    assert "自己申告" in page


def test_an_unknown_skill_is_refused_on_the_form(worker, nothing_written):
    browser = signed_in(worker)

    with nothing_written():
        response = browser.post("/mypage/skills/", {"skill": "存在しない技能", "level": "3"})

    assert response.status_code == 400
    assert "スキルが見つかりません: 存在しない技能" in text_of(response)


def test_a_worker_removes_a_skill(worker):
    # given a worker with Excel VBA
    held = WorkerSkillFactory(worker=worker, skill=skill("excel-vba"))
    browser = signed_in(worker)

    # when they remove it
    response = browser.post("/mypage/skills/excel-vba/remove/", follow=True)

    # then it is gone
    assert not WorkerSkill.objects.filter(pk=held.pk).exists()
    assert "を削除しました。" in text_of(response)


def test_removing_a_skill_one_does_not_hold_is_not_found(worker):
    assert signed_in(worker).post("/mypage/skills/excel-vba/remove/").status_code == 404


def test_a_worker_adds_to_the_portfolio(worker):
    # given a signed-in worker
    browser = signed_in(worker)

    # when they add a work with a link
    response = browser.post(
        "/mypage/portfolio/",
        {
            "title": "売上集計マクロ",
            "description": "月次の集計を3時間から5分に。",
            "url": "https://example.jp/works/1",
        },
        follow=True,
    )

    # then it is in the portfolio and on the public profile
    assert "ポートフォリオに実績を追加しました。" in text_of(response)
    assert PortfolioItem.objects.filter(profile__user=worker, title="売上集計マクロ").exists()
    assert "売上集計マクロ" in text_of(Client().get(f"/workers/{worker.pk}/"))


def test_a_portfolio_link_that_is_not_a_web_address_is_refused(worker, nothing_written):
    browser = signed_in(worker)

    with nothing_written():
        response = browser.post(
            "/mypage/portfolio/", {"title": "作品", "url": "javascript:alert(1)"}
        )

    assert response.status_code == 400
    assert not PortfolioItem.objects.exists()
