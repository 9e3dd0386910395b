from django.contrib import admin

from kyklos.automation.models import AutomationRun


@admin.register(AutomationRun)
class AutomationRunAdmin(admin.ModelAdmin):
    list_display = ["day", "status", "started_at", "finished_at", "attempts"]
    list_filter = ["status"]
    readonly_fields = ["day", "status", "started_at", "finished_at", "summary", "attempts"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
