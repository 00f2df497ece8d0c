"""Learning recommendations on a small demo market."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from tsunagu.demo.services import DemoSize, demo_market_build
from tsunagu.insights.learning import learning_recommendations
from tsunagu.skills.models import WorkerSkill
from tsunagu.work.models import ContractStatus, JobSkill, JobStatus, Visibility

pytestmark = pytest.mark.django_db(transaction=False)

SIZE = DemoSize(workers=1000, clients=150, months=12, seed=42)


@pytest.fixture
def spreadsheet_worker(tmp_path):
    """A worker whose contracts are all data entry, without Excel VBA."""
    demo_market_build(size=SIZE, now=timezone.now(), truth_path=tmp_path / "truth.json")
    worker = (
        get_user_model()
        .objects.annotate(
            data_entry=Count(
                "contracts_as_worker",
                filter=Q(
                    contracts_as_worker__status=ContractStatus.COMPLETED,
                    contracts_as_worker__job__category__slug="data-entry",
                ),
            ),
            elsewhere=Count(
                "contracts_as_worker",
                filter=~Q(contracts_as_worker__job__category__slug="data-entry"),
            ),
        )
        .filter(data_entry__gte=2, elsewhere=0)
        .order_by("-data_entry", "id")
        .first()
    )
    assert worker is not None
    WorkerSkill.objects.filter(worker=worker, skill__slug="excel-vba").delete()
    return worker


def test_the_top_recommendation_for_a_spreadsheet_worker_is_macros(spreadsheet_worker):
    rows = learning_recommendations(worker=spreadsheet_worker, limit=10)

    assert rows[0].skill == "excel-vba"
    assert rows[0].category == "data-entry"
    assert rows[0].uplift_monthly_yen is not None and rows[0].uplift_monthly_yen > 0
    assert rows[0].base_source == "category_history"
    low, high = rows[0].uplift_ci_low_yen, rows[0].uplift_ci_high_yen
    assert low is not None and high is not None
    assert 0 < low <= rows[0].uplift_monthly_yen <= high

    held = set(
        WorkerSkill.objects.filter(worker=spreadsheet_worker).values_list("skill__slug", flat=True)
    )
    assert not held & {row.skill for row in rows}
    uplifts = [row.uplift_monthly_yen for row in rows if row.uplift_monthly_yen is not None]
    assert uplifts == sorted(uplifts, reverse=True)


def test_open_jobs_newly_fit_matches_a_direct_count(spreadsheet_worker):
    rows = learning_recommendations(worker=spreadsheet_worker, limit=50)
    assert all(isinstance(r.open_jobs_newly_fit, int) and r.open_jobs_newly_fit >= 0 for r in rows)

    held = dict(
        WorkerSkill.objects.filter(worker=spreadsheet_worker).values_list("skill_id", "level")
    )
    now = timezone.now()
    expected = 0
    jobs = JobSkill.objects.filter(
        skill__slug="excel-vba",
        required=True,
        job__category__slug="data-entry",
        job__status=JobStatus.OPEN,
        job__visibility=Visibility.PUBLIC,
        job__deadline__gt=now,
    ).exclude(job__client=spreadsheet_worker)
    for requirement in jobs.select_related("job"):
        others = requirement.job.job_skills.filter(required=True).exclude(skill__slug="excel-vba")
        if all(held.get(other.skill_id, 0) >= other.min_level for other in others):
            expected += 1

    vba = next(row for row in rows if row.skill == "excel-vba")
    assert vba.open_jobs_newly_fit == expected


def test_learning_command_prints_rows_as_json(spreadsheet_worker):
    out = StringIO()
    call_command("learning", f"--worker={spreadsheet_worker.pk}", "--json", stdout=out)

    rows = json.loads(out.getvalue())
    assert rows[0]["skill"] == "excel-vba"
    for key in ("premium_pct", "ci_low", "ci_high", "uplift_monthly_yen", "open_jobs_newly_fit"):
        assert key in rows[0]
