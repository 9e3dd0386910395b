"""Notices of issued tax documents, each with its PDF attached (R6.8).

Invoices go to the customer's billing e-mail, receipts to the administrative e-mail; a
credit note goes where the document it corrects went. The outbox row holds only a
reference (``{"kind": "invoice_pdf", "id": …}``); the PDF is rendered when it is sent.
"""

from __future__ import annotations

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.notifications import services as outbox

TAX_INVOICE_ISSUED = "tax_invoice_issued"
RECEIPT_ISSUED = "receipt_issued"
CREDIT_NOTE_ISSUED = "credit_note_issued"
ATTACHMENT_KIND = "invoice_pdf"

_KEYS = ("customer_name", "invoice_number", "total", "currency", "issued_on")
EVENTS = {
    TAX_INVOICE_ISSUED: (_KEYS, True),
    RECEIPT_ISSUED: (_KEYS, False),
    CREDIT_NOTE_ISSUED: ((*_KEYS, "original_number"), True),
}
EVENT_OF_KIND = {
    DocumentKind.INVOICE: TAX_INVOICE_ISSUED,
    DocumentKind.RECEIPT: RECEIPT_ISSUED,
    DocumentKind.CREDIT_NOTE: CREDIT_NOTE_ISSUED,
}


def register() -> None:
    from kyklos.billing.documents import pdf_attachment

    for event, (keys, to_billing) in EVENTS.items():
        outbox.register_event(event, keys, to_billing_email=to_billing)
    outbox.register_attachment(ATTACHMENT_KIND, pdf_attachment)


def recipient(document: Invoice, original: Invoice | None = None) -> str:
    customer = document.customer
    kind = original.kind if original is not None else document.kind
    return customer.notice_email if kind == DocumentKind.RECEIPT else customer.invoice_email


def build(document: Invoice, original: Invoice | None = None):
    """The unsaved outbox row announcing ``document`` (a tax document)."""
    context = {
        "customer_name": document.customer.display_name,
        "invoice_number": document.number,
        "total": str(document.total),
        "currency": document.currency,
        "issued_on": document.issued_on.isoformat(),
        "due_on": document.due_on.isoformat(),
    }
    if document.paid_on:
        context["paid_on"] = document.paid_on.isoformat()
    if original is not None:
        context |= {"original_number": original.number, "reason": document.reason}
    return outbox.build_notice(
        event=EVENT_OF_KIND[document.kind],
        customer_id=document.customer_id,
        language=document.customer.language,
        to_email=recipient(document, original),
        context=context,
        for_date=clock.today(),
        invoice_id=document.pk,
        attachments=[{"kind": ATTACHMENT_KIND, "id": document.pk}],
    )


def queue_for(documents: list[Invoice]) -> int:
    """Queue the notices of newly issued tax documents (one INSERT)."""
    rows = [build(d) for d in documents if d.kind in (DocumentKind.INVOICE, DocumentKind.RECEIPT)]
    return outbox.queue_notices(rows) if rows else 0
