"""The customer's hosted DNS zones and their records editor (HTMX; works without it).

The editor shows one row per record and a few blank rows to add; saving sends every row
to ``dns.services.set_records`` — the zone's whole set, checked together (CNAME
exclusivity, one TTL per RRset) — and shows a refusal next to the row it concerns,
nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kyklos.dns import selectors as dns_selectors
from kyklos.dns import services as dns
from kyklos.portal.views import _is_htmx, customer_view

BLANK_ROWS = 3
MAX_ROWS = 600


@require_GET
@customer_view
def zone_list(request, customer):
    return render(
        request,
        "portal/dns_zones.html",
        {"customer": customer, "zones": dns_selectors.zones_of(customer.pk)},
    )


def _zone(customer, name: str):
    zone = dns_selectors.zones_of(customer.pk).filter(name=name.lower()).first()
    if zone is None:
        raise Http404
    return zone


def _rows_of(zone) -> list[dict]:
    return [
        {"name": _relative(s.name, zone.name), "type": s.type, "ttl": s.ttl, "content": value}
        for s in dns_selectors.editable_records(zone)
        for value in s.records
    ]


def _relative(name: str, zone: str) -> str:
    return "@" if name == zone else name.removesuffix("." + zone)


def _posted_rows(post) -> list[dict]:
    try:
        count = min(int(post.get("rows", 0)), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for i in range(count):
        rows.append(
            {
                "name": post.get(f"name-{i}", "").strip(),
                "type": post.get(f"type-{i}", "").strip().upper(),
                "ttl": post.get(f"ttl-{i}", "").strip(),
                "content": post.get(f"content-{i}", "").strip(),
                "delete": post.get(f"delete-{i}") == "on",
            }
        )
    return rows


def _editor(request, customer, zone, rows, *, errors=None, status=200, saved=False):
    blank = {"name": "", "type": "A", "ttl": 3600, "content": "", "delete": False}
    shown = [*rows, *[dict(blank) for _ in range(BLANK_ROWS)]]
    for index, row in enumerate(shown):
        row["index"] = index
        row["errors"] = (errors or {}).get(index, [])
    context = {
        "customer": customer,
        "zone": zone,
        "rows": shown,
        "row_count": len(shown),
        "types": dns_selectors.EDITABLE,
        "has_errors": bool(errors),
        "saved": saved,
        "nameservers": [
            s for s in dns_selectors.records(zone) if s.type == "NS" and s.name == zone.name
        ],
    }
    template = "portal/_dns_records.html" if _is_htmx(request) else "portal/dns_zone.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@customer_view
def zone_records(request, customer, name: str):
    zone = _zone(customer, name)
    if request.method == "GET":
        return _editor(request, customer, zone, _rows_of(zone))
    posted = _posted_rows(request.POST)
    kept = [(i, r) for i, r in enumerate(posted) if not r["delete"] and (r["name"] or r["content"])]
    try:
        dns.set_records(
            zone,
            [
                {
                    "name": r["name"] or "@",
                    "type": r["type"],
                    "ttl": r["ttl"],
                    "content": r["content"],
                }
                for _i, r in kept
            ],
            actor=request.user,
        )
    except dns.RecordErrors as refused:
        errors = {kept[i][0]: messages_ for i, messages_ in refused.rows.items()}
        shown = [r for r in posted if r["name"] or r["content"]]
        # Re-index the errors onto the rows shown again (blank rows dropped).
        positions = {id(r): n for n, r in enumerate(shown)}
        errors = {
            positions[id(posted[i])]: m for i, m in errors.items() if id(posted[i]) in positions
        }
        return _editor(request, customer, zone, shown, errors=errors, status=400)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("portal:dns_zone", name=zone.name)
    zone.refresh_from_db()
    if _is_htmx(request):
        return _editor(request, customer, zone, _rows_of(zone), saved=True)
    messages.success(request, _("The records are saved and being published."))
    return redirect("portal:dns_zone", name=zone.name)
