"""Database triggers that keep journal entries and postings append-only.

PostgreSQL refuses UPDATE and DELETE (row triggers; TRUNCATE, which Django's
``flush`` uses, is not a row operation). SQLite refuses UPDATE only: its
``flush`` deletes rows, and transactional tests and ``flush`` must still work.
"""

from django.db import migrations

TABLES = ("payments_journalentry", "payments_posting")

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION payments_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    *(
        f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION payments_refuse_change()
        """
        for table in TABLES
    ),
]
POSTGRES_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS payments_refuse_change()",
]

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE on {table} refused'); END
    """
    for table in TABLES
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {table}_append_only" for table in TABLES]

STATEMENTS = {
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def _run(schema_editor, which):  # type: ignore[no-untyped-def]
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:
        return  # another database: the model and queryset guards still apply
    for sql in statements[which]:
        schema_editor.execute(sql, params=None)


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, 0)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
