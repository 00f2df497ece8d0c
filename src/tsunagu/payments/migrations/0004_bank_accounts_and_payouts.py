"""Workers' bank accounts (details encrypted) and their payouts."""

import django.db.models.deletion
import django.db.models.expressions
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BankAccount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("bank_code", models.CharField(max_length=4, verbose_name="bank code")),
                ("branch_code", models.CharField(max_length=3, verbose_name="branch code")),
                (
                    "account_type",
                    models.CharField(
                        choices=[("ordinary", "Ordinary"), ("checking", "Checking")],
                        max_length=10,
                        verbose_name="account type",
                    ),
                ),
                ("account_number_encrypted", models.TextField(editable=False)),
                ("holder_name_encrypted", models.TextField(editable=False)),
                (
                    "account_number_last4",
                    models.CharField(max_length=4, verbose_name="account number (last 4 digits)"),
                ),
                (
                    "review_state",
                    models.CharField(
                        choices=[
                            ("unverified", "Not yet verified"),
                            ("verified", "Verified"),
                            ("flagged", "Flagged"),
                        ],
                        default="unverified",
                        max_length=10,
                        verbose_name="review",
                    ),
                ),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="Payout",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("amount_yen", models.BigIntegerField(verbose_name="amount (yen)")),
                ("fee_yen", models.BigIntegerField(verbose_name="transfer fee (yen)")),
                ("net_yen", models.BigIntegerField(verbose_name="transferred (yen)")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("requested", "Requested"),
                            ("held_for_review", "Held for review"),
                            ("approved", "Approved"),
                            ("sent", "Sent to the bank"),
                            ("paid", "Paid"),
                            ("failed", "Failed"),
                            ("rejected", "Rejected"),
                        ],
                        default="requested",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "hold_reasons",
                    models.CharField(blank=True, max_length=100, verbose_name="held because"),
                ),
                (
                    "failure_reason",
                    models.CharField(blank=True, max_length=200, verbose_name="failure reason"),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("settled_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="bankaccount",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bank_accounts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="payout",
            name="bank_account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payouts",
                to="payments.bankaccount",
            ),
        ),
        migrations.AddField(
            model_name="payout",
            name="settle_entry",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="settled_payout",
                to="payments.journalentry",
            ),
        ),
        migrations.AddField(
            model_name="payout",
            name="withdraw_entry",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payout",
                to="payments.journalentry",
            ),
        ),
        migrations.AddField(
            model_name="payout",
            name="worker",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payouts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("bank_code__regex", "^[0-9]{4}$")),
                name="bank_account_bank_code_digits",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("branch_code__regex", "^[0-9]{3}$")),
                name="bank_account_branch_code_digits",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("account_number_last4__regex", "^[0-9]{4}$")),
                name="bank_account_last4_digits",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("account_type__in", ["ordinary", "checking"])),
                name="bank_account_type_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="bankaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("review_state__in", ["unverified", "verified", "flagged"])),
                name="bank_account_review_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="payout",
            index=models.Index(fields=["status", "created_at"], name="payout_status_created"),
        ),
        migrations.AddConstraint(
            model_name="payout",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("fee_yen__gte", 0),
                    ("net_yen__gt", 0),
                    (
                        "amount_yen",
                        django.db.models.expressions.CombinedExpression(
                            models.F("net_yen"), "+", models.F("fee_yen")
                        ),
                    ),
                ),
                name="payout_amounts_add_up",
            ),
        ),
        migrations.AddConstraint(
            model_name="payout",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "requested",
                            "held_for_review",
                            "approved",
                            "sent",
                            "paid",
                            "failed",
                            "rejected",
                        ],
                    )
                ),
                name="payout_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="payout",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ("paid", "failed", "rejected")), _negated=True),
                    models.Q(("settle_entry__isnull", False), ("settled_at__isnull", False)),
                    _connector="OR",
                ),
                name="payout_final_is_settled",
            ),
        ),
        migrations.AddConstraint(
            model_name="payout",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["sent", "paid"]), _negated=True),
                    ("sent_at__isnull", False),
                    _connector="OR",
                ),
                name="payout_sent_has_sent_at",
            ),
        ),
    ]
