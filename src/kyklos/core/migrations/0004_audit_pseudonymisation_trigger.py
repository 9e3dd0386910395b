"""The append-only triggers also let an announced pseudonymisation through (decision 0017).

An UPDATE is allowed when it is sealing (as before: ``seq`` and ``hash`` set once, nothing
else changed) or when it changes only ``actor_label`` (to ``erased-user-…``) and ``data`` of
an event that an ``audit.pseudonymised`` event names — appended first, by
:func:`kyklos.core.audit_chain.pseudonymise`. The chain position and hash never change.
"""

from importlib import import_module

from django.db import migrations

previous = import_module("kyklos.core.migrations.0003_audit_append_only_triggers")

SAME_FRAME = """
    NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
    AND NEW.action = OLD.action AND NEW.object_type = OLD.object_type
    AND NEW.object_id = OLD.object_id AND NEW.customer_id IS NOT DISTINCT FROM OLD.customer_id
    AND NEW.seq IS NOT DISTINCT FROM OLD.seq AND NEW.hash = OLD.hash
    AND (NEW.actor_label = OLD.actor_label OR NEW.actor_label LIKE 'erased-user-%')
"""

ANNOUNCED = """
    EXISTS (SELECT 1 FROM core_auditevent p WHERE p.action = 'audit.pseudonymised'
            AND p.object_type = 'core.auditevent' AND p.object_id = {old_id})
"""

POSTGRES = f"""
CREATE OR REPLACE FUNCTION kyklos_audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash = '' AND NEW.seq IS NOT NULL
       AND {previous.SAME_CONTENT} THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND {SAME_FRAME} AND {ANNOUNCED.format(old_id="OLD.id::text")} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_SAME_FRAME = SAME_FRAME.replace("IS NOT DISTINCT FROM", "IS")
SQLITE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only;",
    f"""
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE ON core_auditevent
WHEN NOT (
    (OLD.seq IS NULL AND OLD.hash = '' AND NEW.seq IS NOT NULL AND
     {previous.SAME_CONTENT.replace("IS NOT DISTINCT FROM", "IS")})
    OR ({SQLITE_SAME_FRAME} AND {ANNOUNCED.format(old_id="CAST(OLD.id AS TEXT)")})
)
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused');
END;
""",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(previous.POSTGRES.split("CREATE TRIGGER")[0], None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only;", None)
        schema_editor.execute(previous.SQLITE[0], None)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
