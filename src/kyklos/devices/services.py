"""Set-top boxes and shipments (R11): registration, activity intake, shipment states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.devices.models import Device, DeviceActivity, Shipment

_MAC = re.compile(r"^[0-9A-F]{12}$")
ACTIVITY_KINDS = frozenset({"heartbeat", "login", "playback", "error", "update"})

#: Shipment states and where each may go next (R11.2).
SHIPMENT_FLOW: dict[str, frozenset[str]] = {
    Shipment.Status.DRAFT: frozenset({Shipment.Status.DISPATCHED}),
    Shipment.Status.DISPATCHED: frozenset({Shipment.Status.IN_TRANSIT, *Shipment.COMPLETE}),
    Shipment.Status.IN_TRANSIT: frozenset(Shipment.COMPLETE),
}


def normalise_mac(value: str) -> str:
    digits = re.sub(r"[\s:.\-]", "", value or "").upper()
    if not _MAC.match(digits):
        raise ValidationError({"mac": _("Enter a MAC address of 12 hexadecimal digits.")})
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@transaction.atomic
def register_device(customer, *, serial: str, mac: str, service=None, model_name="", actor=None):
    serial = (serial or "").strip()
    if not serial:
        raise ValidationError({"serial": _("Enter the box's serial number.")})
    mac = normalise_mac(mac)
    if service is not None and service.customer_id != customer.pk:
        raise ValidationError({"service": _("That subscription belongs to another customer.")})
    if Device.objects.filter(serial=serial).exists():
        raise ValidationError({"serial": _("A box with this serial number is registered.")})
    if Device.objects.filter(mac=mac).exists():
        raise ValidationError({"mac": _("A box with this MAC address is registered.")})
    try:
        with transaction.atomic():
            device = Device.objects.create(
                customer=customer,
                service=service,
                serial=serial,
                mac=mac,
                model_name=model_name.strip(),
                registered_at=clock.now(),
            )
    except IntegrityError as exc:  # registered concurrently
        raise ValidationError(_("This box is already registered.")) from exc
    log_action(device, "devices.device.registered", actor=actor, data={"serial": serial})
    return device


def set_device_status(device: Device, status: str, *, actor, reason: str = "") -> Device:
    if status not in Device.Status.values:
        raise ValidationError({"status": _("Unknown device status %(s)s.") % {"s": status}})
    if status == device.status:
        return device
    old = device.status
    Device.objects.filter(pk=device.pk).update(status=status)
    device.status = status
    log_action(
        device,
        "devices.device.status",
        actor=actor,
        data={"from": old, "to": status, "reason": reason},
    )
    return device


@dataclass(frozen=True)
class Report:
    mac: str
    kind: str
    at: datetime
    ip: str | None = None


@transaction.atomic
def record_activity(reports: list[Report]) -> int:
    """Store a batch of activity reports from the boxes' platform: one lookup, one
    INSERT, one UPDATE of ``last_activity_at`` for the whole batch. Reports from unknown
    boxes or of unknown kinds are refused as a whole, naming them."""
    macs = {normalise_mac(r.mac) for r in reports}
    known = dict(Device.objects.filter(mac__in=macs).values_list("mac", "pk"))
    unknown = sorted(macs - known.keys())
    bad_kinds = sorted({r.kind for r in reports} - ACTIVITY_KINDS)
    if unknown or bad_kinds:
        problems = []
        if unknown:
            problems.append(_("unknown boxes: %(macs)s") % {"macs": ", ".join(unknown)})
        if bad_kinds:
            problems.append(_("unknown kinds: %(kinds)s") % {"kinds": ", ".join(bad_kinds)})
        raise ValidationError(_("Nothing was recorded; %(p)s.") % {"p": "; ".join(problems)})
    DeviceActivity.objects.bulk_create(
        [
            DeviceActivity(device_id=known[normalise_mac(r.mac)], at=r.at, kind=r.kind, ip=r.ip)
            for r in reports
        ],
        batch_size=2000,
    )
    latest = (
        DeviceActivity.objects.filter(device=OuterRef("pk"))
        .values("device")
        .annotate(last=Max("at"))
        .values("last")
    )
    Device.objects.filter(pk__in=known.values()).update(last_activity_at=Subquery(latest))
    return len(reports)


def create_shipment(
    customer,
    *,
    contents: str,
    sender_name: str,
    sender_address: str,
    recipient_name: str = "",
    recipient_address: str = "",
    recipient_phone: str = "",
    device=None,
    actor=None,
) -> Shipment:
    """A draft shipment; the recipient defaults to the customer's particulars."""
    address = ", ".join(
        p
        for p in (
            customer.address,
            f"{customer.postal_code} {customer.city}".strip(),
            customer.country,
        )
        if p
    )
    values = {
        "contents": contents.strip(),
        "sender_name": sender_name.strip(),
        "sender_address": sender_address.strip(),
        "recipient_name": (recipient_name or customer.display_name).strip(),
        "recipient_address": (recipient_address or address).strip(),
    }
    missing = {k: _("This field is required.") for k, v in values.items() if not v}
    if missing:
        raise ValidationError(missing)
    if device is not None and device.customer_id != customer.pk:
        raise ValidationError({"device": _("That box belongs to another customer.")})
    shipment = Shipment.objects.create(
        customer=customer,
        device=device,
        recipient_phone=recipient_phone or customer.phone,
        created_at=clock.now(),
        **values,
    )
    log_action(shipment, "devices.shipment.created", actor=actor)
    return shipment


@transaction.atomic
def advance_shipment(
    shipment: Shipment, to: str, *, actor, carrier: str = "", tracking_number: str = ""
) -> Shipment:
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    allowed = SHIPMENT_FLOW.get(shipment.status, frozenset())
    if to not in allowed:
        raise ValidationError(
            _("A shipment that is %(now)s cannot become %(to)s.")
            % {"now": shipment.get_status_display(), "to": to}
        )
    old = shipment.status
    now = clock.now()
    if to == Shipment.Status.DISPATCHED:
        if not (carrier or shipment.carrier) or not (tracking_number or shipment.tracking_number):
            raise ValidationError(_("A dispatched shipment needs its carrier and tracking number."))
        shipment.carrier = carrier or shipment.carrier
        shipment.tracking_number = tracking_number or shipment.tracking_number
        shipment.dispatched_at = now
    if to in Shipment.COMPLETE:
        shipment.completed_at = now
    shipment.status = to
    shipment.save()
    log_action(shipment, "devices.shipment.status", actor=actor, data={"from": old, "to": to})
    return shipment
