"""Reads: a customer's documents, what was credited, and a document printed (PDF, with
its retention period) or exported as an EN 16931 e-invoice."""

from decimal import Decimal

from django.db.models import QuerySet, Sum

from kyklos.billing.documents import identifiers as document_identifiers
from kyklos.billing.documents import is_retained, pdf_filename
from kyklos.billing.documents import render_pdf as document_pdf
from kyklos.billing.einvoice import NotExportable, to_ubl
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.reports import BUCKETS as AGING_BUCKETS
from kyklos.billing.reports import _credited_subquery, _paid_subquery
from kyklos.billing.reports import aging as receivables_aging
from kyklos.core.money import ZERO

__all__ = [
    "AGING_BUCKETS",
    "NotExportable",
    "credited_total",
    "document_identifiers",
    "document_pdf",
    "invoices_for_customer",
    "is_retained",
    "pdf_filename",
    "receivables_aging",
    "to_ubl",
]


def invoices_for_customer(customer_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(customer_id=customer_id).order_by("-issued_on", "-id")


def documents_with_balance(customer_id: int, limit: int = 50) -> QuerySet[Invoice]:
    """A customer's documents, newest first, each with ``paid`` (money received against
    it), ``credited`` (what its credit notes took off) and ``balance`` (what is still
    owed on an open one): one query however many documents."""
    return (
        invoices_for_customer(customer_id)
        .annotate(paid=_paid_subquery(), credited=_credited_subquery())
        .prefetch_related("lines")[:limit]
    )


def document_balance(document: Invoice) -> Decimal:
    """What is still owed on ``document`` (annotated by :func:`documents_with_balance`):
    nothing on a document that is not open or on a credit note."""
    if document.status != Invoice.Status.OPEN or document.kind == DocumentKind.CREDIT_NOTE:
        return ZERO
    return max(document.total - document.paid - document.credited, ZERO)


def credited_total(invoice: Invoice) -> Decimal:
    """What the credit notes issued against ``invoice`` credit in all (VAT included)."""
    total = Invoice.objects.filter(related=invoice, kind=DocumentKind.CREDIT_NOTE).aggregate(
        s=Sum("total")
    )["s"]
    return total or ZERO


def vat_decision(*, country: str, vat_id: str):
    """The VAT decision for one buyer today (:func:`kyklos.billing.vat.decide`)."""
    from kyklos.billing import vat

    return vat.decide(country=country, vat_id=vat_id)


def default_number_prefix(kind: str) -> str:
    """The shipped prefix of a document kind's number series (``PRO``, ``INV``, …)."""
    from kyklos.billing.numbering import DEFAULT_PREFIXES

    return DEFAULT_PREFIXES[kind]


def transmission_identifiers(invoice_id: int, authority: str) -> dict[str, str] | None:
    """What a tax authority assigned to a document — ``mark`` (the myDATA MARK or the KSeF
    number), ``uid``, ``qr_url`` — or None while it has not accepted it (no MARK yet) or
    after its transmission was cancelled as made in error.
    National e-invoicing reads it, e.g. to correlate a credit note with its invoice."""
    from kyklos.billing.models import Transmission

    row = (
        Transmission.objects.filter(invoice_id=invoice_id, authority=authority)
        .exclude(mark="")
        .exclude(status=Transmission.Status.CANCELLED)
        .values("mark", "uid", "qr_url")
        .first()
    )
    return dict(row) if row else None
