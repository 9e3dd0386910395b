"""Payments: accounting records kept with the tax documents they settle (R9.4).

A payment's ``reference`` (a bank transfer's reference, a card charge id) may name the
payer: an erasure clears it (the payment itself — amount, date, method, the document it
settled — stays with the tax documents); retention clears it for customers anonymised
after the tax period.
"""

from __future__ import annotations

from django.db.models import Q

from kyklos.billing.personal_data import TAX_HOLD
from kyklos.core.personal_data import ANONYMISE, Erased, Subject, personal_data
from kyklos.customers.models import Customer
from kyklos.customers.personal_data import ERASED_DOMAIN
from kyklos.payments.models import Payment


def export_payments(subject: Subject):
    if subject.customer_id is None:
        return
    for p in Payment.objects.filter(customer_id=subject.customer_id).select_related("invoice"):
        yield {
            "invoice": p.invoice.number,
            "amount": str(p.amount),
            "currency": p.currency,
            "method": p.method,
            "paid_on": p.paid_on,
            "reference": p.reference,
        }


def erase_payments(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    mine = Payment.objects.filter(customer_id=subject.customer_id)
    cleared = mine.exclude(reference="").update(reference="")
    return Erased(anonymised=cleared, kept=mine.count(), kept_reason=TAX_HOLD)


def register() -> None:
    personal_data.register(
        Payment,
        category="tax_records",
        fields=["reference", "amount", "paid_on"],
        exporter=export_payments,
        eraser=erase_payments,
        legal_hold=TAX_HOLD,
    )
    personal_data.register_retention(
        "tax_records",
        Payment,
        date_field="paid_on",
        action=ANONYMISE,
        queryset=lambda: Payment.objects.filter(
            customer__status=Customer.Status.LOCKED,
            customer__email__endswith=f"@{ERASED_DOMAIN}",
        ),
        values={"reference": ""},
        pending=~Q(reference=""),
        order=95,
    )
