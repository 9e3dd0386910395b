"""Payments: accounting records kept with the tax documents they settle (R9.3, R9.4).

A payment's ``reference`` (a bank transfer's reference, a card charge id) may name the
payer: an erasure clears it (the payment itself — amount, date, method, the document it
settled — stays with the tax documents); retention clears it for customers anonymised
after the tax period.

Statement lines (the payer's name, account and message) and transfer proofs are
billing records: exported on request, kept for the tax period instead of erased.
"""

from __future__ import annotations

from django.db.models import Q

from kyklos.core.personal_data import (
    ANONYMISE,
    ERASED_DOMAIN,
    TAX_HOLD,
    Erased,
    Subject,
    personal_data,
)
from kyklos.customers.models import Customer
from kyklos.payments.models import (
    BankStatement,
    CardCharge,
    CardProfile,
    Payment,
    SavedCard,
    StatementLine,
    TransferProof,
)

#: Why statement lines and transfer proofs are kept (in the registry, and in an erasure).
RECORDS_HOLD = "billing records are kept for the tax period (R9.4)"
RECORD_KEPT = "billing record kept for the tax period (R9.4)"


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


def export_statement_lines(subject: Subject):
    if subject.customer_id is None:
        return []
    rows = StatementLine.objects.filter(customer_id=subject.customer_id).order_by("booked_on")
    return [
        {
            "booked_on": row.booked_on.isoformat(),
            "amount": str(row.amount),
            "currency": row.currency,
            "debtor_name": row.debtor_name,
            "debtor_iban": row.debtor_iban,
            "remittance": row.remittance,
        }
        for row in rows
    ]


def export_proofs(subject: Subject):
    if subject.customer_id is None:
        return []
    rows = TransferProof.objects.filter(customer_id=subject.customer_id).order_by("uploaded_at")
    return [
        {
            "uploaded_at": row.uploaded_at.isoformat(),
            "amount": str(row.amount),
            "currency": row.currency,
            "paid_on": row.paid_on.isoformat(),
            "bank_reference": row.bank_reference,
            "document": row.document.name,
            "status": row.status,
        }
        for row in rows
    ]


def export_cards(subject: Subject):
    if subject.customer_id is None:
        return []
    rows = SavedCard.objects.filter(customer_id=subject.customer_id).order_by("created_at")
    return [
        {
            "card": str(row),
            "saved_at": row.created_at.isoformat(),
            "removed_at": row.removed_at.isoformat() if row.removed_at else None,
        }
        for row in rows
    ]


def erase_cards(subject: Subject) -> Erased:
    """A saved card is forgotten: no longer charged, its face blanked. (The card itself
    is held by Stripe, under the provider's customer id; staff remove it there.)"""
    if subject.customer_id is None:
        return Erased()
    CardProfile.objects.filter(customer_id=subject.customer_id).update(auto_pay=False)
    cleared = SavedCard.objects.filter(customer_id=subject.customer_id).exclude(last4="")
    from kyklos.core import clock

    count = cleared.update(last4="", brand="", removed_at=clock.now())
    return Erased(anonymised=count)


def keep_for_tax_period(model):
    def eraser(subject: Subject) -> Erased:
        kept = 0
        if subject.customer_id is not None:
            kept = model.objects.filter(customer_id=subject.customer_id).count()
        return Erased(kept=kept, kept_reason=RECORD_KEPT)

    return eraser


def register() -> None:
    personal_data.register(
        StatementLine,
        category="tax_records",
        fields=["debtor_name", "debtor_iban", "remittance"],
        exporter=export_statement_lines,
        eraser=keep_for_tax_period(StatementLine),
        legal_hold=RECORDS_HOLD,
    )
    personal_data.register(
        TransferProof,
        category="tax_records",
        fields=["document", "bank_reference"],
        exporter=export_proofs,
        eraser=keep_for_tax_period(TransferProof),
        legal_hold=RECORDS_HOLD,
    )
    personal_data.declare_exempt(
        BankStatement, "file_name is the name of the provider's own statement file"
    )
    personal_data.register(
        SavedCard,
        category="customer_records",
        fields=["brand", "last4", "exp_month", "exp_year"],
        exporter=export_cards,
        eraser=erase_cards,
    )
    personal_data.declare_exempt(
        CardProfile, "provider_customer is the card provider's opaque id for the customer"
    )
    personal_data.declare_exempt(
        CardCharge, "an attempt's provider answer and codes; the card is in SavedCard"
    )
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
