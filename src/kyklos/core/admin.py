from django.contrib import admin

from kyklos.core.admin_tools import ReadOnlyAdmin
from kyklos.core.audit_chain import FIELDS
from kyklos.core.models import AuditEvent, AuditSeal


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Audit rows are append-only: the admin shows them and nothing else."""

    list_display = [
        "at",
        "action",
        "object_type",
        "object_id",
        "customer_id",
        "actor_label",
        "seq",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "action", "actor_label", "=customer_id"]
    date_hierarchy = "at"
    show_full_result_count = False
    # What the chain hashes (but the row id), then the event's place and hash in the chain.
    fields = readonly_fields = [*FIELDS[1:], "seq", "hash"]


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ["sealed_at", "first_seq", "last_seq", "count", "head_hash"]
    fields = readonly_fields = list_display
