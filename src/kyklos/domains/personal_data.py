"""The domains app's personal data: a domain name may name a person
(``eleni-papadopoulou.gr``). Domains are customer records: exported with the customer; on
erasure the names no longer the customer's (released, transferred away, refused) are
replaced by a marker, and a name still held is kept while its service runs (the lifecycle's
erasure check already refuses to erase a customer with running services).

A change of registrant holds the new registrant's particulars (a person's name, address,
e-mail): exported with the customer; on erasure those of finished changes are replaced by a
marker (the registry keeps its own contact), an open one is kept until it ends."""

from __future__ import annotations

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.domains.models import ENDED_STATES, Domain, OwnerChange, RegistrarAccount

KEPT = "A name still held at the registry is kept while its service runs."


def _domains(subject: Subject):
    if subject.customer_id is None:
        return Domain.objects.none()
    return Domain.objects.filter(customer_id=subject.customer_id)


def export(subject: Subject):
    for domain in _domains(subject).order_by("name"):
        yield {
            "domain": domain.name,
            "state": domain.state,
            "ordered_on": domain.ordered_on.isoformat(),
            "expires_on": domain.expires_on.isoformat() if domain.expires_on else None,
            "nameservers": list(domain.nameservers),
        }


def erase(subject: Subject) -> Erased:
    domains = _domains(subject)
    ended = list(domains.filter(state__in=ENDED_STATES).values_list("pk", flat=True))
    for pk in ended:  # a few rows per customer
        Domain.objects.filter(pk=pk).update(name=f"erased-{pk}.invalid", nameservers=[])
    kept = domains.exclude(state__in=ENDED_STATES).count()
    return Erased(anonymised=len(ended), kept=kept, kept_reason=KEPT if kept else "")


OPEN_CHANGES = [OwnerChange.Status.AWAITING_PAYMENT, OwnerChange.Status.PENDING]


def _changes(subject: Subject):
    if subject.customer_id is None:
        return OwnerChange.objects.none()
    return OwnerChange.objects.filter(domain__customer_id=subject.customer_id)


def export_owner_changes(subject: Subject):
    for change in _changes(subject).select_related("domain").order_by("requested_at"):
        yield {
            "domain": change.domain.name,
            "status": change.status,
            "requested_at": change.requested_at.isoformat(),
            "new_registrant": dict(change.particulars),
        }


def erase_owner_changes(subject: Subject) -> Erased:
    changes = _changes(subject)
    done = changes.exclude(status__in=OPEN_CHANGES).update(particulars={"erased": True})
    kept = changes.filter(status__in=OPEN_CHANGES).count()
    return Erased(
        anonymised=done,
        kept=kept,
        kept_reason="A change of registrant under way is kept until it ends." if kept else "",
    )


def register() -> None:
    personal_data.register(
        OwnerChange,
        category="customer_records",
        fields=["particulars"],
        exporter=export_owner_changes,
        eraser=erase_owner_changes,
    )
    personal_data.register(
        Domain, category="customer_records", fields=["name"], exporter=export, eraser=erase
    )
    personal_data.declare_exempt(
        RegistrarAccount, "The provider's own login at a registry; it names no customer."
    )
