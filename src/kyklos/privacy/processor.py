"""The provider as a processor of its customers' data (GDPR art. 28 and 30(2), R9.8).

Hosting a customer's site or mailbox, or the conversations of their chat plugin, makes the
provider the customer's processor. This module keeps, as data:

- the **record of processing as processor** per customer (art. 30(2)): the customer as
  controller, the categories of processing (:class:`ProcessorActivity`, chosen by the kinds
  of service the customer has running — read through ``core.personal_data``'s processor
  sources), the sub-processors, the transfers outside the EEA with their safeguards, and
  the security measures;
- the **data-processing agreement** (art. 28(3)): published versions of its text, and each
  customer's acceptance (version, time, channel), as the terms are accepted (R1.1);
- **sub-processor changes** (art. 28(2)): recorded and told to the customers they concern,
  in their language, before they take effect.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kyklos.core import clock, messaging
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.personal_data import personal_data
from kyklos.privacy.models import (
    DpaAcceptance,
    DpaVersion,
    ProcessorActivity,
    Recipient,
    SubprocessorChange,
    localized,
)

SUBPROCESSOR_EVENT = "privacy_subprocessor_changed"


# --- the record as processor --------------------------------------------------------------


@dataclass
class ProcessorEntry:
    """One activity of a customer's record as processor, in one language."""

    code: str
    name: str
    processing: str
    data: str
    measures: str
    services: int
    subprocessors: list[dict] = field(default_factory=list)

    @property
    def transfers(self) -> list[dict]:
        return [s for s in self.subprocessors if s["outside_eea"]]


def kinds_by_customer(customer_ids=None) -> dict[int, dict[str, int]]:
    """Per customer, the kinds of service processed on their behalf and how many run."""
    kinds: dict[int, dict[str, int]] = defaultdict(dict)
    for row in personal_data.processed_for(customer_ids):
        kinds[row.customer_id][row.kind] = kinds[row.customer_id].get(row.kind, 0) + row.services
    return kinds


def record_for(customer_id: int, language: str) -> list[ProcessorEntry]:
    """The customer's record of processing as processor (art. 30(2)), in ``language``:
    empty when the provider processes nothing on their behalf."""
    kinds = kinds_by_customer([customer_id]).get(customer_id, {})
    if not kinds:
        return []
    entries = []
    for activity in ProcessorActivity.objects.filter(active=True).prefetch_related("subprocessors"):
        count = sum(kinds.get(kind, 0) for kind in activity.service_kinds)
        if not count:
            continue
        entries.append(
            ProcessorEntry(
                code=activity.code,
                name=localized(activity.names, language),
                processing=localized(activity.processing, language),
                data=localized(activity.data, language),
                measures=localized(activity.measures, language),
                services=count,
                subprocessors=[
                    {
                        "name": r.name,
                        "country": r.country.upper(),
                        "outside_eea": r.outside_eea,
                        "description": localized(r.descriptions, language),
                        "safeguard": localized(r.safeguards, language),
                    }
                    for r in activity.subprocessors.all()
                ],
            )
        )
    return entries


def processor_register(language: str = "en") -> list[dict]:
    """The whole record as processor, one entry per customer (for the authority, art.
    30(4)): the controller's contact and the activities carried out for them."""
    directory = personal_data.directory
    rows = []
    for customer_id in sorted(kinds_by_customer()):
        contact = directory.for_customer(customer_id) if directory else None
        rows.append(
            {
                "customer_id": customer_id,
                "controller": contact.name if contact else "",
                "controller_email": contact.email if contact else "",
                "dpa_version": accepted_version(customer_id),
                "activities": [
                    e.__dict__ | {"transfers": e.transfers}
                    for e in record_for(customer_id, language)
                ],
            }
        )
    return rows


# --- the data-processing agreement ----------------------------------------------------------


def current_dpa() -> DpaVersion | None:
    return DpaVersion.objects.order_by("-number").first()


def accepted_version(customer_id: int) -> int | None:
    """The latest DPA version the customer accepted, or None."""
    return (
        DpaAcceptance.objects.filter(customer_id=customer_id)
        .order_by("-version__number")
        .values_list("version__number", flat=True)
        .first()
    )


@transaction.atomic
def publish_dpa(*, texts: dict, summary: dict | None = None, actor=None) -> DpaVersion:
    """Publish a new version of the agreement's text (every language required)."""
    missing = [lang for lang in ("el", "en", "pl") if not (texts or {}).get(lang, "").strip()]
    if missing:
        raise ValidationError(
            {"texts": _("Give the agreement's text in %(langs)s.") % {"langs": ", ".join(missing)}}
        )
    previous = DpaVersion.objects.select_for_update().order_by("-number").first()
    version = DpaVersion.objects.create(
        number=(previous.number + 1) if previous else 1,
        published_at=clock.now(),
        texts={lang: texts[lang].strip() for lang in ("el", "en", "pl")},
        summary=summary or {},
    )
    log_action(version, "privacy.dpa.published", actor=actor, data={"number": version.number})
    return version


@transaction.atomic
def accept_dpa(
    customer_id: int, *, version: int, channel: str = DpaAcceptance.Channel.PORTAL, actor=None
) -> DpaAcceptance:
    """Record that the customer accepted DPA ``version`` (the one in force), with the time
    and channel. Accepting a version twice keeps the first acceptance."""
    current = current_dpa()
    if current is None:
        raise ValidationError(_("No data-processing agreement is published yet."))
    if version != current.number:
        raise ValidationError(
            _("Version %(old)s is no longer in force; please read version %(new)s.")
            % {"old": version, "new": current.number}
        )
    if channel not in DpaAcceptance.Channel.values:
        raise ValidationError(_("Unknown channel."))
    user = acting_user(actor)
    acceptance, created = DpaAcceptance.objects.get_or_create(
        customer_id=customer_id,
        version=current,
        defaults={
            "accepted_at": clock.now(),
            "channel": channel,
            "user_id": user.pk if user is not None else None,
        },
    )
    if created:
        log_action(
            acceptance,
            "privacy.dpa.accepted",
            actor=actor,
            data={"version": current.number, "channel": channel},
        )
    return acceptance


# --- sub-processor changes ------------------------------------------------------------------


def notice_days() -> int:
    return getattr(settings, "KYKLOS_SUBPROCESSOR_NOTICE_DAYS", 30)


@transaction.atomic
def change_subprocessors(
    activity: ProcessorActivity,
    *,
    add=(),
    remove=(),
    effective_on: date | None = None,
    actor=None,
) -> list[SubprocessorChange]:
    """Add and remove sub-processors of ``activity``, record each change and tell every
    customer it concerns (those with a service of the activity's kinds running) in their
    language: one outbox INSERT per batch. Refused input writes nothing."""
    activity = ProcessorActivity.objects.select_for_update().get(pk=activity.pk)
    current = set(activity.subprocessors.values_list("pk", flat=True))
    added = [r for r in add if r.pk not in current]
    removed = [r for r in remove if r.pk in current]
    today = clock.today()
    effective_on = effective_on or today + timedelta(days=notice_days())
    if not added and not removed:
        raise ValidationError(_("Nothing changes: name a sub-processor to add or remove."))
    wrong = [r.name for r in added if r.role != Recipient.Role.PROCESSOR]
    if wrong:
        raise ValidationError(
            _("Only processors can be sub-processors: %(names)s.") % {"names": ", ".join(wrong)}
        )
    if effective_on < today:
        raise ValidationError({"effective_on": _("A change cannot take effect in the past.")})
    activity.subprocessors.add(*added)
    activity.subprocessors.remove(*removed)
    now, label = clock.now(), str(actor or "")[:150]
    changes = SubprocessorChange.objects.bulk_create(
        SubprocessorChange(
            activity=activity,
            recipient=r,
            recipient_name=r.name,
            change=change,
            announced_at=now,
            effective_on=effective_on,
            actor_label=label,
        )
        for change, rows in (
            (SubprocessorChange.Change.ADDED, added),
            (SubprocessorChange.Change.REMOVED, removed),
        )
        for r in rows
    )
    count = _notify(activity, added, removed, effective_on)
    SubprocessorChange.objects.filter(pk__in=[c.pk for c in changes]).update(
        customers_notified=count
    )
    log_action(
        activity,
        "privacy.subprocessors.changed",
        actor=actor,
        data={
            "added": [r.name for r in added],
            "removed": [r.name for r in removed],
            "effective_on": effective_on.isoformat(),
            "customers": count,
        },
    )
    return changes


def record_url() -> str:
    return settings.KYKLOS_PORTAL_URL.rstrip("/") + reverse("privacy:processor")


def _notify(activity, added, removed, effective_on: date) -> int:
    kinds = set(activity.service_kinds)
    concerned = sorted(
        customer_id for customer_id, running in kinds_by_customer().items() if kinds & set(running)
    )
    directory = personal_data.directory
    if not concerned or directory is None:
        return 0
    url, count, size = record_url(), 0, settings.KYKLOS_BATCH_SIZE
    for start in range(0, len(concerned), size):
        batch = []
        for customer_id in concerned[start : start + size]:
            contact = directory.for_customer(customer_id)
            if contact is None or not contact.email:
                continue
            batch.append(
                messaging.Message(
                    event=SUBPROCESSOR_EVENT,
                    to_email=contact.email,
                    language=contact.language,
                    customer_id=customer_id,
                    context={
                        "customer_name": contact.name,
                        "activity": localized(activity.names, contact.language),
                        "added": ", ".join(r.name for r in added),
                        "removed": ", ".join(r.name for r in removed),
                        "effective_on": effective_on.isoformat(),
                        "record_url": url,
                    },
                )
            )
        count += messaging.queue(batch)
    return count
