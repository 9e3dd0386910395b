"""Hosted DNS zones: read and replace a zone's records (docs/dns.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from kyklos.api.auth import needs
from kyklos.api.schemas import ERRORS_WITH_404, Input, UtcDatetime
from kyklos.dns import selectors, services
from kyklos.dns.models import Zone

router = Router(tags=["dns"])


class RRsetIO(Schema):
    name: str = Field(
        max_length=253,
        description="Relative to the zone (“www”, “@” for the apex) or absolute with a final dot.",
    )
    type: str = Field(max_length=10, description="A, AAAA, CAA, CNAME, MX, NS, SRV or TXT")
    ttl: int = Field(3600, ge=60, le=604800)
    records: list[str] = Field(
        min_length=1, max_length=100, description="The values, e.g. “10 mail.example.com.”."
    )


class RecordsIn(Input):
    rrsets: list[RRsetIO] = Field(
        max_length=500,
        description="Every record of the zone the customer edits; what is left out is deleted.",
    )


class ZoneRecordsOut(Schema):
    zone: str
    customer: int
    publication: str = Field(description="pending, pushing, synced, retry or failed")
    publication_error: str
    updated_at: UtcDatetime
    nameservers: list[str]
    rrsets: list[RRsetIO]


def _zone(name: str) -> Zone:
    zone = selectors.zone_for(name)
    if zone is None or zone.name != name.strip().lower().rstrip("."):
        raise HttpError(404, _("No zone %(name)s is hosted here.") % {"name": name[:253]})
    return zone


def _out(zone: Zone) -> dict:
    zone.refresh_from_db()
    return {
        "zone": zone.name,
        "customer": zone.customer_id,
        "publication": zone.sync,
        "publication_error": zone.error,
        "updated_at": zone.updated_at,
        "nameservers": [
            v
            for s in selectors.records(zone)
            if s.type == "NS" and s.name == zone.name
            for v in s.records
        ],
        "rrsets": [
            {"name": s.name + ".", "type": s.type, "ttl": s.ttl, "records": s.records}
            for s in selectors.editable_records(zone)
        ],
    }


@router.get(
    "/zones/{name}/records",
    response={200: ZoneRecordsOut, **ERRORS_WITH_404},
    auth=needs("dns", "view"),
)
def zone_records(request, name: str):
    """The zone's records (without the SOA, the apex NS and ACME challenges) and how far
    their publication to the name servers got."""
    return _out(_zone(name))


@router.put(
    "/zones/{name}/records",
    response={200: ZoneRecordsOut, **ERRORS_WITH_404},
    auth=needs("dns", "change"),
)
def replace_zone_records(request, name: str, payload: RecordsIn):
    """Replace the zone's records, checked together (types, values, TTLs, CNAME alone,
    names inside the zone); a refusal names the record and writes nothing. Published to
    PowerDNS after the answer."""
    zone = _zone(name)
    services.set_records(zone, [r.model_dump() for r in payload.rrsets], actor=request.auth)
    return _out(zone)
