"""The main journeys through the HTTP API alone: no factories, no services.

Each test drives one or two browsers (``django.test.Client``) with JSON
bodies, as a client program would, and checks the outcome through the API
and, where the brief is about what was stored, in the database.
"""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.api.http import assert_problem, get, patch, post, project_body, put, signed_up
from tsunagu.work.models import (
    CompetitionEntry,
    Contract,
    Job,
    Milestone,
    TaskParticipation,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def orderer():
    return signed_up(
        "order@example.co.jp",
        "佐藤商事 発注担当",
        as_worker=False,
        as_client=True,
        organization_name="佐藤商事株式会社",
    )


@pytest.fixture
def hanako():
    return signed_up("hanako@example.jp", "山田花子", as_worker=True)


def test_a_project_becomes_a_contract_on_the_proposal_terms(orderer, hanako):
    # given a client and a worker, both signed in
    client, client_user = orderer
    worker, worker_user = hanako
    assert client_user["is_worker"] is False
    assert worker_user["is_worker"] is True

    # when the client posts a project
    response = post(client, "/jobs", project_body(delivery_due="2026-12-25"))
    assert response.status_code == 201, response.content
    job = response.json()

    # and the worker proposes with two milestones
    response = post(
        worker,
        f"/jobs/{job['id']}/proposals",
        {
            "price_yen": 40_000,
            "message": "VBAでの自動化が得意です。2回に分けて納品します。",
            "milestones": [
                {"title": "集計マクロ", "amount_yen": 25_000, "due_date": "2026-12-10"},
                {"title": "操作説明書", "amount_yen": 15_000, "due_date": "2026-12-20"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    proposal = response.json()

    # and the client lists the proposals and accepts this one
    listed = get(client, f"/jobs/{job['id']}/proposals").json()
    assert [p["id"] for p in listed["items"]] == [proposal["id"]]
    assert listed["items"][0]["worker"]["display_name"] == "山田花子"
    response = post(client, f"/proposals/{proposal['id']}/accept", {"payment_due_days": 30})
    assert response.status_code == 201, response.content
    contract_id = response.json()["id"]

    # then both parties see the contract on the proposal's price and milestones
    for browser in (client, worker):
        terms = get(browser, f"/contracts/{contract_id}").json()
        assert terms["price_yen"] == 40_000
        assert terms["payment_due_days"] == 30
        assert terms["delivery_due"] == "2026-12-25"
        assert terms["scope"] == job["description"]
        assert [(m["title"], m["amount_yen"], m["due_date"]) for m in terms["milestones"]] == [
            ("集計マクロ", 25_000, "2026-12-10"),
            ("操作説明書", 15_000, "2026-12-20"),
        ]
        assert terms["worker"] == {"id": worker_user["id"], "display_name": "山田花子"}
        assert "email" not in terms["client"]

    # and the database holds the same contract, and the filled job is closed
    contract = Contract.objects.get(pk=contract_id)
    assert contract.proposal_id == proposal["id"]
    assert (contract.client_id, contract.worker_id) == (client_user["id"], worker_user["id"])
    assert list(
        Milestone.objects.filter(contract=contract).values_list("position", "amount_yen")
    ) == [(1, 25_000), (2, 15_000)]
    assert Job.objects.get(pk=job["id"]).status == "closed"
    mine = get(worker, "/me/proposals").json()["items"]
    assert [(p["id"], p["status"], p["job"]["id"]) for p in mine] == [
        (proposal["id"], "accepted", job["id"])
    ]


def test_a_worker_joins_a_task_batch(orderer, hanako):
    # given a client's batch of 100 data-entry units at 50 yen
    client, _user = orderer
    worker, worker_user = hanako
    body = project_body(
        format="task",
        title="商品データの入力（100件）",
        budget_yen=None,
        task={"unit_count": 100, "unit_price_yen": 50, "per_worker_cap": 20},
    )
    response = post(client, "/jobs", body)
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["budget_yen"] == 5_000
    assert job["task"]["unit_count"] == 100

    # when the worker joins it
    response = post(worker, f"/jobs/{job['id']}/task/join")

    # then the worker takes part, up to the cap
    assert response.status_code == 201, response.content
    assert response.json()["per_worker_cap"] == 20
    assert TaskParticipation.objects.filter(
        batch__job_id=job["id"], worker_id=worker_user["id"]
    ).exists()


def test_a_competition_is_entered_and_awarded(orderer, hanako):
    # given a client's logo competition and a second worker
    client, _user = orderer
    worker, worker_user = hanako
    rival, _rival_user = signed_up("jiro@example.jp", "鈴木次郎", as_worker=True)
    body = project_body(
        format="competition",
        category="design",
        title="カフェのロゴデザイン募集",
        budget_yen=None,
        skills=[],
        competition={"prize_yen": 30_000, "winner_count": 1},
    )
    job = post(client, "/jobs", body).json()
    assert job["budget_yen"] == 30_000

    # when both workers enter
    response = post(worker, f"/jobs/{job['id']}/entries", {"title": "湯気のロゴ案"})
    assert response.status_code == 201, response.content
    winning = response.json()
    assert post(rival, f"/jobs/{job['id']}/entries", {"title": "豆のロゴ案"}).status_code == 201

    # and the client looks at the entries and awards one
    entries = get(client, f"/jobs/{job['id']}/entries").json()["items"]
    assert {e["title"] for e in entries} == {"湯気のロゴ案", "豆のロゴ案"}
    response = post(client, f"/jobs/{job['id']}/award", {"entry_ids": [winning["id"]]})

    # then the chosen entry won, the other did not, and the job is completed
    assert response.status_code == 200, response.content
    assert [w["worker"]["id"] for w in response.json()["winners"]] == [worker_user["id"]]
    statuses = dict(
        CompetitionEntry.objects.filter(competition__job_id=job["id"]).values_list(
            "title", "status"
        )
    )
    assert statuses == {"湯気のロゴ案": "won", "豆のロゴ案": "not_selected"}
    assert get(client, f"/jobs/{job['id']}").json()["status"] == "completed"


def test_a_direct_offer_becomes_a_contract_that_ends_in_reviews(orderer, hanako):
    # given a client's project and a direct offer to a worker
    client, _client_user = orderer
    worker, worker_user = hanako
    job = post(client, "/jobs", project_body()).json()
    response = post(
        client,
        f"/jobs/{job['id']}/invitations",
        {
            "worker_id": worker_user["id"],
            "kind": "direct_offer",
            "message": "この金額でお願いできますか。",
            "offer_price_yen": 45_000,
        },
    )
    assert response.status_code == 201, response.content

    # when the worker finds the offer and accepts it
    offers = get(worker, "/me/invitations").json()["items"]
    assert [(o["kind"], o["offer_price_yen"], o["job"]["id"]) for o in offers] == [
        ("direct_offer", 45_000, job["id"])
    ]
    response = post(worker, f"/invitations/{offers[0]['id']}/accept")

    # then a contract is made at the offered price
    assert response.status_code == 201, response.content
    contract = response.json()
    assert contract["price_yen"] == 45_000
    assert contract["invitation_id"] == offers[0]["id"]
    assert Contract.objects.filter(pk=contract["id"], price_yen=45_000).exists()

    # when both sides write in the contract's thread
    path = f"/contracts/{contract['id']}/messages"
    assert post(client, path, {"body": "よろしくお願いします。"}).status_code == 201
    assert post(worker, path, {"body": "初回の納品物をお送りします。"}).status_code == 201

    # then each sees the whole conversation, oldest first
    for browser in (client, worker):
        bodies = [m["body"] for m in get(browser, path).json()["items"]]
        assert bodies == ["よろしくお願いします。", "初回の納品物をお送りします。"]

    # when the client completes the contract and both review each other
    response = post(client, f"/contracts/{contract['id']}/complete")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    scores = {"overall": 5, "quality": 5, "communication": 4, "timeliness": 5}
    response = post(
        client,
        f"/contracts/{contract['id']}/reviews",
        {**scores, "comment": "丁寧で迅速な対応でした。"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["direction"] == "of_worker"
    response = post(worker, f"/contracts/{contract['id']}/reviews", {**scores, "overall": 4})
    assert response.status_code == 201, response.content
    assert response.json()["direction"] == "of_client"

    # then the worker's public profile shows the rating and the work
    profile = get(Client(), f"/workers/{worker_user['id']}").json()
    assert profile["rating"] == 5.0
    assert profile["rating_count"] == 1
    assert profile["completed_contracts"] == 1
    assert [(h["title"], h["review"]["overall"]) for h in profile["history"]] == [(job["title"], 5)]
    assert "email" not in profile
    reviews = get(client, f"/contracts/{contract['id']}").json()["reviews"]
    assert {r["direction"] for r in reviews} == {"of_worker", "of_client"}


def test_a_worker_builds_a_profile_others_can_read(hanako):
    # given a signed-in worker
    worker, worker_user = hanako

    # when they fill in the profile, add a skill by an alias and a portfolio item
    response = patch(
        worker,
        "/me/profile",
        {
            "headline": "Excel・VBAで業務を自動化します",
            "hourly_rate_yen": 2500,
            "hours_per_week": 20,
            "prefecture": "tokyo",
            "languages": ["ja", "en"],
        },
    )
    assert response.status_code == 200, response.content
    response = put(worker, "/me/skills/マクロ", {"level": 4})
    assert response.status_code == 200, response.content
    assert response.json()["skill"] == "excel-vba"
    response = post(
        worker,
        "/me/portfolio",
        {"title": "在庫管理マクロ", "url": "https://example.jp/works/stock-macro"},
    )
    assert response.status_code == 201, response.content

    # then anyone sees the public profile, without the email address
    profile = get(Client(), f"/workers/{worker_user['id']}").json()
    assert profile["headline"] == "Excel・VBAで業務を自動化します"
    assert profile["prefecture"] == "tokyo"
    assert [(s["skill"], s["level"], s["evidence"]) for s in profile["skills"]] == [
        ("excel-vba", 4, "declared")
    ]
    assert [p["title"] for p in profile["portfolio"]] == ["在庫管理マクロ"]
    assert "hanako@example.jp" not in str(profile)

    # and the worker's own view has the earnings the public does not
    own = get(worker, "/me/profile").json()
    assert own["earned_total_yen"] == 0
    assert "earned_total_yen" not in profile


def test_sign_up_verify_sign_out_and_close(django_capture_on_commit_callbacks):
    # given someone who signs up through the API
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            browser,
            "/auth/signup",
            {
                "email": "Natsu@Example.jp",
                "password": "kasumi-gaseki-2026",
                "display_name": "夏",
            },
        )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "natsu@example.jp"
    assert response.json()["email_verified"] is False

    # when they follow the link in the mail
    token = re.search(r"/accounts/verify/([^/]+)/", mail.outbox[-1].body).group(1)
    response = post(browser, "/auth/verify-email", {"token": token})

    # then the address is verified
    assert response.status_code == 200, response.content
    assert response.json()["email_verified"] is True

    # when they sign in, sign out, and try their account page
    post(browser, "/auth/signin", {"email": "natsu@example.jp", "password": "kasumi-gaseki-2026"})
    assert get(browser, "/auth/me").json()["display_name"] == "夏"
    assert post(browser, "/auth/signout").status_code == 204

    # then the session is gone
    assert_problem(get(browser, "/auth/me"), 401, "not_authenticated")

    # when they sign in again and close the account (退会)
    post(browser, "/auth/signin", {"email": "natsu@example.jp", "password": "kasumi-gaseki-2026"})
    assert post(browser, "/auth/close-account").status_code == 204

    # then they are signed out and cannot sign in any more
    assert_problem(get(browser, "/auth/me"), 401, "not_authenticated")
    response = post(
        browser, "/auth/signin", {"email": "natsu@example.jp", "password": "kasumi-gaseki-2026"}
    )
    assert_problem(response, 401, "invalid_credentials")


def test_a_password_is_reset_with_the_mailed_link():
    # given a worker who forgot the password
    browser, user = signed_up("aki@example.jp", "秋", as_worker=True)
    post(browser, "/auth/signout")

    # when they ask for a reset and follow the link with a new password
    assert post(browser, "/auth/password-reset", {"email": "aki@example.jp"}).status_code == 202
    user_id, token = re.search(r"/accounts/reset/(\d+)/([^/]+)/", mail.outbox[-1].body).groups()
    response = post(
        browser,
        "/auth/password-reset/confirm",
        {"user_id": int(user_id), "token": token, "new_password": "tsukiji-fish-8899"},
    )
    assert response.status_code == 204, response.content

    # then the new password signs them in and the old one does not
    old = {"email": "aki@example.jp", "password": "kasumi-gaseki-2026"}
    assert_problem(post(browser, "/auth/signin", old), 401, "invalid_credentials")
    new = {"email": "aki@example.jp", "password": "tsukiji-fish-8899"}
    assert post(browser, "/auth/signin", new).json()["id"] == user["id"]

    # and an unknown address gets the same answer as a known one
    assert post(browser, "/auth/password-reset", {"email": "nobody@example.jp"}).status_code == 202


def test_an_organization_invites_a_colleague_who_joins(django_capture_on_commit_callbacks):
    # given a client with an organization, and a colleague with an account
    owner, _owner_user = signed_up("boss@example.co.jp", "社長", as_worker=False, as_client=True)
    colleague, _colleague_user = signed_up(
        "staff@example.co.jp", "担当", as_worker=False, as_client=True
    )
    organization = post(owner, "/organizations", {"name": "佐藤商事株式会社"}).json()

    # when the owner invites the colleague, who follows the mailed link
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            owner,
            f"/organizations/{organization['id']}/invitations",
            {"email": "staff@example.co.jp", "role": "admin"},
        )
    assert response.status_code == 201, response.content
    assert "token" not in response.json()
    token = re.search(r"/organizations/join/([^/]+)/", mail.outbox[-1].body).group(1)
    response = post(colleague, "/organizations/join", {"token": token})

    # then the colleague belongs to it, as administrator
    assert response.status_code == 201, response.content
    mine = get(colleague, "/organizations").json()["items"]
    assert [(o["name"], o["role"]) for o in mine] == [("佐藤商事株式会社", "admin")]

    # and can post a job for it
    response = post(colleague, "/jobs", project_body(organization_id=organization["id"]))
    assert response.status_code == 201, response.content
    assert response.json()["organization"]["name"] == "佐藤商事株式会社"


def test_a_worker_asks_about_a_job_and_the_client_answers(orderer, hanako):
    # given an open project
    client, _client_user = orderer
    worker, worker_user = hanako
    job = post(client, "/jobs", project_body()).json()

    # when the worker asks a question and the client answers that worker
    path = f"/jobs/{job['id']}/messages"
    assert post(worker, path, {"body": "納期の相談は可能でしょうか。"}).status_code == 201
    response = post(client, path, {"body": "はい、可能です。", "worker_id": worker_user["id"]})
    assert response.status_code == 201, response.content

    # then both read the same thread
    bodies = ["納期の相談は可能でしょうか。", "はい、可能です。"]
    assert [m["body"] for m in get(worker, path).json()["items"]] == bodies
    listed = get(client, path, worker_id=worker_user["id"]).json()["items"]
    assert [m["body"] for m in listed] == bodies
    assert listed[0]["sender"] == {"id": worker_user["id"], "display_name": "山田花子"}
