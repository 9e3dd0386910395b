"""Personal data in devices and shipments (R11)."""

from __future__ import annotations

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.devices.models import Device, DeviceActivity, Shipment

SHIPMENT_HOLD = (
    "Completed shipments are kept unchanged as proof of dispatch and delivery (R11.2) "
    "for the tax period of the sale they belong to."
)


def _devices(subject: Subject):
    if subject.customer_id is None:
        return Device.objects.none()
    return Device.objects.filter(customer_id=subject.customer_id)


def export_devices(subject: Subject):
    for d in _devices(subject).order_by("pk"):
        yield {
            "serial": d.serial,
            "mac": d.mac,
            "model": d.model_name,
            "status": d.status,
            "registered_at": d.registered_at.isoformat(),
            "last_activity_at": d.last_activity_at.isoformat() if d.last_activity_at else None,
        }


def erase_devices(subject: Subject) -> Erased:
    # The box is the provider's hardware: the row stays, unlinked from activity.
    deleted, _ = DeviceActivity.objects.filter(device__in=_devices(subject)).delete()
    updated = _devices(subject).update(last_activity_at=None)
    return Erased(anonymised=updated, deleted=deleted)


def export_activity(subject: Subject):
    rows = DeviceActivity.objects.filter(device__in=_devices(subject)).select_related("device")
    for a in rows.order_by("at"):
        yield {"device": a.device.serial, "at": a.at.isoformat(), "kind": a.kind, "ip": a.ip}


def erase_activity(subject: Subject) -> Erased:
    deleted, _ = DeviceActivity.objects.filter(device__in=_devices(subject)).delete()
    return Erased(deleted=deleted)


def _shipments(subject: Subject):
    if subject.customer_id is None:
        return Shipment.objects.none()
    return Shipment.objects.filter(customer_id=subject.customer_id)


def export_shipments(subject: Subject):
    for s in _shipments(subject).order_by("pk"):
        yield {
            "contents": s.contents,
            "recipient": s.recipient_name,
            "address": s.recipient_address,
            "phone": s.recipient_phone,
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "status": s.status,
            "created_at": s.created_at.isoformat(),
        }


def erase_shipments(subject: Subject) -> Erased:
    open_ = _shipments(subject).exclude(status__in=Shipment.COMPLETE)
    deleted, _ = open_.delete()
    kept = _shipments(subject).count()
    return Erased(deleted=deleted, kept=kept, kept_reason=SHIPMENT_HOLD if kept else "")


def register() -> None:
    personal_data.register(
        Device,
        category="device_activity",
        fields=["serial", "mac"],
        exporter=export_devices,
        eraser=erase_devices,
    )
    personal_data.register(
        DeviceActivity,
        category="device_activity",
        fields=["ip", "at"],
        exporter=export_activity,
        eraser=erase_activity,
    )
    personal_data.register(
        Shipment,
        category="shipments",
        fields=["recipient_name", "recipient_address", "recipient_phone"],
        exporter=export_shipments,
        eraser=erase_shipments,
        legal_hold=SHIPMENT_HOLD,
    )
