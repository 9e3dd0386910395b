"""Hosted DNS zones (docs/dns.md, decision 0029).

Kyklos holds each zone and its records; PowerDNS serves them. Every change is written
here in one transaction and bumps the zone's ``version``; the push job
(:func:`push_due`, enqueued after the commit) claims the zone, makes PowerDNS match it —
creates the zone, replaces the RRsets that differ with one PATCH and deletes the ones
Kyklos no longer has, or deletes a removed zone — outside any transaction, then records
the attempt. Temporary failures retry with exponential backoff
(``KYKLOS_DNS_PUSH``); a refusal, or too many attempts, fails the zone for staff (admin:
"Publish again"), with PowerDNS's answer kept on every :class:`PushAttempt`.

Published face: :func:`ensure_zone`, :func:`remove_zone`, :func:`set_records`,
:func:`set_challenge` / :func:`clear_challenge` (ACME DNS-01), :func:`push_now`.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action, log_action_rows
from kyklos.core.tasks import enqueue
from kyklos.dns import pdns, validation
from kyklos.dns.models import PushAttempt, Record, Zone, ZoneTemplate

log = logging.getLogger(__name__)
Sync = Zone.Sync
MAX_RAW = 200_000
CHALLENGE = "_acme-challenge"
CHALLENGE_TTL = 60


def option(name: str) -> int:
    return int(settings.KYKLOS_DNS_PUSH[name])


# --- zones ----------------------------------------------------------------------------------


def domain_name(text: str) -> str:
    """A domain name checked and normalised (lower case, no final dot), or a one-line
    ValidationError."""
    try:
        return validation.zone_name(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _apex_ns(zone: str) -> validation.RRset:
    servers = [validation.content("NS", ns, zone) for ns in _nameservers()]
    return validation.RRset(zone, "NS", 3600, servers)


def _nameservers() -> list[str]:
    servers = [s.strip().rstrip(".") + "." for s in settings.KYKLOS_DNS_NAMESERVERS if s.strip()]
    if not servers:
        raise pdns.PdnsConfigError("KYKLOS_DNS_NAMESERVERS is empty: name the zones' name servers.")
    return servers


def soa_content() -> str:
    """The SOA every zone starts with; PowerDNS raises its serial on every change
    (SOA-EDIT-API DEFAULT)."""
    primary = _nameservers()[0]
    hostmaster = settings.KYKLOS_DNS_HOSTMASTER.strip().rstrip(".").replace("@", ".") + "."
    return f"{primary} {hostmaster} 1 10800 3600 604800 3600"


def template_rows(zone: str, template: ZoneTemplate | None = None) -> list[dict]:
    """The default template's rows for ``zone``, placeholders filled."""
    template = template or ZoneTemplate.objects.filter(default=True).first()
    if template is None:
        return []
    values = {
        "zone": zone + ".",
        "web_ipv4": settings.KYKLOS_DNS_WEB_IPV4,
        "mail_host": settings.KYKLOS_DNS_MAIL_HOST.rstrip(".") + ".",
    }
    rows = []
    for row in template.records:
        rows.append({**row, "content": str(row.get("content", "")).format(**values)})
    return rows


def _customer_records(zone: Zone):
    """The records the customer edits: all but the apex NS and the ACME challenges."""
    return zone.records.exclude(
        Q(name=zone.name, type="NS") | Q(type="TXT", name__startswith=CHALLENGE + ".")
    )


def _write(zone: Zone, rrsets: list[validation.RRset]) -> None:
    """Replace the customer's records with ``rrsets``."""
    _customer_records(zone).delete()
    Record.objects.bulk_create(
        Record(zone=zone, name=s.name, type=s.type, ttl=s.ttl, content=c)
        for s in rrsets
        for c in s.records
    )


def _changed(zone: Zone) -> None:
    """Bump the version, mark the zone due, and push it after the commit."""
    Zone.objects.filter(pk=zone.pk).update(
        version=F("version") + 1,
        sync=Sync.PENDING,
        attempts=0,
        next_attempt_at=None,
        updated_at=clock.now(),
        error="",
    )
    from kyklos.dns import tasks

    enqueue(tasks.push_zones, [zone.pk])
    zone.refresh_from_db()


@transaction.atomic
def ensure_zone(name: str, *, customer_id: int, service_id: int | None = None, actor=None) -> Zone:
    """The zone ``name`` hosted for the customer, made from the default template when new
    (SOA and NS from the settings); idempotent. A removed zone of the same customer is
    hosted again with fresh template records; another customer's zone is refused."""
    cleaned = domain_name(name)
    ns = _apex_ns(cleaned)  # refuses a configuration without name servers, before writing
    now = clock.now()
    zone = Zone.objects.select_for_update().filter(name=cleaned).first()
    if zone is not None and zone.customer_id != customer_id:
        raise ValidationError(
            _("The zone %(name)s is hosted for another customer.") % {"name": cleaned}
        )
    if zone is not None and zone.wanted == Zone.Wanted.PRESENT:
        if service_id and zone.service_id != service_id:
            Zone.objects.filter(pk=zone.pk).update(service_id=service_id)
            zone.service_id = service_id
        return zone
    rrsets, errors = validation.clean(template_rows(cleaned), cleaned)
    if errors:
        raise ValidationError(
            _("The zone template is not valid for %(name)s: %(error)s")
            % {"name": cleaned, "error": "; ".join(m for ms in errors.values() for m in ms)}
        )
    if zone is None:
        zone = Zone.objects.create(
            name=cleaned,
            customer_id=customer_id,
            service_id=service_id,
            created_at=now,
            updated_at=now,
        )
    else:
        zone.wanted = Zone.Wanted.PRESENT
        zone.removed_at = None
        zone.service_id = service_id or zone.service_id
        zone.save(update_fields=["wanted", "removed_at", "service"])
        zone.records.all().delete()
    _write(zone, [ns, *rrsets])
    log_action(zone, "dns.zone.created", actor=actor, data={"service": service_id})
    _changed(zone)
    return zone


@transaction.atomic
def remove_zone(name: str, *, actor=None) -> Zone | None:
    """Stop hosting ``name``: the zone is deleted at PowerDNS by the push job; its row and
    records stay for the record. None when no such zone is hosted; idempotent."""
    zone = Zone.objects.select_for_update().filter(name=name.strip().lower().rstrip(".")).first()
    if zone is None or zone.wanted == Zone.Wanted.REMOVED:
        return zone
    zone.wanted = Zone.Wanted.REMOVED
    zone.removed_at = clock.now()
    zone.save(update_fields=["wanted", "removed_at"])
    log_action(zone, "dns.zone.removed", actor=actor)
    _changed(zone)
    return zone


def _editable(zone: Zone) -> Zone:
    row = Zone.objects.select_for_update().get(pk=zone.pk)
    if row.wanted != Zone.Wanted.PRESENT:
        raise ValidationError(_("The zone %(name)s is no longer hosted.") % {"name": row.name})
    return row


class RecordErrors(ValidationError):
    """Refused records: ``rows`` maps each refused row's index to its messages."""

    def __init__(self, rows: dict[int, list[str]]):
        self.rows = rows
        first = min(rows)
        super().__init__(
            _("Record %(n)d: %(error)s") % {"n": first + 1, "error": " ".join(rows[first])}
        )


@transaction.atomic
def set_records(zone: Zone, rrsets: list[dict], *, actor) -> Zone:
    """Replace the zone's records with ``rrsets`` (every editable record: what is not
    given is deleted; the SOA, the apex NS and the ACME challenges stay), checked with
    dnspython; refused input writes nothing (:class:`RecordErrors`, per row). Published
    to PowerDNS with one PATCH after the commit."""
    zone = _editable(zone)
    if not isinstance(rrsets, list):
        raise ValidationError(_("The records are a list."))
    # The ACME challenges are the certificates', not the customer's.
    rows = [r for r in rrsets if not _is_challenge(r, zone.name)]
    cleaned, errors = validation.clean(rows, zone.name)
    if errors:
        raise RecordErrors(errors)
    before = sorted(str(r) for r in _customer_records(zone))
    _write(zone, cleaned)
    if before == sorted(str(r) for r in _customer_records(zone)):
        return zone  # nothing changed: nothing to publish
    log_action(
        zone,
        "dns.records.changed",
        actor=actor,
        data={"records": sum(len(s.records) for s in cleaned)},
    )
    _changed(zone)
    return zone


def _is_challenge(row, zone: str) -> bool:
    if not isinstance(row, dict):
        return False
    try:
        name = validation.absolute(str(row.get("name") or ""), zone)
    except ValueError:
        return False
    return name.startswith(CHALLENGE + ".")


@transaction.atomic
def set_challenge(fqdn: str, values: list[str], *, actor="certificates") -> Zone:
    """Publish the ACME DNS-01 TXT values for ``fqdn`` (``_acme-challenge.<fqdn>``) in the
    hosted zone that holds it; refused when Kyklos does not host the name."""
    from kyklos.dns.selectors import zone_for

    zone = zone_for(fqdn)
    if zone is None:
        raise ValidationError(_("No zone hosted here holds %(name)s.") % {"name": fqdn})
    zone = _editable(zone)
    name = f"{CHALLENGE}.{fqdn.strip().lower().rstrip('.')}"
    zone.records.filter(name=name, type="TXT").delete()
    Record.objects.bulk_create(
        Record(
            zone=zone,
            name=name,
            type="TXT",
            ttl=CHALLENGE_TTL,
            content=validation.content("TXT", v, zone.name),
        )
        for v in dict.fromkeys(values)
    )
    log_action(zone, "dns.challenge.set", actor=actor, data={"name": name})
    _changed(zone)
    return zone


@transaction.atomic
def clear_challenge(fqdn: str, *, actor="certificates") -> Zone | None:
    """Take the ACME TXT records of ``fqdn`` away again (idempotent)."""
    from kyklos.dns.selectors import zone_for

    zone = zone_for(fqdn)
    if zone is None:
        return None
    name = f"{CHALLENGE}.{fqdn.strip().lower().rstrip('.')}"
    deleted, _n = zone.records.filter(name=name, type="TXT").delete()
    if deleted and zone.wanted == Zone.Wanted.PRESENT:
        _changed(zone)
    return zone


@transaction.atomic
def publish_again(zone: Zone, *, actor) -> Zone:
    """Staff put a failed zone back in the queue (its attempts start again)."""
    row = Zone.objects.select_for_update().get(pk=zone.pk)
    if row.sync != Sync.FAILED:
        raise ValidationError(
            _("Only failed zones are published again; this one is %(status)s.")
            % {"status": row.get_sync_display()}
        )
    log_action(row, "dns.zone.republished", actor=actor, data={"previous_error": row.error[:500]})
    _changed(row)
    return row


# --- the push job ---------------------------------------------------------------------------


def _due(now) -> Q:
    stale = now - timedelta(seconds=option("STALE_SECONDS"))
    return (
        Q(sync=Sync.PENDING)
        | Q(sync=Sync.RETRY, next_attempt_at__lte=now)
        | Q(sync=Sync.PUSHING, claimed_at__lt=stale)
    )


def claim(*, zone_ids=None, limit: int = 50) -> tuple[str, list[Zone]]:
    """Take due zones for one sender (``SELECT … FOR UPDATE SKIP LOCKED``)."""
    token = uuid.uuid4().hex
    now = clock.now()
    with transaction.atomic():
        due = Zone.objects.filter(_due(now))
        if zone_ids is not None:
            due = due.filter(pk__in=list(zone_ids))
        picked = list(
            due.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if picked:
            Zone.objects.filter(pk__in=picked).filter(_due(now)).update(
                sync=Sync.PUSHING, claim=token, claimed_at=now, attempts=F("attempts") + 1
            )
    return token, list(Zone.objects.filter(claim=token, sync=Sync.PUSHING).order_by("pk"))


def _desired(zone: Zone) -> dict[tuple[str, str], dict]:
    sets: dict[tuple[str, str], dict] = {}
    for record in zone.records.order_by("name", "type", "content"):
        key = (record.name + ".", record.type)
        entry = sets.setdefault(
            key, {"name": key[0], "type": record.type, "ttl": record.ttl, "records": []}
        )
        entry["records"].append({"content": record.content, "disabled": False})
    return sets


def push(zone: Zone, client: pdns.Client | None = None) -> tuple[str, str]:
    """Make PowerDNS match ``zone``; returns the raw (request, response). Raises
    ``pdns.PdnsError`` / ``PdnsConfigError``."""
    client = client or pdns.Client()
    if zone.wanted == Zone.Wanted.REMOVED:
        return client.delete_zone(zone.name)
    desired = _desired(zone)
    current = client.get_zone(zone.name)
    if current is None:
        soa = {
            "name": zone.name + ".",
            "type": "SOA",
            "ttl": 3600,
            "records": [{"content": soa_content(), "disabled": False}],
        }
        return client.create_zone(zone.name, [soa, *desired.values()])
    have = {}
    for rrset in current.get("rrsets", []):
        if rrset["type"] == "SOA":
            continue
        have[(rrset["name"], rrset["type"])] = {
            "ttl": rrset.get("ttl"),
            "records": sorted(r["content"] for r in rrset.get("records", [])),
        }
    changes = []
    for key, rrset in desired.items():
        wanted = {"ttl": rrset["ttl"], "records": sorted(r["content"] for r in rrset["records"])}
        if have.get(key) != wanted:
            changes.append({**rrset, "changetype": "REPLACE"})
    for name, rtype in have:
        if (name, rtype) not in desired:
            changes.append({"name": name, "type": rtype, "changetype": "DELETE"})
    if not changes:
        return f"GET {zone.name}", "in step: nothing to change"
    return client.patch_rrsets(zone.name, changes)


def _record(zone: Zone, token: str, started, result: str, *, error="", request="", response=""):
    now = clock.now()
    changes: dict = {"claim": ""}
    if result == PushAttempt.Result.DONE:
        changes |= {
            "sync": Sync.SYNCED,
            "pushed_version": zone.version,
            "next_attempt_at": None,
            "error": "",
        }
    elif result == PushAttempt.Result.TEMPORARY and zone.attempts < option("MAX_ATTEMPTS"):
        changes |= {
            "sync": Sync.RETRY,
            "next_attempt_at": now + backoff(zone.attempts),
            "error": error,
        }
    else:
        if result == PushAttempt.Result.TEMPORARY:
            error = _("Gave up after %(n)d attempts: %(error)s") % {
                "n": zone.attempts,
                "error": error,
            }
        changes |= {"sync": Sync.FAILED, "next_attempt_at": None, "error": error}
    with transaction.atomic():
        PushAttempt.objects.create(
            zone=zone,
            number=PushAttempt.objects.filter(zone=zone).count() + 1,
            sender=token,
            started_at=started,
            finished_at=now,
            result=result,
            request=request[:MAX_RAW],
            response=response[:MAX_RAW],
            error=error,
        )
        held = Zone.objects.filter(pk=zone.pk, claim=token)
        if changes["sync"] == Sync.SYNCED:
            # Changed while we pushed: push the newer version too.
            if held.exclude(version=zone.version).update(claim="", sync=Sync.PENDING, attempts=0):
                from kyklos.dns import tasks

                enqueue(tasks.push_zones, [zone.pk])
                return Sync.PENDING
        moved = held.update(**changes)
        if moved and changes["sync"] == Sync.FAILED:
            log_action(zone, "dns.zone.push_failed", actor="dns", data={"error": error[:500]})
    return changes["sync"] if moved else "superseded"


def backoff(attempts: int) -> timedelta:
    seconds = option("BACKOFF_SECONDS") * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, option("MAX_BACKOFF_SECONDS")))


def _attempt(zone: Zone, token: str, client) -> str:
    started = clock.now()
    try:
        request, response = push(zone, client)
    except pdns.PdnsRefused as error:
        return _record(
            zone,
            token,
            started,
            PushAttempt.Result.PERMANENT,
            error=str(error),
            request=error.request,
            response=error.response,
        )
    except pdns.PdnsError as error:
        return _record(
            zone,
            token,
            started,
            PushAttempt.Result.TEMPORARY,
            error=str(error),
            request=error.request,
            response=error.response,
        )
    except pdns.PdnsConfigError as error:  # the settings: fixing them is a deploy, so retry
        log.warning("dns: zone %s not pushed: %s", zone.name, error)
        return _record(zone, token, started, PushAttempt.Result.TEMPORARY, error=str(error))
    except Exception as error:  # a bug: a deploy fixes it, so retry
        log.exception("dns: pushing zone %s failed unexpectedly", zone.name)
        return _record(
            zone,
            token,
            started,
            PushAttempt.Result.TEMPORARY,
            error=f"{type(error).__name__}: {error}",
        )
    return _record(
        zone, token, started, PushAttempt.Result.DONE, request=request, response=response
    )


def push_due(*, zone_ids=None, limit: int | None = None) -> Counter:
    """Push every due zone (of ``zone_ids`` only, when given); the count per new state.
    Call it outside any transaction."""
    ids = None if zone_ids is None else list(zone_ids)
    counts: Counter = Counter()
    tried = 0
    client = None
    while limit is None or tried < limit:
        token, held = claim(zone_ids=ids, limit=50 if limit is None else min(50, limit - tried))
        if not held:
            break
        if client is None:
            try:
                client = pdns.Client()
            except pdns.PdnsConfigError:
                client = None  # each attempt records the configuration error
        for zone in held:
            counts[_attempt(zone, token, client)] += 1
        tried += len(held)
    return counts


def push_now(zone: Zone) -> Zone:
    """Push ``zone`` now (for the ACME job, which needs the challenge served before it
    answers); returns the zone as it then stands. Call it outside any transaction."""
    push_due(zone_ids=[zone.pk])
    zone.refresh_from_db()
    return zone


# --- hosting services -----------------------------------------------------------------------

#: Product types whose service's label is a domain hosted on our name servers.
HOSTING_TYPES = ("shared_hosting", "email_hosting")


def hosting_changed(ids: list[int], to: str, *, actor=None) -> dict[str, int]:
    """``core.hooks.services_changed``: a hosting service that becomes active gets its
    domain's zone from the template; one that is terminated or cancelled loses the zones
    made for it. Inside the lifecycle's transaction; the pushes run after its commit.
    Labels that are not domain names are skipped (a plan label)."""
    from kyklos.lifecycle.models import Service

    counts = Counter()
    if to == "active":
        rows = Service.objects.filter(pk__in=ids, product__type__in=HOSTING_TYPES).values_list(
            "pk", "customer_id", "label"
        )
        for pk, customer_id, label in rows:
            try:
                validation.zone_name(label)
            except ValueError:
                continue
            existing = Zone.objects.filter(name=validation.zone_name(label)).first()
            if existing is not None and existing.customer_id != customer_id:
                log.warning("dns: %s is hosted for another customer; service %s skipped", label, pk)
                continue
            ensure_zone(label, customer_id=customer_id, service_id=pk, actor=actor)
            counts["dns_zones_hosted"] += 1
    elif to in ("terminated", "cancelled", "fraud"):
        counts["dns_zones_removed"] = _remove_zones_of(ids, actor=actor)
    return dict(counts)


@transaction.atomic
def _remove_zones_of(service_ids: list[int], *, actor=None) -> int:
    """:func:`remove_zone` for every hosted zone of ``service_ids`` at once: one update,
    one audit insert and one push job, whatever the number (a daily run's terminations)."""
    zones = list(
        Zone.objects.select_for_update()
        .filter(service_id__in=service_ids, wanted=Zone.Wanted.PRESENT)
        .values_list("pk", "customer_id")
    )
    if not zones:
        return 0
    pks = [pk for pk, _customer in zones]
    now = clock.now()
    Zone.objects.filter(pk__in=pks).update(
        wanted=Zone.Wanted.REMOVED,
        removed_at=now,
        version=F("version") + 1,
        sync=Sync.PENDING,
        attempts=0,
        next_attempt_at=None,
        updated_at=now,
        error="",
    )
    log_action_rows(
        ((Zone._meta.label_lower, pk, customer, None) for pk, customer in zones),
        "dns.zone.removed",
        actor=actor,
    )
    from kyklos.dns import tasks

    enqueue(tasks.push_zones, pks)
    return len(pks)
