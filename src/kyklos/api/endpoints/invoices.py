from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError

from kyklos.api import selectors
from kyklos.api.auth import needs
from kyklos.api.errors import get_or_404
from kyklos.api.pagination import Page, json_page, paged
from kyklos.api.schemas import ERRORS_WITH_404, Id, InvoiceOut, PaymentIn, PaymentResultOut
from kyklos.billing import selectors as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.payments.services import record_payment

router = Router(tags=["invoices"])


@router.get("", response=paged(InvoiceOut), auth=needs("billing", "view"))
def list_invoices(request, customer: Id | None = None, page: Query[Page.Input] = None):
    """Billing documents, optionally of one customer."""
    page = page or Page.Input()
    count, items = selectors.invoice_page(customer, page.limit, page.offset)
    return json_page(request, Invoice, count, items)


def _document(invoice_id: int) -> Invoice:
    return get_or_404(
        Invoice.objects.select_related("related", "customer"),
        invoice_id,
        _("There is no invoice %(id)s."),
    )


@router.get(
    "/{invoice_id}.pdf",
    response={200: None, **ERRORS_WITH_404},
    auth=needs("billing", "view"),
)
def invoice_pdf(request, invoice_id: int):
    """The document as PDF, in the customer's language (R6.8)."""
    invoice = _document(invoice_id)
    response = HttpResponse(billing.document_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{billing.pdf_filename(invoice)}"'
    return response


@router.get(
    "/{invoice_id}.xml",
    response={200: None, **ERRORS_WITH_404},
    auth=needs("billing", "view"),
)
def invoice_xml(request, invoice_id: int):
    """The tax document as an EN 16931 e-invoice: UBL 2.1, Peppol BIS Billing 3.0. A
    proforma has none (404)."""
    invoice = _document(invoice_id)
    try:
        xml = billing.to_ubl(invoice)
    except billing.NotExportable:
        raise HttpError(
            404,
            _("%(n)s is a proforma; only tax documents are e-invoices.") % {"n": invoice.number},
        ) from None
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
    return response


@router.post(
    "/{invoice_id}/payments",
    response={201: PaymentResultOut, **ERRORS_WITH_404},
    auth=needs("payments", "add"),
)
def record_invoice_payment(request, invoice_id: int, payload: PaymentIn):
    """Record money received; a payment that covers a proforma settles it and issues the
    tax document (an invoice for companies, a receipt for persons)."""
    invoice = get_or_404(Invoice.objects.all(), invoice_id, _("There is no invoice %(id)s."))
    payment = record_payment(invoice, **payload.model_dump(), actor=request.auth)
    documents = selectors.invoices()
    tax_document = documents.filter(
        related_id=invoice.pk, kind__in=[DocumentKind.INVOICE, DocumentKind.RECEIPT]
    ).first()
    return Status(
        201,
        {"payment": payment, "invoice": documents.get(pk=invoice.pk), "tax_document": tax_document},
    )
