from decimal import Decimal

from django.db.models import Sum

from kyklos.billing.models import Invoice
from kyklos.core.money import ZERO
from kyklos.payments.models import Payment


def amount_paid(invoice: Invoice) -> Decimal:
    return Payment.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or ZERO


def outstanding(invoice: Invoice) -> Decimal:
    """What is still owed on an open document."""
    if invoice.status != Invoice.Status.OPEN:
        return ZERO
    return invoice.total - amount_paid(invoice)
