from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import ReadOnlyAdmin
from kyklos.notifications import services
from kyklos.notifications.models import Outbox


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    """The outbox, read-only: notices are written by the events they announce."""

    list_display = [
        "id",
        "event",
        "to_email",
        "language",
        "for_date",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["to_email"]
    show_full_result_count = False
    actions = ["send_now"]

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_outbox")

    @admin.action(description=_("Send now"), permissions=["send"])
    def send_now(self, request, queryset):
        result = services.send_now(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            _("Sent %(sent)d, failed %(failed)d.") % {"sent": result.sent, "failed": result.failed},
            messages.WARNING if result.failed else messages.SUCCESS,
        )
