"""Refused proposals in the pages: the reason on the page, a 4xx status, and
not one row written (``database_snapshot`` before and after)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import JobFactory, ProposalFactory, WorkerProfileFactory
from tests.web.conftest import signed_in, text_of
from tests.web.test_hiring_pages import proposal_form

pytestmark = pytest.mark.django_db


def _propose(browser, job, nothing_written, **form):
    with nothing_written():
        return browser.post(f"/jobs/{job.pk}/propose/", proposal_form(**form))


def test_proposing_on_a_closed_job(worker, nothing_written):
    job = JobFactory(status="closed", closed_at=timezone.now())

    response = _propose(signed_in(worker), job, nothing_written)

    assert response.status_code == 409
    assert "このお仕事の募集は終了しました。" in text_of(response)


def test_proposing_after_the_deadline(worker, nothing_written):
    job = JobFactory(deadline=timezone.now() - timedelta(minutes=1))

    response = _propose(signed_in(worker), job, nothing_written)

    assert response.status_code == 409
    assert "このお仕事の募集は終了しました。" in text_of(response)


def test_proposing_on_ones_own_job(client_user, project, nothing_written):
    # given a client who also works
    WorkerProfileFactory(user=client_user)

    # when they propose on their own project
    response = _propose(signed_in(client_user), project, nothing_written)

    # then they are told they cannot
    assert response.status_code == 422
    assert "自分が依頼したお仕事には応募できません。" in text_of(response)


def test_a_second_proposal_to_the_same_job(worker, project, nothing_written):
    ProposalFactory(job=project, worker=worker)

    response = _propose(signed_in(worker), project, nothing_written, price="30000")

    assert response.status_code == 409
    assert "このお仕事にはすでに提案しています。" in text_of(response)


@pytest.mark.parametrize("price", ["0", "-1000"])
def test_a_proposal_without_a_positive_price(worker, project, nothing_written, price):
    response = _propose(signed_in(worker), project, nothing_written, price=price)

    assert response.status_code == 400
    assert "金額は1円以上で入力してください。" in text_of(response)


def test_milestones_that_do_not_add_up_to_the_price(worker, project, nothing_written):
    # when a worker proposes 40,000 yen in milestones of 25,000 and 10,000
    response = _propose(
        signed_in(worker),
        project,
        nothing_written,
        rows=[("集計マクロ", "25000", ""), ("操作説明書", "10000", "")],
    )

    # then the form says by how much, and keeps what they typed
    assert response.status_code == 422
    page = text_of(response)
    assert "マイルストーンの合計が¥35,000で、提案金額の¥40,000と一致しません。" in page
    assert 'value="集計マクロ"' in response.content.decode()


def test_a_milestone_row_without_an_amount(worker, project, nothing_written):
    response = _propose(signed_in(worker), project, nothing_written, rows=[("集計マクロ", "", "")])

    assert response.status_code == 400
    assert "マイルストーンの金額を入力してください。" in text_of(response)


def test_a_proposal_without_a_message(worker, project, nothing_written):
    response = _propose(signed_in(worker), project, nothing_written, message="")

    assert response.status_code == 400
    assert "このフィールドは必須です。" in text_of(response)


def test_proposing_without_a_worker_profile(client_user, nothing_written):
    job = JobFactory()

    response = _propose(signed_in(client_user), job, nothing_written)

    assert response.status_code == 422
    assert "まずワーカープロフィールを作成してください。" in text_of(response)
