"""The ``payout_paid`` entry kind: money leaving to a worker's bank.

Changing the CHECK on the journal's kinds makes SQLite rebuild the table,
which drops the append-only trigger of migration 0002 with the old table.
The trigger is created again after the rebuild, going forwards and going
backwards alike, hence a step on either side of the change.
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
]


def restore_sqlite_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_bank_accounts_and_payouts")]

    operations = [
        # Backwards this runs last, after the reverse rebuild of the table.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
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
                ],
                max_length=16,
                verbose_name="kind",
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
