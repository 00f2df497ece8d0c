"""A task batch ready for units, shared by the task page and API tests.

One place to change when claims need more (a funded batch, for example).
"""

from tests.factories import TaskBatchFactory, WorkerFactory
from tsunagu.process.models import TaskAnswer, TaskUnit
from tsunagu.work import escrow
from tsunagu.work import services as work_services
from tsunagu.work.models import TaskBatch

ANIMALS = ["犬", "猫", "鳥"]
# Ten units of which eight are gold, two workers each: what the quality
# check needs to score (five gold answers) and flag a careless worker.
GOLD = ["犬", "猫", "犬", "猫", "犬", "猫", "犬", "猫"]


def task_batch_ready(**terms: int) -> TaskBatch:
    """An open batch paying for 20 answers, at most 10 per worker, paid by card."""
    values = {"unit_count": 20, "unit_price_yen": 50, "per_worker_cap": 10, **terms}
    batch = TaskBatchFactory(**values)
    escrow.task_batch_fund(job=batch.job, by=batch.job.client, method="card", card_token="tok")
    return batch


def joined_worker(batch: TaskBatch, **fields: str):
    worker = WorkerFactory(**fields)
    work_services.task_join(job=batch.job, worker=worker)
    return worker


def task_rows() -> tuple[list[tuple], list[tuple]]:
    """The task tables' rows, to show that a refusal wrote nothing."""
    return (
        list(TaskUnit.objects.order_by("pk").values_list("pk", "claims", "consensus_answer")),
        list(TaskAnswer.objects.order_by("pk").values_list("pk", "status", "answer", "reason")),
    )
