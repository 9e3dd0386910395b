"""Staff admin for the desk's data: departments, calendars, SLA targets, canned replies,
servers and announcements. Tickets are worked in the staff desk (/desk/); the admin shows
them read-only, since every change of a ticket goes through kyklos.support.services."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import ReadOnlyAdmin, ReadOnlyInline
from kyklos.support.models import (
    Announcement,
    BusinessCalendar,
    CannedReply,
    ClosedDay,
    Department,
    Message,
    Server,
    SlaEvent,
    SlaTarget,
    Ticket,
)


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("country", "time_zone", "opens_at", "closes_at", "workdays")
    inlines = [ClosedDayInline]


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "first_response",
        "first_response_unit",
        "resolution",
        "resolution_unit",
        "warn_at_percent",
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "lead", "calendar", "is_active", "position")
    list_editable = ("is_active", "position")


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "department", "language", "is_active")
    list_filter = ("department", "language", "is_active")
    search_fields = ("title", "body")


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    autocomplete_fields = ()
    raw_id_fields = ("services",)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "downtime_minutes", "sent_at", "recipients")
    readonly_fields = ("created_at", "sent_at", "recipients")
    filter_horizontal = ("servers", "products")
    actions = ["send"]

    @admin.action(description=_("E-mail to the affected customers"))
    def send(self, request, queryset):
        from kyklos.support.services import announce

        for announcement in queryset:
            try:
                count = announce(announcement, actor=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"{announcement}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("%(title)s: %(count)d customers.")
                    % {"title": announcement.title, "count": count},
                )

    def save_model(self, request, obj, form, change):
        if obj.created_at is None:
            from kyklos.core import clock

            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "kind", "from_staff", "author", "sender_email", "body")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "subject", "customer", "department", "priority", "status")
    list_filter = ("status", "priority", "department")
    search_fields = ("number", "subject", "requester_email")
    inlines = [MessageInline]


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "target", "kind", "due_at", "at", "notified")
    list_filter = ("target", "kind")
