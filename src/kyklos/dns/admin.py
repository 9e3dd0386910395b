"""The staff view of DNS hosting: zones with their records and every push to PowerDNS
(with PowerDNS's answer); failed zones are published again from here. Templates are data
edited here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import NoDelete, ReadOnlyAdmin, ReadOnlyInline, service_action
from kyklos.dns import services
from kyklos.dns.models import PushAttempt, Record, Zone, ZoneTemplate


class RecordInline(ReadOnlyInline):
    model = Record
    fields = ["name", "type", "ttl", "content"]
    ordering = ["name", "type", "content"]


class PushAttemptInline(ReadOnlyInline):
    model = PushAttempt
    fields = ["number", "result", "started_at", "finished_at", "error", "request", "response"]
    ordering = ["-number"]


@admin.register(Zone)
class ZoneAdmin(ReadOnlyAdmin):
    list_display = ["name", "customer", "service", "wanted", "sync", "attempts", "short_error"]
    list_filter = ["sync", "wanted"]
    search_fields = ["name", "customer__name"]
    list_select_related = ["customer", "service"]
    readonly_fields = [
        "name",
        "customer",
        "service",
        "wanted",
        "sync",
        "version",
        "pushed_version",
        "attempts",
        "next_attempt_at",
        "error",
        "created_at",
        "updated_at",
        "removed_at",
    ]
    fields = readonly_fields
    inlines = [RecordInline, PushAttemptInline]
    actions = ["publish_again"]

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("dns.change_zone")

    publish_again = service_action(
        _("Publish the selected failed zones again"),
        services.publish_again,
        _("%(n)d zones are queued to be published again."),
        permissions=["publish"],
    )


@admin.register(ZoneTemplate)
class ZoneTemplateAdmin(NoDelete, admin.ModelAdmin):
    list_display = ["name", "default"]
