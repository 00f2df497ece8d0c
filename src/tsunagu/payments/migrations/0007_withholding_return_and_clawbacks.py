"""Withholding returned to clients, chargebacks recovered from workers: ``Clawback``.

Two entry kinds (``withholding_return``, ``chargeback_recovery``; the kind
column grows to 24 characters for them) and the ``Clawback`` table. As in
0005, changing the CHECK on the journal's kinds makes SQLite rebuild the
table, which drops the append-only trigger of migration 0002; it is created
again after the rebuild, in both directions.
"""

import importlib

import django.utils.timezone
from django.db import migrations, models

# The trigger's SQL lives with migration 0005 (a module name Python cannot import by name).
_0005 = importlib.import_module("tsunagu.payments.migrations.0005_entry_kind_payout_paid")

KINDS = [
    "fund",
    "release",
    "refund",
    "split",
    "withdraw",
    "payout_failed",
    "payout_paid",
    "chargeback",
    "reversal",
    "withholding_return",
    "chargeback_recovery",
    "release_part",
    "close",
]


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_hold_released_in_parts")]

    operations = [
        # Backwards this runs last, after the reverse rebuild of the table.
        migrations.RunPython(migrations.RunPython.noop, _0005.restore_sqlite_trigger),
        migrations.CreateModel(
            name="Clawback",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("worker_reference", models.CharField(max_length=120, verbose_name="worker")),
                ("reference", models.CharField(max_length=120, verbose_name="reference")),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="reason")),
                ("amount_yen", models.BigIntegerField(verbose_name="claimed (yen)")),
                (
                    "recovered_yen",
                    models.BigIntegerField(default=0, verbose_name="recovered (yen)"),
                ),
                ("dedupe_key", models.CharField(max_length=200, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "released_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="repaid at"),
                ),
            ],
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.RemoveConstraint(model_name="journalentry", name="entry_kind_valid"),
        migrations.AlterField(
            model_name="journalentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("fund", "Fund"),
                    ("release", "Release"),
                    ("refund", "Refund"),
                    ("split", "Split"),
                    ("withdraw", "Withdrawal"),
                    ("payout_failed", "Failed payout"),
                    ("payout_paid", "Payout paid"),
                    ("chargeback", "Chargeback"),
                    ("reversal", "Reversal"),
                    ("withholding_return", "Withholding returned"),
                    ("chargeback_recovery", "Chargeback recovered"),
                    ("release_part", "Partial release"),
                    ("close", "Close"),
                ],
                max_length=24,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", KINDS)), name="entry_kind_valid"
            ),
        ),
        migrations.AddIndex(
            model_name="clawback",
            index=models.Index(
                fields=["worker_reference", "released_at"], name="clawback_worker_open"
            ),
        ),
        migrations.AddConstraint(
            model_name="clawback",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("amount_yen__gt", 0),
                    ("recovered_yen__gte", 0),
                    ("recovered_yen__lte", models.F("amount_yen")),
                ),
                name="clawback_recovered_within_amount",
            ),
        ),
        migrations.AddConstraint(
            model_name="clawback",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("recovered_yen__lt", models.F("amount_yen")), ("released_at__isnull", True)
                    ),
                    models.Q(
                        ("recovered_yen", models.F("amount_yen")), ("released_at__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="clawback_released_iff_repaid",
            ),
        ),
        migrations.RunPython(_0005.restore_sqlite_trigger, migrations.RunPython.noop),
    ]
