from django.contrib import admin

from kyklos.automation.models import AutomationRun, RunAttempt


class RunAttemptInline(admin.TabularInline):
    model = RunAttempt
    fields = ["number", "status", "started_at", "finished_at", "summary", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AutomationRun)
class AutomationRunAdmin(admin.ModelAdmin):
    list_display = ["day", "status", "started_at", "finished_at", "attempts"]
    list_filter = ["status"]
    readonly_fields = ["day", "status", "started_at", "finished_at", "summary", "attempts"]
    inlines = [RunAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
