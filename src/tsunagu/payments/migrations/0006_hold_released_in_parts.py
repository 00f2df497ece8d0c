"""Holds paid out in parts: ``released_yen``, the ``closed`` state, two entry kinds.

A task batch's hold pays one part per approved answer (``release_part``)
and is closed at the end with the rest refunded (``close``). As in 0005,
changing the CHECK on the journal's kinds makes SQLite rebuild the table,
which drops the append-only trigger of migration 0002; it is created again
after the rebuild, in both directions.
"""

from django.db import migrations, models

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS payments_journalentry_append_only
BEFORE UPDATE ON payments_journalentry
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on payments_journalentry refused'); END
"""

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
    "release_part",
    "close",
]
STATES = ["funded", "released", "refunded", "split", "closed"]


def restore_sqlite_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_entry_kind_payout_paid")]

    operations = [
        # Backwards this runs last, after the reverse rebuild of the table.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.RemoveConstraint(model_name="hold", name="hold_state_valid"),
        migrations.RemoveConstraint(model_name="journalentry", name="entry_kind_valid"),
        migrations.AddField(
            model_name="hold",
            name="released_yen",
            field=models.BigIntegerField(default=0, verbose_name="released in parts (yen)"),
        ),
        migrations.AlterField(
            model_name="hold",
            name="state",
            field=models.CharField(
                choices=[
                    ("funded", "Funded"),
                    ("released", "Released"),
                    ("refunded", "Refunded"),
                    ("split", "Split"),
                    ("closed", "Closed"),
                ],
                default="funded",
                max_length=10,
                verbose_name="state",
            ),
        ),
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
                    ("release_part", "Partial release"),
                    ("close", "Close"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="hold",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", STATES)), name="hold_state_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="hold",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("released_yen__gte", 0),
                    ("released_yen__lte", models.F("amount_yen") - models.F("charged_back_yen")),
                ),
                name="hold_parts_within_amount",
            ),
        ),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", KINDS)), name="entry_kind_valid"
            ),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
