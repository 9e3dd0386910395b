from django.contrib import admin

from kyklos.core.models import AuditEvent, AuditSeal


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit rows are append-only: the admin shows them and nothing else."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
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
    readonly_fields = [
        "at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "customer_id",
        "data",
        "seq",
        "hash",
    ]
    fields = readonly_fields


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ["sealed_at", "first_seq", "last_seq", "count", "head_hash"]
    fields = readonly_fields = list_display
