"""Database triggers that keep the audit trail append-only (decision 0013).

PostgreSQL: every DELETE and every UPDATE other than sealing (setting ``seq`` and ``hash``
once, nothing else) is refused, on events and on seals. TRUNCATE (``flush``) stays
possible for development databases and tests.

SQLite: the same UPDATE rule. DELETE is not refused there because SQLite implements
``flush`` (development resets, transactional tests) with DELETE; the ORM refuses it and
the hash chain detects it.
"""

from django.db import migrations

SAME_CONTENT = """
    NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
    AND NEW.actor_label = OLD.actor_label AND NEW.action = OLD.action
    AND NEW.object_type = OLD.object_type AND NEW.object_id = OLD.object_id
    AND NEW.customer_id IS NOT DISTINCT FROM OLD.customer_id AND NEW.data = OLD.data
"""

POSTGRES = f"""
CREATE OR REPLACE FUNCTION kyklos_audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash = '' AND NEW.seq IS NOT NULL
       AND {SAME_CONTENT} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION kyklos_audit_event_guard();

CREATE OR REPLACE FUNCTION kyklos_audit_seal_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit seals are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditseal_append_only BEFORE UPDATE OR DELETE ON core_auditseal
    FOR EACH ROW EXECUTE FUNCTION kyklos_audit_seal_guard();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditseal_append_only ON core_auditseal;
DROP FUNCTION IF EXISTS kyklos_audit_event_guard();
DROP FUNCTION IF EXISTS kyklos_audit_seal_guard();
"""

SQLITE = [
    f"""
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE ON core_auditevent
WHEN NOT (OLD.seq IS NULL AND OLD.hash = '' AND NEW.seq IS NOT NULL AND
    {SAME_CONTENT.replace("IS NOT DISTINCT FROM", "IS")})
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused');
END;
""",
    """
CREATE TRIGGER core_auditseal_append_only BEFORE UPDATE ON core_auditseal
BEGIN
    SELECT RAISE(ABORT, 'audit seals are append-only: UPDATE refused');
END;
""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only;",
    "DROP TRIGGER IF EXISTS core_auditseal_append_only;",
]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES, None)
    elif connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, None)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, None)
    elif connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_chain")]

    operations = [migrations.RunPython(forwards, backwards)]
