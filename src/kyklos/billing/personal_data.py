"""Billing's personal data: the buyer's particulars copied onto each document (art. 226).

Legal hold (R1.4, R6.1, R9.4): tax documents — invoices, receipts, credit notes — are
never edited or deleted during the tax period (Greece: 5 years from the end of the fiscal
year), so after an erasure they alone keep the buyer's name, address and VAT id.
Proformas have no tax effect: their buyer particulars are anonymised.
"""

from __future__ import annotations

from django.db.models import Q

from kyklos.billing.models import TAX_DOCUMENT_KINDS, Invoice
from kyklos.core.personal_data import (
    ANONYMISE,
    ERASED_DOMAIN,
    ERASED_NAME,
    TAX_HOLD,
    Erased,
    Subject,
    personal_data,
)
from kyklos.customers.models import Customer
from kyklos.customers.selectors import of_ex_customers

TAX_KINDS = [str(k) for k in TAX_DOCUMENT_KINDS]
ANONYMOUS = {"buyer_name": ERASED_NAME, "buyer_address": "", "buyer_vat_id": ""}
NOT_ANONYMISED = ~Q(buyer_name=ERASED_NAME)


def export_invoices(subject: Subject):
    if subject.customer_id is None:
        return
    for i in Invoice.objects.filter(customer_id=subject.customer_id).order_by("issued_on", "id"):
        yield {
            "kind": i.kind,
            "number": i.number,
            "status": i.status,
            "issued_on": i.issued_on,
            "paid_on": i.paid_on,
            "total": str(i.total),
            "currency": i.currency,
            "buyer_name": i.buyer_name,
            "buyer_address": i.buyer_address,
            "buyer_country": i.buyer_country,
            "buyer_vat_id": i.buyer_vat_id,
        }


def erase_invoices(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    mine = Invoice.objects.filter(customer_id=subject.customer_id)
    n = mine.exclude(kind__in=TAX_KINDS).filter(NOT_ANONYMISED).update(**ANONYMOUS)
    return Erased(anonymised=n, kept=mine.filter(kind__in=TAX_KINDS).count(), kept_reason=TAX_HOLD)


def register() -> None:
    personal_data.register(
        Invoice,
        category="tax_records",
        fields=["buyer_name", "buyer_address", "buyer_vat_id", "buyer_country"],
        exporter=export_invoices,
        eraser=erase_invoices,
        legal_hold=TAX_HOLD,
    )
    # Proformas of ex-customers: with the rest of the customer's records (1 year after).
    personal_data.register_retention(
        "customer_records",
        Invoice,
        date_field="ended_at",
        action=ANONYMISE,
        queryset=lambda: of_ex_customers(Invoice.objects.exclude(kind__in=TAX_KINDS)),
        values=ANONYMOUS,
        pending=NOT_ANONYMISED,
        order=20,
    )
    # Tax documents: once the tax period from the end of their fiscal year has passed,
    # and only for customers already anonymised.
    personal_data.register_retention(
        "tax_records",
        Invoice,
        date_field="issued_on",
        action=ANONYMISE,
        queryset=lambda: Invoice.objects.filter(
            kind__in=TAX_KINDS,
            customer__status=Customer.Status.LOCKED,
            customer__email__endswith=f"@{ERASED_DOMAIN}",
        ),
        values=ANONYMOUS,
        pending=NOT_ANONYMISED,
        order=95,
    )
