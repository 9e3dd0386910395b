import sqlite3

from django.apps import AppConfig
from django.db.backends.signals import connection_created

#: SQLite has allowed 32766 bound variables per statement since 3.32; Django 5.2 still
#: assumes 999, which splits every bulk insert of more than a few dozen rows.
SQLITE_MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999

#: The audit trail is evidence of how personal data was processed (GDPR art. 5(2), 30, 32).
AUDIT_LEGAL_HOLD = (
    "The audit trail is kept as evidence of who processed the data and when (GDPR art. 5(2) "
    "and 32): it names who acted (a login name) and what changed, and it is hash-chained, so "
    "its rows are never rewritten; an erasure leaves it as it is."
)


def _tune_sqlite(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.features.max_query_params = SQLITE_MAX_VARIABLES


class CoreConfig(AppConfig):
    name = "kyklos.core"
    label = "core"
    verbose_name = "Kyklos core"

    def ready(self) -> None:
        from kyklos.core import audit, audit_chain
        from kyklos.core.models import AuditEvent, AuditSeal
        from kyklos.core.personal_data import Erased, personal_data
        from kyklos.core.registry import registry

        connection_created.connect(_tune_sqlite, dispatch_uid="kyklos.tune_sqlite")
        from kyklos.core import personal_records

        personal_records.register()
        registry.register_daily_step("seal_audit_trail", 10_000, audit_chain.seal_daily)
        personal_data.register(
            AuditEvent,
            category="audit_trail",
            fields=["actor_label", "data"],
            exporter=audit.export_access_log,
            eraser=lambda subject: Erased(
                kept=AuditEvent.objects.filter(customer_id=subject.customer_id).count()
                if subject.customer_id
                else 0,
                kept_reason=AUDIT_LEGAL_HOLD,
            ),
            legal_hold=AUDIT_LEGAL_HOLD,
        )
        personal_data.declare_exempt(AuditSeal, "chain positions and hashes only")
