"""What the payments app tells the personal-data registry (R9.3, R9.4).

Statement lines (the payer's name, account and message) and transfer proofs are
billing records: exported on request, kept for the tax period instead of erased.
"""

from __future__ import annotations

from kyklos.core.personal_data import Erased, Subject
from kyklos.payments.models import StatementLine, TransferProof


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


def keep_for_tax_period(model):
    def eraser(subject: Subject) -> Erased:
        kept = 0
        if subject.customer_id is not None:
            kept = model.objects.filter(customer_id=subject.customer_id).count()
        return Erased(kept=kept, kept_reason="billing record kept for the tax period (R9.4)")

    return eraser
