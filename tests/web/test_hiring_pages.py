"""From a posted job to a contract in the pages: proposing with a milestone
plan, accepting and declining, joining a task batch, entering and awarding a
competition, scouting a worker and making a direct offer."""

import pytest
from django.test import Client

from tests.factories import (
    CompetitionJobFactory,
    ContractFactory,
    JobFactory,
    ProposalFactory,
    TaskBatchFactory,
    TaskJobFactory,
    WorkerFactory,
    WorkerSkillFactory,
    skill,
)
from tests.web.conftest import signed_in, text_of
from tsunagu.work.models import (
    CompetitionEntry,
    Contract,
    Invitation,
    Proposal,
    TaskParticipation,
)

pytestmark = pytest.mark.django_db

MILESTONE_ROWS = {
    "milestones-TOTAL_FORMS": "3",
    "milestones-INITIAL_FORMS": "0",
    "milestones-MIN_NUM_FORMS": "0",
    "milestones-MAX_NUM_FORMS": "3",
}


def proposal_form(price: str = "40000", rows: list[tuple[str, str, str]] = (), **fields):
    """The proposal form as a browser sends it, milestone rows left blank after ``rows``."""
    data = {"price_yen": price, "message": "VBAでの自動化が得意です。", **MILESTONE_ROWS, **fields}
    for number, (title, amount, due) in enumerate(rows):
        data[f"milestones-{number}-title"] = title
        data[f"milestones-{number}-amount_yen"] = amount
        data[f"milestones-{number}-due_date"] = due
    return data


def test_a_worker_proposes_with_a_milestone_plan(worker, project):
    # given a worker on an open project's page
    browser = signed_in(worker)
    page = text_of(browser.get(f"/jobs/{project.pk}/"))
    assert "提案を送信する" in page
    assert "マイルストーン 1" in page

    # when they propose 40,000 yen in two milestones
    response = browser.post(
        f"/jobs/{project.pk}/propose/",
        proposal_form(
            rows=[("集計マクロ", "25000", "2027-01-10"), ("操作説明書", "15000", "2027-01-20")]
        ),
        follow=True,
    )

    # then the proposal and its plan are stored, and the page says it was sent
    proposal = Proposal.objects.get(job=project, worker=worker)
    assert proposal.price_yen == 40_000
    assert list(proposal.milestones.values_list("position", "title", "amount_yen")) == [
        (1, "集計マクロ", 25_000),
        (2, "操作説明書", 15_000),
    ]
    page = text_of(response)
    assert "提案をクライアントに送信しました。" in page
    assert "¥40,000で提案しました。状態：提出済み" in page


def test_a_proposal_without_a_plan_is_one_milestone(worker, project):
    signed_in(worker).post(f"/jobs/{project.pk}/propose/", proposal_form())

    proposal = Proposal.objects.get()
    assert list(proposal.milestones.values_list("title", "amount_yen")) == [(project.title, 40_000)]


def test_the_client_accepts_a_proposal_and_the_contract_states_the_terms(project, worker):
    # given a proposal in two milestones on the client's project
    signed_in(worker).post(
        f"/jobs/{project.pk}/propose/",
        proposal_form(
            rows=[("集計マクロ", "25000", "2027-01-10"), ("操作説明書", "15000", "2027-01-20")]
        ),
    )
    proposal = Proposal.objects.get()
    client = signed_in(project.client)
    page = text_of(client.get(f"/jobs/{project.pk}/"))
    assert "提案 1件" in page
    assert "集計マクロ ¥25,000" in page

    # when the client accepts it, paying within 30 days
    response = client.post(f"/proposals/{proposal.pk}/accept/", {"payment_due_days": "30"})

    # then the contract is made and its page states scope, price, milestones and payment
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"
    page = text_of(client.get(response["Location"]))
    assert "契約が成立しました。" in page
    assert "契約条件" in page
    assert "契約金額 ¥40,000 （税抜）" in page
    assert "支払期日 検収から30日以内" in page
    assert "納期 2027年1月20日" in page
    assert project.description in page
    assert "1 集計マクロ ¥25,000 2027年1月10日 仮払い待ち" in page
    assert "2 操作説明書 ¥15,000 2027年1月20日 仮払い待ち" in page
    # and the worker sees the same contract
    assert "契約金額 ¥40,000" in text_of(signed_in(worker).get(f"/contracts/{contract.pk}/"))


def test_accepting_with_payment_later_than_60_days_is_refused(project, nothing_written):
    proposal = ProposalFactory(job=project)
    client = signed_in(project.client)

    with nothing_written():
        response = client.post(
            f"/proposals/{proposal.pk}/accept/", {"payment_due_days": "90"}, follow=True
        )

    assert "支払期日は検収から60日以内にしてください。" in text_of(response)
    assert not Contract.objects.exists()


def test_only_the_client_can_accept(project, other_worker, nothing_written):
    proposal = ProposalFactory(job=project)

    with nothing_written():
        response = signed_in(other_worker).post(
            f"/proposals/{proposal.pk}/accept/", {"payment_due_days": "30"}
        )

    assert response.status_code == 404


def test_the_client_declines_a_proposal(project):
    proposal = ProposalFactory(job=project)

    response = signed_in(project.client).post(f"/proposals/{proposal.pk}/decline/", follow=True)

    proposal.refresh_from_db()
    assert proposal.status == "declined"
    assert "提案をお断りしました。" in text_of(response)


def test_a_worker_withdraws_a_proposal(project, worker):
    proposal = ProposalFactory(job=project, worker=worker)

    response = signed_in(worker).post(f"/proposals/{proposal.pk}/withdraw/", follow=True)

    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    assert "提案を取り下げました。" in text_of(response)


def test_a_worker_joins_a_task_batch(worker):
    # given an open task batch
    job = TaskJobFactory()
    browser = signed_in(worker)
    assert "このタスクに参加する" in text_of(browser.get(f"/jobs/{job.pk}/"))

    # when the worker joins it
    response = browser.post(f"/jobs/{job.pk}/join/", follow=True)

    # then they take part, and the page says so
    assert TaskParticipation.objects.filter(batch__job=job, worker=worker).exists()
    page = text_of(response)
    assert "タスクに参加しました。" in page
    assert "このタスクに参加しています。" in page


def test_a_batch_asking_for_a_skill_refuses_a_worker_without_it(worker, nothing_written):
    # given a batch asking for Excel VBA at level 3, and a worker at level 2
    batch = TaskBatchFactory(qualification_skill=skill("excel-vba"), qualification_min_level=3)
    WorkerSkillFactory(worker=worker, skill=skill("excel-vba"), level=2)

    # when the worker tries to join
    with nothing_written():
        response = signed_in(worker).post(f"/jobs/{batch.job_id}/join/", follow=True)

    # then they are told why
    assert "このタスクの参加条件となるスキルが、まだ登録されていません。" in text_of(response)


def test_workers_enter_a_competition_and_the_client_awards_one(worker, other_worker):
    # given a logo competition and two workers' entries
    job = CompetitionJobFactory()
    response = signed_in(worker).post(
        f"/jobs/{job.pk}/enter/", {"title": "湯気のロゴ案", "description": "温かみのある案"}
    )
    assert response.status_code == 302
    signed_in(other_worker).post(f"/jobs/{job.pk}/enter/", {"title": "豆のロゴ案"})
    winning = CompetitionEntry.objects.get(title="湯気のロゴ案")
    client = signed_in(job.client)
    assert "湯気のロゴ案" in text_of(client.get(f"/jobs/{job.pk}/"))

    # when the client announces the first as the winner
    response = client.post(f"/jobs/{job.pk}/award/", {"winners": [str(winning.pk)]}, follow=True)

    # then it won, the other did not, the job is completed, and the worker sees it
    assert dict(CompetitionEntry.objects.values_list("title", "status")) == {
        "湯気のロゴ案": "won",
        "豆のロゴ案": "not_selected",
    }
    job.refresh_from_db()
    assert job.status == "completed"
    assert "採用作品を発表しました。" in text_of(response)
    assert "湯気のロゴ案 採用" in text_of(signed_in(worker).get(f"/jobs/{job.pk}/"))


def test_awarding_without_choosing_is_refused_on_the_form(nothing_written):
    job = CompetitionJobFactory()
    CompetitionEntry.objects.create(
        competition=job.competition, worker=WorkerFactory(), title="案A"
    )

    with nothing_written():
        response = signed_in(job.client).post(f"/jobs/{job.pk}/award/", {})

    assert response.status_code == 400
    assert "このフィールドは必須です。" in text_of(response)


def test_a_client_scouts_a_worker_who_then_proposes(project, worker):
    # given a client on their project's page
    client = signed_in(project.client)

    # when they scout a worker from the worker's profile page
    assert "お仕事に招待する" in text_of(client.get(f"/workers/{worker.pk}/"))
    response = client.post(
        "/invitations/send/",
        {
            "job": str(project.pk),
            "worker": str(worker.pk),
            "kind": "scout",
            "message": "ぜひご提案ください。",
            "next": f"/workers/{worker.pk}/",
        },
        follow=True,
    )

    # then the worker finds it among their invitations and accepts it
    assert "招待を送りました。" in text_of(response)
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.worker_id) == ("scout", worker.pk)
    browser = signed_in(worker)
    page = text_of(browser.get("/mypage/invitations/"))
    assert "スカウト" in page
    assert "ぜひご提案ください。" in page
    response = browser.post(
        f"/invitations/{invitation.pk}/respond/", {"answer": "accept"}, follow=True
    )
    assert "スカウトを承諾しました。このお仕事に提案できます。" in text_of(response)
    assert "クライアントからスカウトが届いています。" in text_of(response)
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_a_worker_declines_an_invitation(project, worker):
    invitation = Invitation.objects.create(job=project, worker=worker, kind="scout")

    response = signed_in(worker).post(
        f"/invitations/{invitation.pk}/respond/", {"answer": "decline"}, follow=True
    )

    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert "招待を辞退しました。" in text_of(response)


def test_a_direct_offer_to_a_worker_hired_before_becomes_a_contract(client_user, worker):
    # given a worker the client hired before, and the client's new project
    ContractFactory(job=JobFactory(client=client_user), worker=worker, status="completed")
    project = JobFactory(client=client_user, title="前回の続きの集計作業")
    client = signed_in(client_user)

    # when the client makes a direct offer of 45,000 yen from the job page
    response = client.post(
        "/invitations/send/",
        {
            "job": str(project.pk),
            "worker": str(worker.pk),
            "kind": "direct_offer",
            "offer_price_yen": "45000",
            "message": "前回に続いてお願いできますか。",
            "next": f"/jobs/{project.pk}/",
        },
        follow=True,
    )
    assert "招待を送りました。" in text_of(response)
    assert "直接依頼 ¥45,000 回答待ち" in text_of(response)

    # and the worker accepts the offer
    invitation = Invitation.objects.get(job=project)
    browser = signed_in(worker)
    assert "¥45,000" in text_of(browser.get("/mypage/"))
    response = browser.post(f"/invitations/{invitation.pk}/respond/", {"answer": "accept"})

    # then a contract is made at the offered price, and the filled job closes
    contract = Contract.objects.get(invitation=invitation)
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.price_yen == 45_000
    project.refresh_from_db()
    assert project.status == "closed"
    assert "契約金額 ¥45,000" in text_of(browser.get(response["Location"]))


def test_a_direct_offer_without_a_price_is_refused(project, worker, nothing_written):
    with nothing_written():
        response = signed_in(project.client).post(
            "/invitations/send/",
            {
                "job": str(project.pk),
                "worker": str(worker.pk),
                "kind": "direct_offer",
                "next": f"/jobs/{project.pk}/",
            },
            follow=True,
        )

    assert "直接依頼には1円以上の金額を指定してください。" in text_of(response)


def test_only_the_invited_worker_can_answer(project, worker, other_worker, nothing_written):
    invitation = Invitation.objects.create(job=project, worker=worker, kind="scout")

    with nothing_written():
        response = signed_in(other_worker).post(
            f"/invitations/{invitation.pk}/respond/", {"answer": "accept"}
        )

    assert response.status_code == 404


def test_a_visitor_cannot_see_the_proposals(project):
    ProposalFactory(job=project, message="非公開の提案メッセージ")

    assert "非公開の提案メッセージ" not in text_of(Client().get(f"/jobs/{project.pk}/"))


def test_an_invitation_to_no_worker_names_the_field(project, nothing_written):
    with nothing_written():
        response = signed_in(project.client).post(
            "/invitations/send/",
            {"job": str(project.pk), "kind": "scout", "next": f"/jobs/{project.pk}/"},
            follow=True,
        )

    assert "ワーカー番号: このフィールドは必須です。" in text_of(response)
