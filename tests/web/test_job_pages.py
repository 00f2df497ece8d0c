"""The job list and job page, and posting a job in each of the three formats."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import (
    CompetitionJobFactory,
    JobFactory,
    OrganizationFactory,
    TaskJobFactory,
    category,
)
from tests.web.conftest import signed_in, text_of
from tsunagu.work.models import Competition, Job, JobSkill, TaskBatch

pytestmark = pytest.mark.django_db


def _in_days(days: int) -> str:
    """A ``datetime-local`` value ``days`` ahead, in Japan time."""
    moment = timezone.localtime(timezone.now() + timedelta(days=days))
    return moment.strftime("%Y-%m-%dT%H:%M")


def job_form(**fields) -> dict[str, str]:
    """The posting form as a browser sends it: a public data-entry project."""
    return {
        "format": "project",
        "category": "data-entry",
        "title": "Excelマクロで売上集計を自動化",
        "description": "毎月の売上データをVBAで集計する仕組みを作ってください。",
        "deadline": _in_days(14),
        "budget_yen": "50000",
        "hires_wanted": "1",
        "qualification_min_level": "1",
        "winner_count": "1",
        "skills_required": "Excel VBA",
        "visibility": "public",
        **fields,
    }


def test_the_top_page_lists_open_jobs_in_japanese(db):
    # given an open project, an open task batch and a closed project
    JobFactory(title="Excelマクロで売上集計を自動化")
    TaskJobFactory(title="商品データの入力（100件）")
    JobFactory(title="終了した案件", status="closed", closed_at=timezone.now())

    # when a visitor opens the top page
    response = Client().get("/")

    # then it is a Japanese page listing the two open jobs
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"
    assert '<html lang="ja">' in response.content.decode()
    page = text_of(response)
    assert "仕事を探す" in page
    assert "募集中のお仕事 2件" in page
    assert "Excelマクロで売上集計を自動化" in page
    assert "商品データの入力（100件）" in page
    assert "終了した案件" not in page
    assert "プロジェクト" in page and "タスク" in page
    assert "¥50,000" in page
    assert "データ入力・表計算" in page


def test_a_job_past_its_deadline_is_not_listed(db):
    JobFactory(title="期限切れの案件", deadline=timezone.now() - timedelta(minutes=1))

    assert "期限切れの案件" not in text_of(Client().get("/"))


def test_an_invited_only_job_is_not_listed_nor_shown(db):
    job = JobFactory(title="招待制の案件", visibility="invited")

    assert "招待制の案件" not in text_of(Client().get("/"))
    assert Client().get(f"/jobs/{job.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"format": "competition"}, "カフェのロゴデザイン募集", "Excelマクロで売上集計を自動化"),
        ({"category": "data-entry"}, "Excelマクロで売上集計を自動化", "カフェのロゴデザイン募集"),
        ({"q": "ロゴ"}, "カフェのロゴデザイン募集", "Excelマクロで売上集計を自動化"),
        ({"budget_min": "40000"}, "Excelマクロで売上集計を自動化", "カフェのロゴデザイン募集"),
    ],
)
def test_the_list_filters_by_format_category_keyword_and_budget(query, shown, hidden):
    # given a data-entry project and a design competition
    JobFactory(title="Excelマクロで売上集計を自動化", budget_yen=50_000)
    CompetitionJobFactory(title="カフェのロゴデザイン募集")

    # when the list is filtered
    page = text_of(Client().get("/", query))

    # then only the matching job is listed
    assert shown in page
    assert hidden not in page


def test_htmx_gets_the_job_list_alone(db):
    JobFactory(title="Excelマクロで売上集計を自動化")

    response = Client().get("/", {"format": "project"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="job-list"')
    assert "<html" not in body
    assert "Excelマクロで売上集計を自動化" in body
    assert "HX-Request" in response["Vary"]


def test_the_job_page_shows_the_terms_and_the_client(project):
    # when a visitor opens an open project's page
    response = Client().get(f"/jobs/{project.pk}/")

    # then the terms are shown in Japanese, with a way to sign in and propose
    assert response.status_code == 200
    page = text_of(response)
    assert project.title in page
    assert "募集中" in page
    assert "予算 ¥50,000 （税抜）" in page
    assert "クライアント" in page
    assert "応募するには、ワーカーとしてログインしてください。" in page


def test_a_client_posts_a_project(client_user):
    # given a signed-in client on the posting page
    browser = signed_in(client_user)
    assert "お仕事を依頼する" in text_of(browser.get("/jobs/new/"))

    # when they post a project with a required skill
    response = browser.post("/jobs/new/", job_form(delivery_due="2027-03-31"))

    # then the job is open, and its page says so
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.format, job.budget_yen, job.client_id, job.status) == (
        "project",
        50_000,
        client_user.pk,
        "open",
    )
    assert list(job.job_skills.values_list("skill__slug", "required")) == [("excel-vba", True)]
    page = text_of(browser.get(response["Location"]))
    assert "お仕事を掲載しました。" in page
    assert "まだ提案はありません。" in page


def test_a_client_posts_a_task_batch(client_user):
    browser = signed_in(client_user)

    response = browser.post(
        "/jobs/new/",
        job_form(
            format="task",
            title="商品データの入力（100件）",
            budget_yen="",
            unit_count="100",
            unit_price_yen="50",
            per_worker_cap="20",
            instructions="1件ずつ商品名と価格を入力してください。",
        ),
    )

    assert response.status_code == 302
    batch = TaskBatch.objects.select_related("job").get()
    assert (batch.unit_count, batch.unit_price_yen, batch.per_worker_cap) == (100, 50, 20)
    assert batch.job.budget_yen == 5_000
    page = text_of(browser.get(response["Location"]))
    assert "単価 ¥50" in page
    assert "1人あたりの上限件数 20" in page


def test_a_client_posts_a_competition(client_user):
    browser = signed_in(client_user)

    response = browser.post(
        "/jobs/new/",
        job_form(
            format="competition",
            category="design",
            title="カフェのロゴデザイン募集",
            budget_yen="",
            skills_required="",
            prize_yen="30000",
            winner_count="1",
        ),
    )

    assert response.status_code == 302
    competition = Competition.objects.select_related("job").get()
    assert (competition.prize_yen, competition.winner_count, competition.job.budget_yen) == (
        30_000,
        1,
        30_000,
    )
    assert "賞金総額 ¥30,000" in text_of(browser.get(response["Location"]))


def test_a_company_posts_for_its_organization(client_user):
    organization = OrganizationFactory(owner=client_user, name="佐藤商事株式会社")
    browser = signed_in(client_user)

    browser.post("/jobs/new/", job_form(organization=str(organization.pk)))

    job = Job.objects.get()
    assert job.organization_id == organization.pk
    assert "佐藤商事株式会社" in text_of(Client().get(f"/jobs/{job.pk}/"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"budget_yen": "0"}, "金額は1円以上で入力してください。"),
        ({"budget_yen": "-5000"}, "金額は1円以上で入力してください。"),
        (
            {"format": "task", "unit_count": "0", "unit_price_yen": "50", "per_worker_cap": "1"},
            "タスクの件数は1件以上にしてください。",
        ),
        (
            {"format": "task", "unit_count": "10", "unit_price_yen": "50", "per_worker_cap": "20"},
            "1人あたりの上限件数は、1から全体の件数までの間で指定してください。",
        ),
        ({"format": "competition", "prize_yen": "0"}, "金額は1円以上で入力してください。"),
        ({"deadline": _in_days(-1)}, "募集期限には未来の日時を指定してください。"),
        ({"skills_required": "存在しない技能"}, "スキルが見つかりません: 存在しない技能"),
        ({"title": ""}, "このフィールドは必須です。"),
    ],
)
def test_a_refused_posting_shows_why_on_the_form_and_writes_nothing(
    client_user, nothing_written, fields, message
):
    # given a signed-in client
    browser = signed_in(client_user)

    # when they post a job the rules refuse
    with nothing_written():
        response = browser.post("/jobs/new/", job_form(**fields))

    # then the form comes back with the reason, in Japanese
    assert 400 <= response.status_code < 500
    assert message in text_of(response)
    assert not Job.objects.exists()
    assert not JobSkill.objects.exists()


def test_posting_for_an_organization_one_is_not_in_is_refused(client_user, nothing_written):
    # given a client of one organization, and another organization
    OrganizationFactory(owner=client_user)
    other = OrganizationFactory()
    browser = signed_in(client_user)

    # when they post for the other one
    with nothing_written():
        response = browser.post("/jobs/new/", job_form(organization=str(other.pk)))

    # then the choice is refused on the form
    assert response.status_code == 400
    assert "正しく選択してください。" in text_of(response)


def test_the_category_name_follows_the_language(db):
    JobFactory(category=category("translation"))

    assert "翻訳・通訳" in text_of(Client().get("/"))
    assert "Translation" in text_of(Client().get("/", {"lang": "en"}))
