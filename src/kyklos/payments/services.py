"""Recording payments.

A payment is checked (positive, same currency, open document, not more than what is
owed), recorded, acknowledged through the outbox, and — when it covers the document —
settles it through billing, which announces ``invoice_paid`` for the renewals.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event
from kyklos.payments.models import Method, Payment
from kyklos.payments.selectors import amount_paid


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("Enter the amount as a number, e.g. 120.50.")}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    return amount


@transaction.atomic
def record_payment(
    invoice: Invoice,
    *,
    amount,
    method: str,
    paid_on: date | None = None,
    reference: str = "",
    currency: str | None = None,
    actor=None,
) -> Payment:
    """Record money received for ``invoice``; settles it when fully paid."""
    amount = _amount(amount)
    if method not in Method.values:
        raise ValidationError({"method": _("Unknown payment method “%(m)s”.") % {"m": method}})
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if currency and currency.upper() != invoice.currency:
        raise ValidationError(
            {
                "currency": _("This document is in %(c)s; record the payment in %(c)s.")
                % {"c": invoice.currency}
            }
        )
    if invoice.kind == DocumentKind.CREDIT_NOTE:
        raise ValidationError({"invoice": _("A credit note cannot be paid.")})
    if invoice.status == Invoice.Status.PAID:
        raise ValidationError({"invoice": _("%(n)s is already paid.") % {"n": invoice.number}})
    if invoice.status == Invoice.Status.CANCELLED:
        raise ValidationError({"invoice": _("%(n)s is cancelled.") % {"n": invoice.number}})
    paid_on = paid_on or clock.today()
    if paid_on > clock.today():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
    amount = round_money(amount, invoice.currency)
    owed = invoice.total - amount_paid(invoice)
    if amount > owed:
        raise ValidationError(
            {
                "amount": _("%(a)s is more than the %(o)s still owed on %(n)s.")
                % {"a": amount, "o": owed, "n": invoice.number}
            }
        )
    payment = Payment.objects.create(
        invoice=invoice,
        customer=invoice.customer,
        amount=amount,
        currency=invoice.currency,
        method=method,
        paid_on=paid_on,
        reference=reference[:140],
        created_at=clock.now(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log_action(
        payment,
        "payment.recorded",
        actor=actor,
        data={"invoice": invoice.number, "amount": str(amount), "method": method},
    )
    notices.queue_notice(
        event=Event.PAYMENT_RECEIVED,
        customer=invoice.customer,
        invoice_id=invoice.pk,
        for_date=clock.today(),
        context={
            "customer_name": invoice.customer.display_name,
            "invoice_number": invoice.number,
            "amount": str(amount),
            "currency": invoice.currency,
            "paid_on": paid_on.isoformat(),
        },
    )
    if amount == owed:
        billing.settle(invoice, paid_on=paid_on, actor=actor)
    return payment
