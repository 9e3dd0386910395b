"""Personal data held by the shop (R9.3).

A pending sign-up holds the address, the particulars typed and the password's hash until
the link is followed; then all but the address and the link to the customer are emptied.
An unverified sign-up is deleted once its link has expired (at the next sign-up). Erasure
deletes a person's sign-ups; the orders (links between a customer and its proformas) hold
no particulars.
"""

from __future__ import annotations

from django.db.models import Q

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.storefront.models import Order, Signup

CATEGORY = "customer_records"


def signups_of(subject: Subject):
    where = Q(pk__in=[])
    if subject.email:
        where |= Q(email__iexact=subject.email)
    if subject.customer_id is not None:
        where |= Q(customer_id=subject.customer_id)
    return Signup.objects.filter(where)


def export_signups(subject: Subject):
    for signup in signups_of(subject).order_by("id"):
        yield {
            "email": signup.email,
            "particulars": signup.particulars,
            "terms_version": signup.terms_version,
            "created_at": signup.created_at.isoformat(),
            "verified_at": signup.verified_at.isoformat() if signup.verified_at else None,
        }


def erase_signups(subject: Subject) -> Erased:
    deleted = signups_of(subject).delete()[1].get(Signup._meta.label, 0)
    return Erased(deleted=deleted)


def register() -> None:
    personal_data.register(
        Signup,
        category=CATEGORY,
        fields=["email", "particulars", "password_hash"],
        exporter=export_signups,
        eraser=erase_signups,
    )
    personal_data.declare_exempt(Order, "Links a customer to its proformas; no particulars.")
