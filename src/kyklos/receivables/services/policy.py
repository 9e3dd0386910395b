"""The collection policy in force (R6.6, R6.7), what is chased, and what is still owed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core.money import ZERO
from kyklos.payments.models import Payment
from kyklos.receivables.models import CollectionPolicy

#: Who the daily run's writes are recorded as.
ACTOR = "automation"
#: The documents chased and charged interest on: tax documents, never proformas.
CHASED_KINDS = (DocumentKind.INVOICE, DocumentKind.RECEIPT)


def current_policy() -> CollectionPolicy:
    """The policy with code ``default``, or the built-in defaults (R6.6: 30 days' grace;
    R6.7: 20% a year) when staff have not saved one."""
    return CollectionPolicy.objects.filter(code="default").first() or CollectionPolicy(
        code="default",
        name="Default",
        reminder_days=[7, 21, 28],
    )


def reductions(invoice_ids: list[int]) -> dict[int, list[tuple[date, Decimal]]]:
    """What lowered each document's balance, and when: payments (on their day) and
    credit notes (on their issue day). Two queries."""
    found: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for invoice_id, day, amount in Payment.objects.filter(invoice_id__in=invoice_ids).values_list(
        "invoice_id", "paid_on", "amount"
    ):
        found[invoice_id].append((day, amount))
    for invoice_id, day, amount in Invoice.objects.filter(
        related_id__in=invoice_ids, kind=DocumentKind.CREDIT_NOTE
    ).values_list("related_id", "issued_on", "total"):
        found[invoice_id].append((day, amount))
    return found


def outstanding(invoices: list[Invoice]) -> dict[int, Decimal]:
    """What is still owed on each document: its total less payments and credit notes."""
    less = reductions([i.pk for i in invoices])
    return {i.pk: i.total - sum((a for _d, a in less[i.pk]), ZERO) for i in invoices}
