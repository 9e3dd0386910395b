"""DNS hosting's personal data: a zone's name and records may name a person (a domain
such as ``eleni-papadopoulou.gr``, a TXT record, a mail host). They are customer records:
exported with the customer, and on erasure the zones no longer hosted are deleted with
their records; a zone still hosted is kept while its service runs (the lifecycle's erasure
check already refuses to erase a customer with running services)."""

from __future__ import annotations

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.dns.models import PushAttempt, Record, Zone, ZoneTemplate

KEPT = "A zone still hosted is kept while the service it belongs to runs."


def _zones(subject: Subject):
    if subject.customer_id is None:
        return Zone.objects.none()
    return Zone.objects.filter(customer_id=subject.customer_id)


def export(subject: Subject):
    for zone in _zones(subject).order_by("name"):
        yield {
            "zone": zone.name,
            "hosted": zone.wanted == Zone.Wanted.PRESENT,
            "created_at": zone.created_at.isoformat(),
            "records": [str(r) for r in zone.records.order_by("name", "type", "content")],
        }


def erase(subject: Subject) -> Erased:
    zones = _zones(subject)
    gone = zones.filter(wanted=Zone.Wanted.REMOVED)
    deleted = Record.objects.filter(zone__in=gone).count() + gone.count()
    gone.delete()
    kept = zones.count()
    return Erased(deleted=deleted, kept=kept, kept_reason=KEPT if kept else "")


def register() -> None:
    personal_data.register(
        Zone, category="customer_records", fields=["name"], exporter=export, eraser=erase
    )
    personal_data.declare_exempt(
        Record, "Part of its zone (dns.Zone): exported and erased with it."
    )
    personal_data.declare_exempt(
        ZoneTemplate, "The provider's template for new zones; it names no person."
    )
    personal_data.declare_exempt(
        PushAttempt, "'sender' is a job's claim token; the exchange is deleted with its zone."
    )
