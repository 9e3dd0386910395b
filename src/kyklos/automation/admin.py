from django.contrib import admin

from kyklos.automation.models import AutomationRun, RunAttempt
from kyklos.core.admin_tools import NoAdd, NoDelete, ReadOnlyInline


class RunAttemptInline(ReadOnlyInline):
    model = RunAttempt
    fields = ["number", "status", "started_at", "finished_at", "summary", "error"]


@admin.register(AutomationRun)
class AutomationRunAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    list_display = ["day", "status", "started_at", "finished_at", "attempts"]
    list_filter = ["status"]
    readonly_fields = ["day", "status", "started_at", "finished_at", "summary", "attempts"]
    inlines = [RunAttemptInline]
