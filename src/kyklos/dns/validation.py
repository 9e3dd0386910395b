"""Checking records with dnspython: names inside the zone, the rdata of each type, TTL
bounds, one TTL per RRset and CNAME exclusivity (RFC 1034 §3.6.2, RFC 2181 §10.1).

Input rows are ``{"name", "type", "ttl", "records": [content…]}`` (an RRset) or ``{"name",
"type", "ttl", "content"}`` (one record); names are relative (``www``, ``@``) or absolute
(``www.example.com.``). The result is one :class:`RRset` per name and type, in PowerDNS's
presentation; every problem is reported against its row index."""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from django.utils.translation import gettext as _

#: The types a customer may edit. SOA is the provider's; NS below the apex delegates.
EDITABLE_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT")
MIN_TTL = 60
MAX_TTL = 604800
MAX_RECORDS = 500


@dataclass
class RRset:
    name: str  # absolute, lower case, without the final dot
    type: str
    ttl: int
    records: list[str] = field(default_factory=list)

    def as_pdns(self) -> dict:
        return {
            "name": self.name + ".",
            "type": self.type,
            "ttl": self.ttl,
            "changetype": "REPLACE",
            "records": [{"content": c, "disabled": False} for c in self.records],
        }


def zone_name(text: str) -> str:
    """A zone's name checked and normalised (lower case, no final dot); raises ValueError."""
    text = (text or "").strip().lower().rstrip(".")
    try:
        name = dns.name.from_text(text)
    except dns.exception.DNSException as error:
        raise ValueError(
            _("%(name)s is not a domain name: %(error)s") % {"name": text, "error": error}
        ) from None
    labels = [label.decode() for label in name.labels if label]
    if len(labels) < 2 or not all(_hostname_label(label) for label in labels):
        raise ValueError(
            _("%(name)s is not a domain name that can be hosted.") % {"name": text or "''"}
        )
    return ".".join(labels)


def _hostname_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and all(c.isalnum() or c == "-" for c in label)
        and label.isascii()
        and not label.startswith("-")
        and not label.endswith("-")
    )


def absolute(name: str, zone: str) -> str:
    """``www`` / ``@`` / ``www.example.com.`` → ``www.example.com`` inside ``zone``;
    raises ValueError when the name is not inside it."""
    text = (name or "").strip().lower()
    origin = dns.name.from_text(zone)
    try:
        parsed = origin if text in ("", "@") else dns.name.from_text(text, origin=origin)
    except dns.exception.DNSException as error:
        raise ValueError(
            _("%(name)s is not a valid name: %(error)s") % {"name": text, "error": error}
        ) from None
    if not parsed.is_subdomain(origin):
        raise ValueError(
            _("%(name)s is not inside the zone %(zone)s.") % {"name": text, "zone": zone}
        )
    return parsed.to_text().rstrip(".")


def content(rtype: str, text: str, zone: str) -> str:
    """The record's data checked by dnspython for its type and written as PowerDNS reads it."""
    text = (text or "").strip()
    if not text:
        raise ValueError(_("The record's value is empty."))
    if rtype == "TXT" and not text.startswith('"'):
        # A value typed as plain text is one string (split every 255 bytes).
        raw = text.replace("\\", "\\\\").replace('"', '\\"')
        text = " ".join(f'"{raw[i : i + 255]}"' for i in range(0, len(raw), 255))
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.from_text(rtype),
            text,
            origin=dns.name.from_text(zone),
            relativize=False,
        )
    except (dns.exception.DNSException, ValueError) as error:
        raise ValueError(
            _("%(value)s is not a valid %(type)s value: %(error)s")
            % {"value": text[:100], "type": rtype, "error": error}
        ) from None
    return rdata.to_text()


def clean(rows: list[dict], zone: str) -> tuple[list[RRset], dict[int, list[str]]]:
    """The rows as RRsets, and the errors per row index (empty when all are good)."""
    errors: dict[int, list[str]] = {}
    sets: dict[tuple[str, str], RRset] = {}
    origin_of: dict[tuple[str, str], int] = {}
    total = 0

    def refuse(index: int, message: str) -> None:
        errors.setdefault(index, []).append(message)

    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            refuse(index, _("A record is an object with name, type, ttl and value."))
            continue
        rtype = str(row.get("type") or "").strip().upper()
        if rtype not in EDITABLE_TYPES:
            refuse(
                index,
                _("The type %(type)s cannot be edited; use one of %(types)s.")
                % {"type": rtype or "''", "types": ", ".join(EDITABLE_TYPES)},
            )
            continue
        try:
            name = absolute(str(row.get("name") or ""), zone)
        except ValueError as error:
            refuse(index, str(error))
            continue
        try:
            ttl = int(row.get("ttl") if row.get("ttl") not in (None, "") else 3600)
        except (TypeError, ValueError):
            refuse(index, _("The TTL is a whole number of seconds."))
            continue
        if not MIN_TTL <= ttl <= MAX_TTL:
            refuse(
                index,
                _("The TTL must be between %(min)d and %(max)d seconds.")
                % {"min": MIN_TTL, "max": MAX_TTL},
            )
            continue
        values = row.get("records") if "records" in row else [row.get("content")]
        if not isinstance(values, list) or not values:
            refuse(index, _("Give at least one value."))
            continue
        if rtype == "NS" and name == zone:
            refuse(index, _("The zone's own name servers are set by the provider."))
            continue
        if rtype == "CNAME" and name == zone:
            refuse(index, _("The zone's apex cannot be a CNAME (it holds the SOA and NS)."))
            continue
        key = (name, rtype)
        rrset = sets.get(key)
        if rrset is None:
            rrset = sets[key] = RRset(name, rtype, ttl)
            origin_of[key] = index
        elif rrset.ttl != ttl:
            refuse(
                index,
                _("All %(type)s records of %(name)s have one TTL (%(ttl)d).")
                % {"type": rtype, "name": name, "ttl": rrset.ttl},
            )
            continue
        for value in values:
            try:
                text = content(rtype, str(value if value is not None else ""), zone)
            except ValueError as error:
                refuse(index, str(error))
                continue
            if text in rrset.records:
                refuse(index, _("This record is given twice."))
                continue
            rrset.records.append(text)
            total += 1
    # CNAME exclusivity: a name with a CNAME has no other data, and one CNAME only.
    for (name, rtype), rrset in sets.items():
        if rtype == "CNAME":
            others = [t for (n, t) in sets if n == name and t != "CNAME"]
            if others:
                refuse(
                    origin_of[(name, rtype)],
                    _("%(name)s has a CNAME, so it cannot also have %(types)s records.")
                    % {"name": name, "types": ", ".join(sorted(others))},
                )
            if len(rrset.records) > 1:
                refuse(origin_of[(name, rtype)], _("A name has at most one CNAME."))
    if total > MAX_RECORDS:
        refuse(0, _("A zone has at most %(n)d records.") % {"n": MAX_RECORDS})
    return [s for s in sets.values() if s.records], errors
