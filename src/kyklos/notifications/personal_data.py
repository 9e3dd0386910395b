"""The outbox: notices to customers (their address and particulars in the context) and
messages to people who are not customers. Erasure deletes them; retention deletes an
ex-customer's notices a year after the relationship ended and other messages after 12
months."""

from __future__ import annotations

from django.db.models import Q

from kyklos.core.personal_data import DELETE, Erased, Subject, personal_data
from kyklos.customers.selectors import of_ex_customers
from kyklos.notifications.models import Outbox


def _of(subject: Subject):
    q = Q(pk__in=[])
    if subject.customer_id is not None:
        q |= Q(customer_id=subject.customer_id)
    if subject.email:
        q |= Q(to_email__iexact=subject.email)
    return Outbox.objects.filter(q)


def export_notices(subject: Subject):
    for n in _of(subject).order_by("created_at", "id"):
        yield {
            "event": n.event,
            "to_email": n.to_email,
            "status": n.status,
            "for_date": n.for_date,
            "sent_at": n.sent_at,
            "context": n.context,
        }


def erase_notices(subject: Subject) -> Erased:
    deleted, _ = _of(subject).delete()
    return Erased(deleted=deleted)


def register() -> None:
    personal_data.register(
        Outbox,
        category="correspondence",
        fields=["to_email", "context", "headers", "last_error"],
        exporter=export_notices,
        eraser=erase_notices,
    )
    personal_data.register_retention(
        "customer_records",
        Outbox,
        date_field="ended_at",
        action=DELETE,
        queryset=lambda: of_ex_customers(Outbox.objects.all()),
        order=20,
    )
    personal_data.register_retention(
        "correspondence",
        Outbox,
        date_field="created_at",
        action=DELETE,
        queryset=lambda: Outbox.objects.filter(customer__isnull=True).exclude(
            status=Outbox.Status.QUEUED
        ),
    )
