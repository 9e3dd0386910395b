"""Personal data held by intake (R9.3), registered with the core registry.

The quarantine holds whole raw messages of people who wrote to us, so it is personal data
of the sender (and of anyone the message names). Retention: held and released messages
are deleted ``KYKLOS_INTAKE['QUARANTINE_DAYS']`` days (default 30) after they arrived, by
the daily step ``intake.purge_quarantine``; staff may delete one earlier. Export gives the
rows with the raw message as text; erasure deletes rows and files (no legal hold: the
ticket, not the quarantine, is the record of a request).

The ledger (:class:`InboundMessage`) holds only Message-IDs, outcomes and ticket links;
the contact form's rate limit (:class:`ContactThrottle`) only keyed hashes of IP
addresses, deleted after a day. Neither can be tied to a subject by name or address.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.customers.models import Customer
from kyklos.intake.models import ContactThrottle, InboundMessage, QuarantinedMessage

CATEGORY = "support"


def _addresses(subject: Subject) -> set[str]:
    addresses = {subject.email.lower()} if subject.email else set()
    if subject.customer_id is not None:
        customer = Customer.objects.filter(pk=subject.customer_id).first()
        if customer is not None:
            addresses |= {
                a.lower()
                for a in (
                    customer.email,
                    customer.secondary_email,
                    customer.admin_email,
                    customer.billing_email,
                )
                if a
            }
    return addresses


def quarantined_of(subject: Subject):
    where = Q(pk__in=[])
    for address in _addresses(subject):
        where |= Q(sender_email__iexact=address)
    if subject.customer_id is not None:
        where |= Q(ticket__customer_id=subject.customer_id)
    return QuarantinedMessage.objects.filter(where)


def export_quarantined(subject: Subject):
    for q in quarantined_of(subject).order_by("id"):
        try:
            with q.raw.open("rb") as handle:
                raw = handle.read().decode("utf-8", errors="replace")
        except OSError:
            raw = ""
        yield {
            "received_at": q.received_at.isoformat(),
            "reason": q.reason,
            "status": q.status,
            "sender_email": q.sender_email,
            "subject": q.subject,
            "message_id": q.message_id,
            "raw_message": raw,
        }


def erase_quarantined(subject: Subject) -> Erased:
    rows = quarantined_of(subject)
    names = [n for n in rows.values_list("raw", flat=True) if n]
    deleted = rows.delete()[1].get(QuarantinedMessage._meta.label, 0)
    storage = QuarantinedMessage._meta.get_field("raw").storage
    transaction.on_commit(lambda: [storage.delete(n) for n in names])
    return Erased(deleted=deleted)


def register() -> None:
    personal_data.register(
        QuarantinedMessage,
        category=CATEGORY,
        fields=["sender_email", "subject", "raw", "detail", "message_id"],
        exporter=export_quarantined,
        eraser=erase_quarantined,
    )
    personal_data.declare_exempt(
        InboundMessage, "Message-IDs, outcomes and ticket links only; no names or addresses."
    )
    personal_data.declare_exempt(
        ContactThrottle,
        "Keyed hashes (HMAC) of client IP addresses, not reversible, deleted after a day.",
    )
