"""Reading hosted DNS zones (docs/dns.md)."""

from __future__ import annotations

from django.db.models import QuerySet

from kyklos.dns.models import Record, Zone
from kyklos.dns.validation import EDITABLE_TYPES, RRset

#: The record types a customer edits (the SOA and the apex NS are the provider's).
EDITABLE = EDITABLE_TYPES


def zone_for(name: str) -> Zone | None:
    """The hosted zone (wanted present) that holds ``name`` — the zone itself or the
    closest enclosing one — or None."""
    labels = name.strip().lower().rstrip(".").split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    zones = {
        z.name: z for z in Zone.objects.filter(name__in=candidates, wanted=Zone.Wanted.PRESENT)
    }
    for candidate in candidates:
        if candidate in zones:
            return zones[candidate]
    return None


def records(zone: Zone) -> list[RRset]:
    """The zone's records as RRsets (name, type, TTL, values), ordered by name and type;
    the apex NS and the ACME challenges included."""
    sets: dict[tuple[str, str], RRset] = {}
    for record in Record.objects.filter(zone=zone).order_by("name", "type", "content"):
        key = (record.name, record.type)
        if key not in sets:
            sets[key] = RRset(record.name, record.type, record.ttl)
        sets[key].records.append(record.content)
    return list(sets.values())


def editable_records(zone: Zone) -> list[RRset]:
    """The RRsets the customer edits (without the apex NS and the ACME challenges)."""
    return [
        s
        for s in records(zone)
        if not (s.name == zone.name and s.type == "NS")
        and not (s.type == "TXT" and s.name.startswith("_acme-challenge."))
    ]


def zones_of(customer_id: int) -> QuerySet[Zone]:
    return Zone.objects.filter(customer_id=customer_id, wanted=Zone.Wanted.PRESENT).order_by("name")


def failed_zones() -> QuerySet[Zone]:
    return Zone.objects.filter(sync=Zone.Sync.FAILED).order_by("name")
