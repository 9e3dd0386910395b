"""Reads: what is paid and owed, a customer's credit, what waits for staff review, and
what the portal shows before paying (methods, fees, the transfer reference, refunds)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from kyklos.billing.models import Invoice
from kyklos.core.money import ZERO
from kyklos.core.prepared import prepared
from kyklos.payments import fees
from kyklos.payments.methods import PaymentMethod, registry
from kyklos.payments.models import (
    CreditEntry,
    Direction,
    IdentityCheck,
    Payment,
    ReviewStatus,
    StatementLine,
    TransferProof,
)


def amount_paid(invoice: Invoice) -> Decimal:
    """Money received against ``invoice`` (refunds paid out are not counted here)."""
    paid = Payment.objects.filter(invoice=invoice, direction=Direction.IN).aggregate(
        s=Sum("amount")
    )["s"]
    return paid or ZERO


def outstanding(invoice: Invoice) -> Decimal:
    """What is still owed on an open document."""
    if invoice.status != Invoice.Status.OPEN:
        return ZERO
    return invoice.total - amount_paid(invoice)


def credit_balance(customer_id: int, currency: str) -> Decimal:
    total = CreditEntry.objects.filter(customer_id=customer_id, currency=currency).aggregate(
        s=Sum("amount")
    )["s"]
    return total or ZERO


def credit_balances(customer_id: int) -> dict[str, Decimal]:
    """Every currency the customer has credit in, with a non-zero balance."""
    return {currency: total for currency, total in _credit_sums(customer_id) if total}


#: Read on every view of the portal's invoice list: compiled once (core.prepared).
_credit_sums = prepared(
    "payments.credit_balances",
    lambda customer_id: (
        CreditEntry.objects.filter(customer_id=customer_id)
        .values("currency")
        .annotate(s=Sum("amount"))
        .order_by("currency")
        .values_list("currency", "s")
    ),
)


def is_on_identity_hold(invoice_id: int) -> bool:
    """R6.5: staff asked for an ID for this document and it is not verified yet."""
    return IdentityCheck.objects.filter(
        invoice_id=invoice_id,
        status__in=[IdentityCheck.Status.REQUESTED, IdentityCheck.Status.FAILED],
    ).exists()


def pending_proofs():
    return TransferProof.objects.filter(status=ReviewStatus.PENDING).select_related(
        "invoice", "customer"
    )


def unmatched_statement_lines():
    return StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).select_related(
        "statement"
    )


def payments_for_customer(customer_id: int):
    return Payment.objects.filter(customer_id=customer_id).select_related("invoice")


# --- before paying: what the portal offers ---------------------------------------------------


def customer_methods() -> list[PaymentMethod]:
    """The payment methods a customer may choose, in the order they are offered."""
    return registry.customer_methods()


def fee_quotes(invoice: Invoice, methods: list[str]) -> list[fees.FeeQuote]:
    """What paying ``invoice`` costs with each of ``methods`` (:func:`fees.quotes`)."""
    return fees.quotes(invoice, methods)


def creditor_reference(invoice: Invoice) -> str:
    """The ISO 11649 reference a bank transfer for ``invoice`` quotes."""
    from kyklos.payments import bank  # bank builds on payments.services, which reads here

    return bank.creditor_reference(invoice)


def eligible_refunds(invoices: list[Invoice]) -> dict:
    """Which of ``invoices`` can be refunded now, each with its quote."""
    from kyklos.payments import refunds  # refunds builds on payments.services

    return refunds.eligible_refunds(invoices)


def saved_cards(customer_id: int):
    """The customer's cards on file (newest first), never their numbers."""
    from kyklos.payments.models import SavedCard

    return SavedCard.objects.filter(customer_id=customer_id, removed_at__isnull=True)


def auto_pay_on(customer_id: int) -> bool:
    from kyklos.payments.models import CardProfile

    return CardProfile.objects.filter(customer_id=customer_id, auto_pay=True).exists()


def card_charges(invoice_id: int):
    """Every automatic charge attempt on a document (staff and the customer see them)."""
    from kyklos.payments.models import CardCharge

    return (
        CardCharge.objects.filter(invoice_id=invoice_id).select_related("card").order_by("attempt")
    )
