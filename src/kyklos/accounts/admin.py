"""Staff see the security log and the tracked sessions (DPO, admin); both are read-only
here: rows are written by the login code and purged by the retention engine."""

from django.contrib import admin

from kyklos.accounts.models import Contact, SecurityEvent, UserSession
from kyklos.core.admin_tools import ReadOnlyAdmin


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "username", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username", "=ip_address"]
    date_hierarchy = "at"
    fields = readonly_fields = ["at", "kind", "user", "username", "ip_address", "user_agent"]


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "last_seen_at", "ended_at", "end_reason", "ip_address"]
    list_filter = ["end_reason"]
    list_select_related = ["user"]
    search_fields = ["user__username", "=ip_address"]
    fields = readonly_fields = [
        "user",
        "created_at",
        "last_seen_at",
        "ended_at",
        "end_reason",
        "ip_address",
        "user_agent",
        "second_factor",
    ]


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    """The contact logins of customer accounts (R1.2); their owners manage them in the
    portal."""

    list_display = ["customer", "name", "email", "scope", "invited_at", "accepted_at"]
    list_filter = ["scope"]
    list_select_related = ["customer"]
    search_fields = ["name", "email", "customer__name", "customer__company_name"]
    fields = readonly_fields = [
        "customer",
        "user",
        "name",
        "email",
        "scope",
        "invited_by",
        "invited_at",
        "expires_at",
        "accepted_at",
    ]
