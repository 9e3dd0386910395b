"""Issuing and settling billing documents.

:func:`issue_documents` is the one path by which any document comes to exist: it
snapshots the parties, computes lines (rounded per line, then summed), takes gapless
numbers as a block, and writes documents, lines and audit events in bulk, so the daily
run can issue thousands of proformas with a handful of statements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.billing import numbering, vat
from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine
from kyklos.core import clock, hooks
from kyklos.core.audit import log_action, log_actions
from kyklos.core.money import ZERO, round_money
from kyklos.customers.models import Customer

#: Proformas are payable on receipt; this is how many days the due date allows (R6.6).
PROFORMA_DUE_DAYS = 0


@dataclass(slots=True)
class LineSpec:
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal("1")
    discount: Decimal = ZERO
    product_code: str = ""
    period_start: date | None = None
    period_end: date | None = None


@dataclass(slots=True)
class DocumentSpec:
    customer: Customer
    kind: str
    lines: list[LineSpec]
    issued_on: date
    due_on: date | None = None
    currency: str = field(default_factory=lambda: settings.KYKLOS_CURRENCY)
    related_id: int | None = None
    status: str = Invoice.Status.OPEN
    paid_on: date | None = None


def compute_line(spec: LineSpec, rate: Decimal, currency: str, position: int) -> InvoiceLine:
    """A line's amounts: net rounded, VAT on the rounded net rounded, total the sum."""
    if spec.quantity <= 0:
        raise ValidationError({"quantity": _("Quantity must be positive.")})
    if spec.unit_price < 0 or spec.discount < 0:
        raise ValidationError({"unit_price": _("Prices and discounts cannot be negative.")})
    gross = round_money(spec.unit_price * spec.quantity, currency)
    net = max(gross - round_money(spec.discount, currency), ZERO)
    tax = round_money(net * rate / 100, currency)
    return InvoiceLine(
        position=position,
        description=spec.description[:300],
        product_code=spec.product_code,
        period_start=spec.period_start,
        period_end=spec.period_end,
        quantity=spec.quantity,
        unit_price=round_money(spec.unit_price, currency),
        discount=round_money(spec.discount, currency),
        vat_rate=rate,
        net=net,
        vat=tax,
        total=net + tax,
    )


def _seller() -> dict:
    return {**settings.KYKLOS_PROVIDER, "country": settings.KYKLOS_COUNTRY}


def _address(customer: Customer) -> str:
    parts = [customer.address, f"{customer.postal_code} {customer.city}".strip()]
    return ", ".join(p for p in parts if p)


@transaction.atomic
def issue_documents(specs: list[DocumentSpec], *, actor=None) -> list[Invoice]:
    """Issue many documents at once; returns them saved, each with ``issued_lines``."""
    if not specs:
        return []
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = clock.now()
    seller = _seller()
    by_series: dict[tuple[str, int], list[DocumentSpec]] = defaultdict(list)
    for spec in specs:
        if not spec.lines:
            raise ValidationError(_("A document needs at least one line."))
        by_series[(spec.kind, spec.issued_on.year)].append(spec)

    invoices: list[Invoice] = []
    for (kind, year), group in by_series.items():
        series, first = numbering.allocate(kind, year, len(group))
        for offset, spec in enumerate(group):
            customer = spec.customer
            decision = vat.decide(country=customer.country, vat_id=customer.vat_id)
            lines = [
                compute_line(line, decision.rate, spec.currency, pos)
                for pos, line in enumerate(spec.lines, start=1)
            ]
            sequence = first + offset
            invoice = Invoice(
                kind=kind,
                series=series,
                sequence=sequence,
                number=numbering.format_number(series, sequence),
                status=spec.status,
                customer=customer,
                related_id=spec.related_id,
                issued_on=spec.issued_on,
                due_on=spec.due_on or spec.issued_on + timedelta(days=PROFORMA_DUE_DAYS),
                paid_on=spec.paid_on,
                currency=spec.currency,
                subtotal=sum((ln.net for ln in lines), ZERO),
                vat_total=sum((ln.vat for ln in lines), ZERO),
                total=sum((ln.total for ln in lines), ZERO),
                language=customer.language,
                seller=seller,
                buyer_name=customer.display_name,
                buyer_address=_address(customer),
                buyer_country=customer.country,
                buyer_vat_id=customer.vat_id,
                vat_note=decision.note,
                created_at=now,
                created_by=user,
            )
            invoice.issued_lines = lines
            invoices.append(invoice)

    Invoice.objects.bulk_create(invoices)
    all_lines = []
    for invoice in invoices:
        for line in invoice.issued_lines:
            line.invoice = invoice
            all_lines.append(line)
    InvoiceLine.objects.bulk_create(all_lines, batch_size=2000)
    log_actions(
        ((inv, {"number": inv.number, "total": str(inv.total)}) for inv in invoices),
        "invoice.issued",
        actor=actor,
    )
    return invoices


def issue_document(spec: DocumentSpec, *, actor=None) -> Invoice:
    return issue_documents([spec], actor=actor)[0]


def tax_document_kind(customer: Customer) -> str:
    """Companies get a tax invoice, persons a receipt (Greek practice: ΤΠΥ / ΑΠΥ)."""
    return DocumentKind.INVOICE if customer.kind == Customer.Kind.COMPANY else DocumentKind.RECEIPT


@transaction.atomic
def settle(invoice: Invoice, *, paid_on: date, actor=None) -> Invoice | None:
    """Mark ``invoice`` paid. A paid proforma gets its tax document (invoice or receipt)
    with the same lines; then :data:`hooks.invoice_paid` lets higher apps act (renewals).

    Returns the tax document issued, or None when ``invoice`` was already a tax document.
    """
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN:
        raise ValidationError(_("Document %(number)s is not open.") % {"number": invoice.number})
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID, paid_on=paid_on)
    invoice.status, invoice.paid_on = Invoice.Status.PAID, paid_on
    log_action(invoice, "invoice.paid", actor=actor, data={"paid_on": paid_on.isoformat()})

    tax_document = None
    if invoice.kind == DocumentKind.PROFORMA:
        lines = [
            LineSpec(
                description=ln.description,
                unit_price=ln.unit_price,
                quantity=ln.quantity,
                discount=ln.discount,
                product_code=ln.product_code,
                period_start=ln.period_start,
                period_end=ln.period_end,
            )
            for ln in invoice.lines.all()
        ]
        tax_document = issue_document(
            DocumentSpec(
                customer=invoice.customer,
                kind=tax_document_kind(invoice.customer),
                lines=lines,
                issued_on=paid_on,
                due_on=paid_on,
                currency=invoice.currency,
                related_id=invoice.pk,
                status=Invoice.Status.PAID,
                paid_on=paid_on,
            ),
            actor=actor,
        )
    hooks.invoice_paid.send(sender=Invoice, invoice=invoice, tax_document=tax_document, actor=actor)
    return tax_document


def cancel_proformas(invoice_ids: list[int], *, reason: str, actor=None) -> int:
    """Cancel open proformas (set-based). Tax documents are never cancelled: they are
    corrected by credit notes."""
    rows = list(
        Invoice.objects.filter(
            pk__in=invoice_ids, kind=DocumentKind.PROFORMA, status=Invoice.Status.OPEN
        ).only("pk", "customer_id")
    )
    if not rows:
        return 0
    Invoice.objects.filter(pk__in=[r.pk for r in rows]).update(status=Invoice.Status.CANCELLED)
    log_actions(((r, {"reason": reason}) for r in rows), "invoice.cancelled", actor=actor)
    return len(rows)
