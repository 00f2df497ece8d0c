"""The contract page: who may see it, messages (with and without htmx),
completion by the client, and one review from each side."""

import pytest
from django.test import Client

from tests.factories import ContractFactory, JobFactory, WorkerSkillFactory, skill
from tests.web.conftest import signed_in, text_of
from tsunagu.skills.models import WorkerSkill
from tsunagu.work.models import JobSkill, Message, Review, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(worker):
    contract = ContractFactory(worker=worker, job=JobFactory(delivery_due=None))
    Thread.objects.create(job=contract.job, worker=worker, contract=contract)
    return contract


def test_only_the_parties_see_the_contract(contract, other_worker):
    assert signed_in(contract.client).get(f"/contracts/{contract.pk}/").status_code == 200
    assert signed_in(contract.worker).get(f"/contracts/{contract.pk}/").status_code == 200
    assert signed_in(other_worker).get(f"/contracts/{contract.pk}/").status_code == 404
    assert Client().get(f"/contracts/{contract.pk}/").status_code == 302


def test_the_parties_exchange_messages(contract):
    # given the worker on the contract page
    worker = signed_in(contract.worker)
    assert "まだメッセージはありません。" in text_of(worker.get(f"/contracts/{contract.pk}/"))

    # when the worker writes and the client answers
    worker.post(f"/contracts/{contract.pk}/messages/", {"body": "本日着手します。"})
    response = signed_in(contract.client).post(
        f"/contracts/{contract.pk}/messages/", {"body": "よろしくお願いします。"}, follow=True
    )

    # then both messages are in the thread, oldest first
    page = text_of(response)
    assert page.index("本日着手します。") < page.index("よろしくお願いします。")
    assert Message.objects.count() == 2


def test_htmx_posts_a_message_and_gets_the_thread_alone(contract):
    browser = signed_in(contract.worker)

    response = browser.post(
        f"/contracts/{contract.pk}/messages/",
        {"body": "途中経過をお送りします。"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="messages"')
    assert "<html" not in body
    assert "途中経過をお送りします。" in body


def test_an_empty_message_is_refused_in_the_thread(contract, nothing_written):
    browser = signed_in(contract.worker)

    with nothing_written():
        response = browser.post(
            f"/contracts/{contract.pk}/messages/", {"body": ""}, headers={"HX-Request": "true"}
        )

    assert response.status_code == 400
    assert "このフィールドは必須です。" in text_of(response)


def test_the_client_completes_and_both_review(contract):
    # given a contract for a job asking for Excel VBA, which the worker holds
    JobSkill.objects.create(job=contract.job, skill=skill("excel-vba"))
    WorkerSkillFactory(worker=contract.worker, skill=skill("excel-vba"))
    client = signed_in(contract.client)
    assert "契約を完了する" in text_of(client.get(f"/contracts/{contract.pk}/"))

    # when the client completes it
    response = client.post(f"/contracts/{contract.pk}/complete/", follow=True)

    # then it is completed, the skill is proven, and the client may review
    contract.refresh_from_db()
    assert contract.status == "completed"
    page = text_of(response)
    assert "契約が完了しました。お互いに評価をお願いします。" in page
    assert "成果物の品質" in page
    assert WorkerSkill.objects.get(worker=contract.worker).evidence == "proven"

    # and when both review
    response = client.post(
        f"/contracts/{contract.pk}/review/",
        {
            "overall": "5",
            "quality": "5",
            "communication": "4",
            "timeliness": "5",
            "comment": "丁寧な仕事でした。",
        },
        follow=True,
    )
    assert "評価を投稿しました。ありがとうございます。" in text_of(response)
    worker = signed_in(contract.worker)
    assert "依頼内容の明確さ" in text_of(worker.get(f"/contracts/{contract.pk}/"))
    worker.post(
        f"/contracts/{contract.pk}/review/",
        {"overall": "4", "quality": "4", "communication": "4", "timeliness": "4"},
    )

    # then there are two reviews, and the worker's public page shows the client's
    assert sorted(Review.objects.values_list("direction", "overall")) == [
        ("of_client", 4),
        ("of_worker", 5),
    ]
    public = text_of(Client().get(f"/workers/{contract.worker_id}/"))
    assert "丁寧な仕事でした。" in public
    assert "★ 5.0" in public


def test_the_worker_cannot_complete_the_contract(contract, nothing_written):
    with nothing_written():
        response = signed_in(contract.worker).post(f"/contracts/{contract.pk}/complete/")

    assert response.status_code == 404


def test_a_review_before_completion_is_refused(contract, nothing_written):
    with nothing_written():
        response = signed_in(contract.client).post(
            f"/contracts/{contract.pk}/review/",
            {"overall": "5", "quality": "5", "communication": "5", "timeliness": "5"},
        )

    assert response.status_code == 409
    assert "評価は契約の完了後にできます。" in text_of(response)
