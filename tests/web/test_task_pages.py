"""The task batch pages: a worker's work page, the client's 作業管理 and 品質."""

import pytest

from tests.factories import ClientFactory, WorkerFactory
from tests.task_batches import ANIMALS, GOLD, joined_worker, task_batch_ready, task_rows
from tests.web.conftest import signed_in, text_of
from tsunagu.process.models import TaskAnswer, TaskAnswerStatus, TaskUnit

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def units_form(lines: list[str], **fields: str) -> dict[str, str]:
    return {"choices": "、".join(ANIMALS), "lines": "\n".join(lines), "redundancy": "2", **fields}


def gold_lines() -> list[str]:
    """Eight gold units and two without, as the client types them."""
    return [f"写真{n},{answer}" for n, answer in enumerate(GOLD)] + ["説明0", '"説明, その1"']


@pytest.fixture
def batch():
    return task_batch_ready()


def work_through(browser, batch, pick) -> list[str]:
    """Start work, then answer every unit offered; returns the pages' texts."""
    page = browser.post(f"/jobs/{batch.job_id}/tasks/claim/", headers=HTMX)
    texts = []
    while True:
        claim = (
            TaskAnswer.objects.filter(unit__batch=batch, status=TaskAnswerStatus.CLAIMED)
            .select_related("unit")
            .first()
        )
        if claim is None:
            return texts
        texts.append(page.content.decode())
        page = browser.post(
            f"/task-answers/{claim.pk}/submit/", {"value": pick(claim.unit)}, headers=HTMX
        )
        assert page.status_code == 200, page.content


def test_the_whole_task_flow_through_the_pages(batch):
    # given a client and two workers who joined the batch on the job page
    client = signed_in(batch.job.client)
    careful_user = WorkerFactory(display_name="丁寧な佐藤")
    careless_user = WorkerFactory(display_name="雑な鈴木")
    careful, careless = signed_in(careful_user), signed_in(careless_user)
    for browser in (careful, careless):
        assert browser.post(f"/jobs/{batch.job_id}/join/").status_code == 302

    # when the client adds ten units, eight with a gold answer
    added = client.post(f"/jobs/{batch.job_id}/tasks/units/", units_form(gold_lines()))

    # then they are added, a comma inside quotes kept in the text
    assert added.status_code == 302
    assert TaskUnit.objects.filter(batch=batch).count() == 10
    assert TaskUnit.objects.get(batch=batch, position=10).payload == {"text": "説明, その1"}
    assert "作業を10件追加しました。" in text_of(client.get(added["Location"]))

    # when each worker starts from the job page and answers every unit
    job_page = text_of(careful.get(f"/jobs/{batch.job_id}/"))
    assert "次の作業を始める" in job_page
    work_page = text_of(careful.get(f"/jobs/{batch.job_id}/tasks/work/"))
    assert "あなたの回答：0件（上限10件）" in work_page
    gold = {unit.pk: unit.gold_answer for unit in TaskUnit.objects.filter(batch=batch)}
    pages = work_through(careful, batch, lambda unit: gold[unit.pk] or "犬")
    work_through(careless, batch, lambda unit: "鳥")

    # then each unit was shown with its choices and the count against the cap
    assert len(pages) == 10
    assert "写真0" in pages[0]
    assert all(f'value="{choice}"' in pages[0] for choice in ANIMALS)
    assert TaskAnswer.objects.filter(status=TaskAnswerStatus.SUBMITTED).count() == 20
    last = text_of(careful.get(f"/jobs/{batch.job_id}/tasks/work/"))
    assert "あなたの回答：10件（上限10件）" in last

    # when the client rejects one answer with a reason, approves one, then two at once
    manage = client.get(f"/jobs/{batch.job_id}/tasks/manage/")
    assert "確認待ちの回答" in text_of(manage)
    assert "雑な鈴木" in text_of(manage)
    answers = list(TaskAnswer.objects.order_by("pk"))
    rejected = client.post(
        f"/task-answers/{answers[0].pk}/review/", {"decision": "reject", "reason": "犬です"}
    )
    client.post(f"/task-answers/{answers[1].pk}/review/", {"decision": "approve"})
    bulk = client.post(
        f"/jobs/{batch.job_id}/tasks/approve/", {"answers": [answers[2].pk, answers[3].pk]}
    )

    # then the decisions stand
    assert rejected.status_code == 302
    assert "2件の回答を承認しました。" in text_of(client.get(bulk["Location"]))
    statuses = dict(TaskAnswer.objects.values_list("pk", "status"))
    assert statuses[answers[0].pk] == TaskAnswerStatus.REJECTED
    assert [statuses[answer.pk] for answer in answers[1:4]] == [TaskAnswerStatus.APPROVED] * 3
    assert TaskAnswer.objects.get(pk=answers[0].pk).reason == "犬です"

    # when the client aggregates on the quality page
    before = text_of(client.get(f"/jobs/{batch.job_id}/tasks/quality/"))
    quality = client.post(f"/jobs/{batch.job_id}/tasks/quality/")

    # then it shows coverage, each worker's accuracy as a bar, and the careless flag
    assert "回答を集計する" in before
    page = text_of(quality)
    html = quality.content.decode()
    assert quality.status_code == 200
    assert "10件のうち10件で回答が合意しています（100%）" in page
    assert "丁寧な佐藤" in page
    assert "100%" in page
    assert "雑な回答" in page
    assert 'class="accuracy-row accuracy-flagged"' in html
    assert 'class="accuracy-bar" x="120" y="4" width="230"' in html
    assert " style=" not in html


def test_a_worker_never_sees_the_gold_answer_and_payloads_are_escaped(batch):
    # given a gold unit whose text is markup and whose image address is a script
    client = signed_in(batch.job.client)
    client.post(
        f"/jobs/{batch.job_id}/tasks/units/",
        units_form(['"<script>alert(1)</script><b>太字</b>",猫'], redundancy="1"),
    )
    TaskUnit.objects.create(
        batch=batch,
        position=2,
        payload={"image_url": "javascript:alert(2)"},
        choices=ANIMALS,
        redundancy=1,
    )
    worker = signed_in(joined_worker(batch))

    # when the worker claims it
    page = worker.post(f"/jobs/{batch.job_id}/tasks/claim/")

    # then the text is shown escaped and nothing says which answer is gold
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;太字&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html
    assert "正解" not in text_of(page)
    assert "gold" not in html.lower()

    # and a script address is never a link
    claim = TaskAnswer.objects.get()
    page = worker.post(f"/task-answers/{claim.pk}/submit/", {"value": "犬"})
    html = page.content.decode()
    assert 'href="javascript:' not in html
    assert "javascript:alert(2)" in html
    assert "正解" not in text_of(page)


def test_strangers_and_workers_get_404_on_the_clients_pages(batch, nothing_written):
    # given units and a worker's submitted answer
    signed_in(batch.job.client).post(f"/jobs/{batch.job_id}/tasks/units/", units_form(gold_lines()))
    worker = signed_in(joined_worker(batch))
    worker.post(f"/jobs/{batch.job_id}/tasks/claim/")
    answer = TaskAnswer.objects.get()
    worker.post(f"/task-answers/{answer.pk}/submit/", {"value": "犬"})
    stranger = signed_in(ClientFactory())
    job = batch.job_id
    before = task_rows()

    # when a stranger or the worker opens or posts to the client's pages
    with nothing_written():
        for browser in (stranger, worker):
            assert browser.get(f"/jobs/{job}/tasks/manage/").status_code == 404
            assert browser.get(f"/jobs/{job}/tasks/quality/").status_code == 404
            assert browser.post(f"/jobs/{job}/tasks/quality/").status_code == 404
            form = units_form(gold_lines())
            assert browser.post(f"/jobs/{job}/tasks/units/", form).status_code == 404
            review = browser.post(f"/task-answers/{answer.pk}/review/", {"decision": "approve"})
            assert review.status_code == 404
            bulk = browser.post(f"/jobs/{job}/tasks/approve/", {"answers": [answer.pk]})
            assert bulk.status_code == 404
        # and a stranger cannot answer the worker's claim
        submit = stranger.post(f"/task-answers/{answer.pk}/submit/", {"value": "猫"})
        assert submit.status_code == 404

    # then nothing changed
    assert task_rows() == before


ADD_REFUSALS = [
    ("gold outside", ["写真,魚"], {}, 400, "1行目：正解「魚」が選択肢にありません。"),
    ("three cells", ["写真,犬,猫"], {}, 400, "1行目：「テキスト」または「テキスト,正解」"),
    ("one choice", ["写真"], {"choices": "犬"}, 400, "異なる選択肢を2つ以上入力してください。"),
    ("no lines", [], {}, 400, "このフィールドは必須です。"),
    ("over budget", ["a", "b", "c"], {"redundancy": "10"}, 422, "あと20件の回答です。"),
]


@pytest.mark.parametrize(
    ("lines", "fields", "status", "says"),
    [case[1:] for case in ADD_REFUSALS],
    ids=[case[0] for case in ADD_REFUSALS],
)
def test_adding_units_is_refused_on_the_form(batch, nothing_written, lines, fields, status, says):
    client = signed_in(batch.job.client)

    with nothing_written():
        response = client.post(f"/jobs/{batch.job_id}/tasks/units/", units_form(lines, **fields))

    assert response.status_code == status
    assert says in text_of(response)
    assert not TaskUnit.objects.exists()


def test_a_worker_who_has_not_joined_is_told_to_join(batch, nothing_written):
    signed_in(batch.job.client).post(f"/jobs/{batch.job_id}/tasks/units/", units_form(gold_lines()))
    outsider = signed_in(WorkerFactory())

    with nothing_written():
        response = outsider.post(f"/jobs/{batch.job_id}/tasks/claim/")

    assert response.status_code == 403
    assert "先にこのタスクに参加してください。" in text_of(response)
    assert not TaskAnswer.objects.exists()


def test_the_pages_are_japanese_by_default_and_english_on_request(batch):
    client = signed_in(batch.job.client)

    japanese = client.get(f"/jobs/{batch.job_id}/tasks/manage/")
    job_page = text_of(client.get(f"/jobs/{batch.job_id}/"))
    english = client.get(f"/jobs/{batch.job_id}/tasks/manage/?lang=en")

    assert japanese["Content-Language"] == "ja"
    assert "作業管理" in text_of(japanese)
    assert "作業の追加" in text_of(japanese)
    assert "Task management" in text_of(english)
    assert "作業管理" in job_page
    assert "品質" in job_page


def _answers_waiting(batch, workers: int) -> None:
    client = signed_in(batch.job.client)
    client.post(f"/jobs/{batch.job_id}/tasks/units/", units_form(gold_lines(), redundancy="2"))
    for _number in range(workers):
        browser = signed_in(joined_worker(batch))
        work_through(browser, batch, lambda unit: "犬")


@pytest.mark.parametrize("workers", [1, 2])
def test_the_review_list_does_not_query_per_answer(django_assert_max_num_queries, batch, workers):
    _answers_waiting(batch, workers)
    client = signed_in(batch.job.client)

    # The session, the user, the header's unread count; the job with its
    # listing data, the manager check; the page's count and rows (answers with
    # units and workers) and the units' counts.
    with django_assert_max_num_queries(10):
        response = client.get(f"/jobs/{batch.job_id}/tasks/manage/")

    assert response.status_code == 200
    assert response.content.decode().count('name="answers"') == workers * 10


@pytest.mark.parametrize("workers", [1, 2])
def test_the_quality_page_does_not_query_per_worker(django_assert_max_num_queries, batch, workers):
    _answers_waiting(batch, workers)
    client = signed_in(batch.job.client)

    with django_assert_max_num_queries(20):
        response = client.post(f"/jobs/{batch.job_id}/tasks/quality/")

    assert response.status_code == 200
    assert response.content.decode().count('class="accuracy-row') == workers
