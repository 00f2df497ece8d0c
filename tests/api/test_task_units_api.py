"""Task units over the API: adding, claiming, answering, reviewing, aggregating."""

import pytest
from django.test import Client

from tests.api.http import assert_problem, get, post
from tests.db_state import table_counts
from tests.factories import ClientFactory, JobFactory, WorkerFactory
from tests.task_batches import ANIMALS, GOLD, joined_worker, task_batch_ready, task_rows
from tsunagu.process.models import TaskAnswer, TaskAnswerStatus, TaskUnit
from tsunagu.skills.models import WorkerSkill

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def units_body(gold: list[str] = GOLD, plain: int = 2, redundancy: int = 2) -> dict:
    units = [
        {"payload": {"text": f"写真{n}"}, "choices": ANIMALS, "gold_answer": answer}
        for n, answer in enumerate(gold)
    ]
    units += [{"payload": {"text": f"説明{n}"}, "choices": ANIMALS} for n in range(plain)]
    return {"units": units, "redundancy": redundancy}


@pytest.fixture
def batch():
    return task_batch_ready()


def answer_all(browser: Client, batch, pick) -> list[dict]:
    """Claim and answer until the batch has nothing left for this worker."""
    answered = []
    while True:
        claim = post(browser, f"/jobs/{batch.job_id}/units/claim")
        if claim.status_code != 201:
            assert claim.json()["code"] in {"no_units_left", "cap_reached"}
            return answered
        body = claim.json()
        value = pick(body)
        response = post(browser, f"/task-answers/{body['answer_id']}/submit", {"value": value})
        assert response.status_code == 200, response.content
        answered.append(body)


def test_the_whole_task_flow_over_the_api(batch):
    # given a client and two workers who joined the batch
    client = signed_in(batch.job.client)
    careful_user, careless_user = joined_worker(batch), joined_worker(batch)
    careful, careless = signed_in(careful_user), signed_in(careless_user)

    # when the client adds ten units, eight of them gold, two workers each
    added = post(client, f"/jobs/{batch.job_id}/units", units_body())

    # then they are numbered in order
    assert added.status_code == 201, added.content
    assert added.json()["added"] == 10
    gold_of = dict(zip(added.json()["unit_ids"][:8], GOLD, strict=True))

    # when one worker answers as the gold says and the other always says 鳥
    claims = answer_all(careful, batch, lambda unit: gold_of.get(unit["unit_id"], "犬"))
    answer_all(careless, batch, lambda unit: "鳥")

    # then each answered all ten, shown the payload and choices but never the gold
    assert len(claims) == 10
    assert claims[0]["payload"] == {"text": "写真0"}
    assert claims[0]["choices"] == ANIMALS
    assert claims[-1]["live_answers"] == 10
    assert claims[-1]["per_worker_cap"] == 10
    assert all("gold" not in key for claim in claims for key in claim)

    # when the client lists the answers awaiting review and decides two
    waiting = get(client, f"/jobs/{batch.job_id}/task-answers", status="submitted", limit=100)
    assert waiting.status_code == 200
    items = waiting.json()["items"]
    assert len(items) == 20
    mine = [item for item in items if item["worker_id"] == careless_user.pk]
    approved = post(client, f"/task-answers/{items[0]['id']}/review", {"approve": True})
    rejected = post(
        client,
        f"/task-answers/{mine[0]['id']}/review",
        {"approve": False, "reason": "写真は犬です。"},
    )

    # then the decisions stand
    assert approved.json()["status"] == "approved"
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "写真は犬です。"

    # when the client aggregates
    quality = post(client, f"/jobs/{batch.job_id}/quality")

    # then every unit has a consensus, the careful worker scores 100% and the other is flagged
    assert quality.status_code == 200, quality.content
    body = quality.json()
    assert body["units"] == 10
    assert body["units_with_consensus"] == 10
    assert body["consensus_coverage"] == 1.0
    assert body["flagged_worker_ids"] == [careless_user.pk]
    scores = {worker["worker_id"]: worker for worker in body["workers"]}
    assert scores[careful_user.pk]["accuracy"] == 1.0
    assert scores[careful_user.pk]["flagged"] is False
    assert scores[careless_user.pk]["gold_accuracy"] == 0.0
    assert TaskUnit.objects.filter(batch=batch, consensus_answer="").count() == 0

    # and the client's unit list shows the counts and the consensus
    units = get(client, f"/jobs/{batch.job_id}/units", limit=100).json()["items"]
    assert [unit["position"] for unit in units] == list(range(1, 11))
    assert units[0]["gold_answer"] == "犬"
    assert sum(unit["answers_submitted"] for unit in units) == 18
    assert sum(unit["answers_approved"] for unit in units) == 1
    assert sum(unit["answers_rejected"] for unit in units) == 1


def test_the_unit_list_pages_in_order(batch):
    client = signed_in(batch.job.client)
    post(client, f"/jobs/{batch.job_id}/units", units_body(plain=2, redundancy=1))

    first = get(client, f"/jobs/{batch.job_id}/units", limit=4).json()
    second = get(client, f"/jobs/{batch.job_id}/units", limit=4, cursor=first["next_cursor"])

    assert [unit["position"] for unit in first["items"]] == [1, 2, 3, 4]
    assert [unit["position"] for unit in second.json()["items"]] == [5, 6, 7, 8]


def test_a_claim_never_carries_the_gold_answer(batch):
    client = signed_in(batch.job.client)
    post(client, f"/jobs/{batch.job_id}/units", units_body(gold=["猫"], plain=0, redundancy=1))
    worker = signed_in(joined_worker(batch))

    claim = post(worker, f"/jobs/{batch.job_id}/units/claim")

    assert claim.status_code == 201
    assert b"gold" not in claim.content
    submitted = post(worker, f"/task-answers/{claim.json()['answer_id']}/submit", {"value": "猫"})
    assert b"gold" not in submitted.content


def test_strangers_and_workers_cannot_manage_the_batch(batch):
    # given units and a worker's submitted answer
    post(signed_in(batch.job.client), f"/jobs/{batch.job_id}/units", units_body())
    worker = signed_in(joined_worker(batch))
    claim = post(worker, f"/jobs/{batch.job_id}/units/claim").json()
    post(worker, f"/task-answers/{claim['answer_id']}/submit", {"value": "犬"})
    stranger = signed_in(ClientFactory())
    before = (table_counts(), task_rows())

    # when a stranger or the worker tries the client's operations, they are not found
    for browser in (stranger, worker):
        job = batch.job_id
        assert_problem(get(browser, f"/jobs/{job}/units"), 404, "not_found")
        assert_problem(get(browser, f"/jobs/{job}/task-answers"), 404, "not_found")
        assert_problem(post(browser, f"/jobs/{job}/units", units_body()), 404, "not_found")
        assert_problem(post(browser, f"/jobs/{job}/quality"), 404, "not_found")
        review = post(browser, f"/task-answers/{claim['answer_id']}/review", {"approve": True})
        assert_problem(review, 404, "not_found")

    # and a stranger cannot answer the worker's claim
    submit = post(stranger, f"/task-answers/{claim['answer_id']}/submit", {"value": "猫"})
    assert_problem(submit, 404, "not_found")
    assert (table_counts(), task_rows()) == before


def test_a_job_of_another_format_has_no_units():
    job = JobFactory()

    response = post(signed_in(job.client), f"/jobs/{job.pk}/units", units_body())

    assert_problem(response, 404, "not_found")


REFUSALS = [
    ("gold outside", units_body(gold=["魚"], plain=0), 400, "invalid_gold_answer"),
    (
        "one choice",
        {"units": [{"payload": {"text": "a"}, "choices": ["犬"]}]},
        400,
        "invalid_choices",
    ),
    ("empty payload", {"units": [{"payload": {}, "choices": ANIMALS}]}, 400, "invalid_unit"),
    ("no units", {"units": []}, 400, "units_required"),
    ("redundancy 11", units_body(plain=0, redundancy=11), 400, "invalid_redundancy"),
    ("over budget", units_body(plain=5, redundancy=2), 422, "too_many_units"),
    (
        "script address",
        {"units": [{"payload": {"image_url": "javascript:alert(1)"}, "choices": ANIMALS}]},
        422,
        "validation_error",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
def test_adding_units_is_refused_with_a_code_and_writes_nothing(batch, body, status, code):
    client = signed_in(batch.job.client)
    before = (table_counts(), task_rows())

    response = post(client, f"/jobs/{batch.job_id}/units", body)

    problem = assert_problem(response, status, code)
    assert (table_counts(), task_rows()) == before
    if code == "too_many_units":
        assert problem["slots_left"] == 20


def test_answer_and_review_refusals_write_nothing(batch):
    # given a worker holding a claim and a client
    client = signed_in(batch.job.client)
    post(client, f"/jobs/{batch.job_id}/units", units_body(gold=[], plain=2, redundancy=1))
    worker = signed_in(joined_worker(batch))
    claim = post(worker, f"/jobs/{batch.job_id}/units/claim").json()
    before = (table_counts(), task_rows())

    # when the worker answers outside the choices, or the client reviews a claim
    outside = post(worker, f"/task-answers/{claim['answer_id']}/submit", {"value": "魚"})
    early = post(client, f"/task-answers/{claim['answer_id']}/review", {"approve": True})

    # then each is refused with its code and nothing is written
    assert_problem(outside, 400, "invalid_answer")
    assert_problem(early, 409, "illegal_transition")
    assert (table_counts(), task_rows()) == before

    # when the answer is in and the client rejects it without a reason
    post(worker, f"/task-answers/{claim['answer_id']}/submit", {"value": "犬"})
    before = (table_counts(), task_rows())
    no_reason = post(client, f"/task-answers/{claim['answer_id']}/review", {"approve": False})

    # then it is refused, in Japanese by default
    problem = assert_problem(no_reason, 400, "reason_required")
    assert problem["detail"] == "回答を却下する理由をワーカーに伝えてください。"
    assert (table_counts(), task_rows()) == before
    assert TaskAnswer.objects.get(pk=claim["answer_id"]).status == TaskAnswerStatus.SUBMITTED


def test_a_worker_must_join_before_claiming(batch):
    post(signed_in(batch.job.client), f"/jobs/{batch.job_id}/units", units_body())
    outsider = signed_in(WorkerFactory())
    before = (table_counts(), task_rows())

    response = post(outsider, f"/jobs/{batch.job_id}/units/claim")

    assert_problem(response, 403, "not_joined")
    assert (table_counts(), task_rows()) == before
    assert not WorkerSkill.objects.exists()
