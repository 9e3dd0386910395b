"""The record of processing (art. 30) and the privacy notice generated from it (R9.1).

A notice version is a frozen snapshot of the record, the controller, the DPO/contact and
the supervisory authority (R9.7). Any change of the record publishes a new version once the
change commits (:func:`publish_if_changed`); staff mark a version significant and notify
the customers (R12.3), set-based through the outbox.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kyklos.core import clock, messaging
from kyklos.core.audit import log_action
from kyklos.core.personal_data import Contact, personal_data
from kyklos.privacy.models import (
    DataCategory,
    LegalBasis,
    NoticeVersion,
    ProcessingActivity,
    Recipient,
    localized,
)
from kyklos.privacy.retention import describe_rule

NOTICE_CHANGED = "privacy_notice_changed"

#: National supervisory authorities (art. 77, R9.7) by the provider's country.
AUTHORITIES = {
    "GR": {
        "names": {
            "el": "Αρχή Προστασίας Δεδομένων Προσωπικού Χαρακτήρα",
            "en": "Hellenic Data Protection Authority",
            "pl": "Grecki Urząd Ochrony Danych Osobowych (HDPA)",
        },
        "address": "Kifisias 1-3, 115 23 Athens, Greece",
        "url": "https://www.dpa.gr",
    },
    "CY": {
        "names": {
            "el": "Γραφείο Επιτρόπου Προστασίας Δεδομένων Προσωπικού Χαρακτήρα",
            "en": "Office of the Commissioner for Personal Data Protection (Cyprus)",
            "pl": "Biuro Komisarza ds. Ochrony Danych Osobowych (Cypr)",
        },
        "address": "Iasonos 1, 1082 Nicosia, Cyprus",
        "url": "https://www.dataprotection.gov.cy",
    },
    "PL": {
        "names": {
            "el": "Πρόεδρος της Υπηρεσίας Προστασίας Δεδομένων Προσωπικού Χαρακτήρα (UODO)",
            "en": "President of the Personal Data Protection Office (UODO, Poland)",
            "pl": "Prezes Urzędu Ochrony Danych Osobowych",
        },
        "address": "ul. Stawki 2, 00-193 Warszawa, Poland",
        "url": "https://uodo.gov.pl",
    },
}


def authority() -> dict:
    configured = getattr(settings, "KYKLOS_SUPERVISORY_AUTHORITY", None) or {}
    if configured.get("name"):
        name = configured["name"]
        return {
            "names": {"el": name, "en": name, "pl": name},
            "address": configured.get("address", ""),
            "url": configured.get("url", ""),
        }
    return AUTHORITIES.get(settings.KYKLOS_COUNTRY, AUTHORITIES["GR"])


def snapshot() -> dict:
    """The record as it stands, with everything the notice shows (5 queries)."""
    categories = {
        c.code: {
            "names": c.names,
            "months": getattr(getattr(c, "rule", None), "months", None),
            "anchor": getattr(getattr(c, "rule", None), "anchor", "collected"),
            "note": getattr(getattr(c, "rule", None), "note", {}) or {},
        }
        for c in DataCategory.objects.select_related("rule")
    }
    recipients = {
        str(r.pk): {
            "name": r.name,
            "role": r.role,
            "country": r.country.upper(),
            "outside_eea": r.outside_eea,
            "descriptions": r.descriptions,
            "safeguards": r.safeguards,
        }
        for r in Recipient.objects.all()
    }
    activities = [
        {
            "code": a.code,
            "names": a.names,
            "purposes": a.purposes,
            "legal_basis": a.legal_basis,
            "categories": sorted(c.code for c in a.categories.all()),
            "recipients": sorted(str(r.pk) for r in a.recipients.all()),
        }
        for a in ProcessingActivity.objects.filter(active=True).prefetch_related(
            "categories", "recipients"
        )
    ]
    provider = settings.KYKLOS_PROVIDER
    return {
        "controller": {k: provider.get(k, "") for k in ("name", "address", "vat_id", "email")},
        "dpo": dict(settings.KYKLOS_DPO),
        "authority": authority(),
        "activities": activities,
        "categories": categories,
        "recipients": recipients,
    }


def digest_of(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def latest() -> NoticeVersion | None:
    return NoticeVersion.objects.order_by("-number").first()


@transaction.atomic
def publish_if_changed(
    *, significant: bool = False, summary: dict | None = None, actor=None
) -> NoticeVersion | None:
    """Publish a new version when the record differs from the latest one; else None."""
    data = snapshot()
    digest = digest_of(data)
    previous = NoticeVersion.objects.select_for_update().order_by("-number").first()
    if previous is not None and previous.digest == digest:
        return None
    version = NoticeVersion.objects.create(
        number=(previous.number + 1) if previous else 1,
        published_at=clock.now(),
        snapshot=data,
        digest=digest,
        significant=significant,
        summary=summary or {},
    )
    # The version row is its own record (number, time, snapshot); no audit event, as with
    # the outbox. Staff changes to the record are logged by the admin.
    return version


def current() -> NoticeVersion:
    """The version in force; the first one is published on first use."""
    return latest() or publish_if_changed()


def schedule_publish() -> None:
    """After the current transaction commits, publish if the record changed (signals)."""
    transaction.on_commit(lambda: publish_if_changed(), robust=True)


def notice_url(number: int | None = None) -> str:
    path = (
        reverse("privacy:notice")
        if number is None
        else reverse("privacy:notice_version", args=[number])
    )
    return settings.KYKLOS_PORTAL_URL.rstrip("/") + path


@transaction.atomic
def notify_customers(version: NoticeVersion, *, summary: dict, actor=None) -> int:
    """Mark ``version`` significant and tell every current customer (R12.3): one INSERT
    per batch of customers. A version is notified once."""
    version = NoticeVersion.objects.select_for_update().get(pk=version.pk)
    if version.notified_at is not None:
        raise ValidationError(_("The customers were already notified of this version."))
    if not any((summary or {}).get(lang, "").strip() for lang in ("el", "en", "pl")):
        raise ValidationError({"summary": _("Say what changed, for the customers.")})
    if personal_data.directory is None:
        raise ValidationError(_("No customer directory is installed."))
    count = 0
    url = notice_url(version.number)
    for batch in personal_data.directory.audience(settings.KYKLOS_BATCH_SIZE):
        count += messaging.queue(_notice_message(c, version, summary, url) for c in batch)
    version.significant, version.summary = True, summary
    version.notified_at, version.notified_count = clock.now(), count
    version.save(update_fields=["significant", "summary", "notified_at", "notified_count"])
    log_action(version, "privacy.notice.notified", actor=actor, data={"customers": count})
    return count


def _notice_message(contact: Contact, version, summary: dict, url: str) -> messaging.Message:
    return messaging.Message(
        event=NOTICE_CHANGED,
        to_email=contact.email,
        language=contact.language,
        customer_id=contact.customer_id,
        context={
            "customer_name": contact.name,
            "version": version.number,
            "summary": localized(summary, contact.language),
            "notice_url": url,
        },
    )


# --- the notice as shown --------------------------------------------------------------


@dataclass
class NoticeActivity:
    name: str
    purpose: str
    legal_basis: str
    categories: list[str]
    recipients: list[str]
    retention: list[str]


def render_context(version: NoticeVersion, language: str) -> dict:
    """Everything the notice template shows, in ``language``, from the version's snapshot."""
    data = version.snapshot
    cats, recs = data["categories"], data["recipients"]
    with translation.override(language):
        activities = [
            NoticeActivity(
                name=localized(a["names"], language),
                purpose=localized(a["purposes"], language),
                legal_basis=str(LegalBasis(a["legal_basis"]).label),
                categories=[localized(cats[c]["names"], language) for c in a["categories"]],
                recipients=[recs[r]["name"] for r in a["recipients"] if r in recs],
                retention=[
                    f"{localized(cats[c]['names'], language)}: "
                    f"{describe_rule(cats[c]['months'], cats[c]['anchor'], language)}"
                    for c in a["categories"]
                ],
            )
            for a in data["activities"]
        ]
        recipients = [
            {
                "name": r["name"],
                "role": str(Recipient.Role(r["role"]).label),
                "country": r["country"],
                "description": localized(r["descriptions"], language),
                "outside_eea": r["outside_eea"],
                "safeguard": localized(r["safeguards"], language),
            }
            for r in recs.values()
        ]
        retention = [
            {
                "category": localized(c["names"], language),
                "rule": describe_rule(c["months"], c["anchor"], language),
                "note": localized(c["note"], language),
            }
            for c in cats.values()
        ]
    return {
        "version": version,
        "controller": data["controller"],
        "dpo": data["dpo"],
        "authority": {**data["authority"], "name": localized(data["authority"]["names"], language)},
        "activities": activities,
        "recipients": recipients,
        "transfers": [r for r in recipients if r["outside_eea"]],
        "retention": retention,
        "summary": localized(version.summary, language),
    }


def category_facts(language: str = "en") -> dict[str, dict]:
    """Per data category: its name, the purposes and recipients of the activities that use
    it, and its retention — for the README of an access archive."""
    version = current()
    data = version.snapshot
    facts: dict[str, dict] = {}
    with translation.override(language):
        for code, c in data["categories"].items():
            facts[code] = {
                "name": localized(c["names"], language),
                "purposes": [],
                "legal_bases": [],
                "recipients": [],
                "retention": describe_rule(c["months"], c["anchor"], language),
            }
        for a in data["activities"]:
            for code in a["categories"]:
                fact = facts.get(code)
                if fact is None:
                    continue
                fact["purposes"].append(localized(a["purposes"], language))
                fact["legal_bases"].append(str(LegalBasis(a["legal_basis"]).label))
                fact["recipients"] += [
                    data["recipients"][r]["name"]
                    for r in a["recipients"]
                    if r in data["recipients"]
                ]
    for fact in facts.values():
        for key in ("purposes", "legal_bases", "recipients"):
            fact[key] = list(dict.fromkeys(fact[key]))
    return facts
