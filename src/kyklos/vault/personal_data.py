"""The vault's personal data: customers' stored credentials (R10.3)."""

from __future__ import annotations

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.vault.models import Credential


def _rows(subject: Subject):
    if subject.customer_id is None:
        return Credential.objects.none()
    return Credential.objects.filter(customer_id=subject.customer_id)


def export(subject: Subject):
    # The secrets themselves are handed over through the portal's handover download,
    # which needs the customer's own login; an access request lists what is held.
    for c in _rows(subject).order_by("pk"):
        yield {
            "label": c.label,
            "kind": c.kind,
            "status": c.status,
            "stored_at": c.created_at.isoformat(),
            "destroyed_at": c.destroyed_at.isoformat() if c.destroyed_at else None,
        }


def erase(subject: Subject) -> Erased:
    from kyklos.vault import services

    rows = _rows(subject)
    destroyed = services.destroy(rows, actor="privacy", reason="erasure request")
    anonymised = rows.update(label="—")
    return Erased(anonymised=anonymised, deleted=destroyed)


def register() -> None:
    personal_data.register(
        Credential,
        category="credentials",
        fields=["label", "sealed"],
        exporter=export,
        eraser=erase,
    )
