"""Certificates' personal data: the names on a certificate may name a person. Customer
records: exported with the customer; on erasure the certificates that are no longer valid
are deleted, valid ones are kept until they expire (they are public in the CA's
Certificate Transparency logs anyway). Private keys are never here: a hosted site's key is
in the vault (erased with the vault), an elsewhere key was never stored (R5.1)."""

from __future__ import annotations

from kyklos.certificates.models import Attempt, Certificate, HttpChallenge
from kyklos.core import clock
from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.vault.models import ProviderSecret

KEPT = "A valid certificate is kept until it expires; its names are public in CT logs."


def _rows(subject: Subject):
    if subject.customer_id is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(customer_id=subject.customer_id)


def export(subject: Subject):
    for c in _rows(subject).order_by("created_at", "pk"):
        yield {
            "names": c.names,
            "kind": c.kind,
            "state": c.state,
            "not_after": c.not_after.isoformat() if c.not_after else None,
        }


def erase(subject: Subject) -> Erased:
    rows = _rows(subject)
    valid = rows.filter(state=Certificate.State.ISSUED, not_after__gt=clock.now())
    gone = rows.exclude(pk__in=valid.values("pk"))
    deleted = gone.count()
    keys = [p for p in gone.values_list("key_purpose", flat=True) if p]
    ProviderSecret.objects.filter(purpose__in=keys).delete()  # their sealed keys too
    gone.delete()
    kept = valid.count()
    return Erased(deleted=deleted, kept=kept, kept_reason=KEPT if kept else "")


def register() -> None:
    personal_data.register(
        Certificate, category="customer_records", fields=["names"], exporter=export, eraser=erase
    )
    personal_data.declare_exempt(Attempt, "'sender' is a job's claim token, not a person.")
    personal_data.declare_exempt(
        HttpChallenge, "Exists only while an ACME order runs; holds a name being validated."
    )
