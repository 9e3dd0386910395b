from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from kyklos.accounts import roles as R
from kyklos.api import selectors
from kyklos.api.auth import roles
from kyklos.api.errors import get_or_404
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS_WITH_404, InvoiceOut, PaymentIn, PaymentResultOut
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.payments.services import record_payment

router = Router(tags=["invoices"])


@router.get("", response=list[InvoiceOut], auth=roles(R.BILLING, R.SUPPORT, R.DPO))
@paginate(Page)
def list_invoices(request, customer: int | None = None):
    """Billing documents, optionally of one customer."""
    return selectors.invoices(customer)


@router.post(
    "/{invoice_id}/payments",
    response={201: PaymentResultOut, **ERRORS_WITH_404},
    auth=roles(R.BILLING),
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
