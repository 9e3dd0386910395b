from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import NoAdd, NoChange, service_action
from kyklos.devices import services
from kyklos.devices.models import ActivityStat, Device, DeviceActivity, Shipment

DONE = _("%(n)d shipments updated.")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("serial", "mac", "customer", "service", "status", "last_activity_at")
    list_filter = ("status",)
    search_fields = ("serial", "mac", "customer__name")
    list_select_related = ("customer", "service")
    readonly_fields = ("registered_at", "last_activity_at")
    raw_id_fields = ("customer", "service")

    def save_model(self, request, obj, form, change):
        if change:
            if "status" in form.changed_data:
                old = Device.objects.get(pk=obj.pk).status
                new, obj.status = obj.status, old
                super().save_model(request, obj, form, change)
                services.set_device_status(obj, new, actor=request.user, reason="admin")
                return
            super().save_model(request, obj, form, change)
            return
        try:
            saved = services.register_device(
                obj.customer,
                serial=obj.serial,
                mac=obj.mac,
                service=obj.service,
                model_name=obj.model_name,
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            raise
        obj.pk = saved.pk


@admin.register(DeviceActivity)
class DeviceActivityAdmin(NoAdd, NoChange, admin.ModelAdmin):
    list_display = ("device", "at", "kind", "ip")
    list_filter = ("kind",)
    list_select_related = ("device",)


@admin.register(ActivityStat)
class ActivityStatAdmin(NoAdd, NoChange, admin.ModelAdmin):
    list_display = ("day", "kind", "events", "devices")


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "contents",
        "recipient_name",
        "customer",
        "status",
        "carrier",
        "tracking_number",
        "created_at",
    )
    list_filter = ("status", "carrier")
    search_fields = ("recipient_name", "tracking_number", "customer__name")
    raw_id_fields = ("customer", "device")
    readonly_fields = ("status", "created_at", "dispatched_at", "completed_at")
    actions = ["mark_dispatched", "mark_delivered", "mark_returned", "mark_lost"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_complete:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_complete:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.create_shipment(
            obj.customer,
            contents=obj.contents,
            sender_name=obj.sender_name,
            sender_address=obj.sender_address,
            recipient_name=obj.recipient_name,
            recipient_address=obj.recipient_address,
            recipient_phone=obj.recipient_phone,
            device=obj.device,
            actor=request.user,
        )
        obj.pk = saved.pk

    mark_dispatched = service_action(
        _("Mark dispatched"), services.advance_shipment, DONE, to=Shipment.Status.DISPATCHED
    )
    mark_delivered = service_action(
        _("Mark delivered"), services.advance_shipment, DONE, to=Shipment.Status.DELIVERED
    )
    mark_returned = service_action(
        _("Mark returned to sender"), services.advance_shipment, DONE, to=Shipment.Status.RETURNED
    )
    mark_lost = service_action(
        _("Mark lost"), services.advance_shipment, DONE, to=Shipment.Status.LOST
    )
