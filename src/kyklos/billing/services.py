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
from django.db.models import Sum
from django.utils.translation import gettext as _

from kyklos.billing import notices, numbering, vat
from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine
from kyklos.core import clock, hooks
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action, log_actions
from kyklos.core.bulk import insert_many
from kyklos.core.money import ZERO, round_money
from kyklos.customers.models import Customer
from kyklos.notifications import services as outbox

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
    reason: str = ""


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


def document_totals(lines: list[InvoiceLine]) -> tuple[Decimal, Decimal, Decimal]:
    """Net, VAT and gross of a document: the sums of its rounded lines (never rounded
    again), so they equal the sums per VAT rate too."""
    net = sum((ln.net for ln in lines), ZERO)
    tax = sum((ln.vat for ln in lines), ZERO)
    return net, tax, net + tax


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
    user = acting_user(actor)
    now = clock.now()
    seller = _seller()
    by_series: dict[tuple[str, int], list[DocumentSpec]] = defaultdict(list)
    for spec in specs:
        if not spec.lines:
            raise ValidationError(_("A document needs at least one line."))
        by_series[(spec.kind, spec.issued_on.year)].append(spec)

    invoices: list[Invoice] = []
    numbered: list[tuple[str, int, list[Invoice]]] = []
    decider = vat.Decider()
    for (kind, year), group in by_series.items():
        built: list[Invoice] = []
        for spec in group:
            customer = spec.customer
            decision = decider.decide(
                country=customer.country, vat_id=customer.vat_id, on=spec.issued_on
            )
            lines = [
                compute_line(line, decision.rate, spec.currency, pos)
                for pos, line in enumerate(spec.lines, start=1)
            ]
            subtotal, vat_total, total = document_totals(lines)
            invoice = Invoice(
                kind=kind,
                status=spec.status,
                customer=customer,
                related_id=spec.related_id,
                issued_on=spec.issued_on,
                due_on=spec.due_on or spec.issued_on + timedelta(days=PROFORMA_DUE_DAYS),
                paid_on=spec.paid_on,
                currency=spec.currency,
                subtotal=subtotal,
                vat_total=vat_total,
                total=total,
                language=customer.language,
                seller=seller,
                buyer_name=customer.display_name,
                buyer_address=_address(customer),
                buyer_country=customer.country,
                buyer_vat_id=decision.check.vat_id or customer.vat_id,
                buyer_tax_office=customer.tax_office,
                vat_note=decision.note,
                vat_case=decision.case,
                vat_country=decision.country,
                vat_check=decision.check.method,
                vat_check_reference=decision.check.reference,
                reason=spec.reason[:300],
                created_at=now,
                created_by=user,
            )
            invoice.issued_lines = lines
            built.append(invoice)
        numbered.append((kind, year, built))
        invoices += built

    # R6.1: the numbers are taken last. Their series row stays locked until the issuing
    # transaction commits, so documents issued at the same time elsewhere (the daily
    # run's chunks in parallel) wait for it only while these are written, not while
    # they are computed.
    for kind, year, built in numbered:
        series, first = numbering.allocate(kind, year, len(built))
        for offset, invoice in enumerate(built):
            invoice.series = series
            invoice.sequence = first + offset
            invoice.number = numbering.format_number(series, invoice.sequence)
    insert_many(invoices)
    all_lines = []
    for invoice in invoices:
        for line in invoice.issued_lines:
            line.invoice = invoice
            all_lines.append(line)
    insert_many(all_lines, batch_size=2000)
    notices.queue_for(invoices)
    log_actions(
        ((inv, {"number": inv.number, "total": str(inv.total)}) for inv in invoices),
        "invoice.issued",
        actor=actor,
    )
    hooks.documents_issued.send(sender=Invoice, ids=[inv.pk for inv in invoices], actor=actor)
    return invoices


def issue_document(spec: DocumentSpec, *, actor=None) -> Invoice:
    return issue_documents([spec], actor=actor)[0]


#: The longest payment term staff may give a document issued by hand, in days.
MANUAL_MAX_DUE_DAYS = 365
#: What a document issued by hand may be: a request to pay or a tax document at once.
MANUAL_KINDS = ("proforma", "tax")


def issue_manual_document(
    customer: Customer,
    *,
    lines: list[LineSpec],
    reason: str,
    kind: str = "proforma",
    due_days: int = 0,
    actor=None,
) -> Invoice:
    """Staff issue a document by hand with one-off lines (a billed restore, an uptime
    month, agreed extra work): a proforma, or the customer's tax document (invoice or
    receipt) left open for payment. The reason is printed nowhere but kept on the
    document and in the audit trail. Refused input writes nothing and takes no number."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for issuing this document by hand.")})
    if len(reason) > Invoice._meta.get_field("reason").max_length:
        raise ValidationError({"reason": _("A reason has at most 300 characters.")})
    if kind not in MANUAL_KINDS:
        raise ValidationError({"kind": _("Choose a proforma or a tax document.")})
    if not 0 <= due_days <= MANUAL_MAX_DUE_DAYS:
        raise ValidationError(
            {"due_days": _("The payment term is 0 to %(n)d days.") % {"n": MANUAL_MAX_DUE_DAYS}}
        )
    if customer.status != Customer.Status.ACTIVE:
        raise ValidationError({"customer": _("This account is locked; nothing can be billed.")})
    if not lines:
        raise ValidationError({"lines": _("A document needs at least one line.")})
    for line in lines:
        if not line.description.strip():
            raise ValidationError({"lines": _("Every line needs a description.")})
        if line.unit_price <= 0:
            raise ValidationError({"lines": _("A line's price must be greater than zero.")})
        if line.quantity <= 0:
            raise ValidationError({"lines": _("Quantity must be positive.")})
    day = clock.today()
    document_kind = DocumentKind.PROFORMA if kind == "proforma" else tax_document_kind(customer)
    with transaction.atomic():
        document = issue_document(
            DocumentSpec(
                customer=customer,
                kind=document_kind,
                lines=lines,
                issued_on=day,
                due_on=day + timedelta(days=due_days),
                reason=reason,
            ),
            actor=actor,
        )
        log_action(
            document,
            "invoice.issued_by_hand",
            actor=actor,
            data={"number": document.number, "total": str(document.total), "reason": reason},
        )
    return document


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


# --- credit notes (R6.1) ---------------------------------------------------------------------


@dataclass(slots=True)
class CreditLine:
    """What to credit of one line of the original document.

    Give ``quantity`` (part of the line's quantity, e.g. 3 of 12 months) or ``net`` (an
    amount before VAT); neither credits what is left of the line. VAT follows the
    original line's rate.
    """

    line: InvoiceLine | int
    quantity: Decimal | None = None
    net: Decimal | None = None


def credited_amounts(invoice: Invoice) -> dict[int, tuple[Decimal, Decimal]]:
    """Per line of ``invoice``: (net, VAT) already credited by its credit notes."""
    rows = (
        InvoiceLine.objects.filter(credited_line__invoice=invoice)
        .values("credited_line_id")
        .annotate(net=Sum("net"), vat=Sum("vat"))
    )
    return {r["credited_line_id"]: (r["net"], r["vat"]) for r in rows}


@transaction.atomic
def issue_credit_note(
    invoice: Invoice, *, lines: list[CreditLine] | None = None, reason: str, actor=None
) -> Invoice:
    """Issue a credit note that corrects ``invoice`` (a tax invoice or receipt), wholly
    (``lines=None``: whatever is not credited yet) or in part (``lines``).

    The credit note takes the next number of its own series, references the original,
    copies the buyer's particulars and VAT treatment from it and never credits a line
    beyond what is left of it. An unpaid original that is wholly credited becomes
    ``credited`` (nothing left to pay). Returns the credit note, with ``issued_lines``.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the credit note.")})
    original = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if original.kind not in (DocumentKind.INVOICE, DocumentKind.RECEIPT):
        if original.kind == DocumentKind.PROFORMA:
            message = _("%(n)s is a proforma: cancel it instead; only tax documents are credited.")
        else:
            message = _("%(n)s is a credit note and cannot be credited.")
        raise ValidationError({"invoice": message % {"n": original.number}})
    currency = original.currency
    originals = {ln.pk: ln for ln in original.lines.all()}
    done = credited_amounts(original)
    left = {
        pk: (ln.net - done.get(pk, (ZERO, ZERO))[0], ln.vat - done.get(pk, (ZERO, ZERO))[1])
        for pk, ln in originals.items()
    }
    if lines is None:
        lines = [CreditLine(pk) for pk, (net, _vat) in left.items() if net > 0]
        if not lines:
            raise ValidationError(
                {"invoice": _("%(n)s is already wholly credited.") % {"n": original.number}}
            )

    if not lines:
        raise ValidationError({"lines": _("Choose at least one line to credit.")})
    credit_lines: list[InvoiceLine] = []
    seen: set[int] = set()
    for position, request in enumerate(lines, start=1):
        line_id = request.line if isinstance(request.line, int) else request.line.pk
        source = originals.get(line_id)
        if source is None:
            raise ValidationError(
                {
                    "lines": _("Line %(id)s is not a line of %(n)s.")
                    % {"id": line_id, "n": original.number}
                }
            )
        if line_id in seen:
            raise ValidationError({"lines": _("Each line can be credited once per credit note.")})
        seen.add(line_id)
        credit_lines.append(_credit_line(source, request, left[line_id], currency, position))

    subtotal, tax, total = document_totals(credit_lines)
    day = clock.today()
    series, number = numbering.allocate(DocumentKind.CREDIT_NOTE, day.year)
    user = acting_user(actor)
    note = Invoice.objects.create(
        kind=DocumentKind.CREDIT_NOTE,
        series=series,
        sequence=number,
        number=numbering.format_number(series, number),
        status=Invoice.Status.ISSUED,
        customer=original.customer,
        related=original,
        issued_on=day,
        due_on=day,
        currency=currency,
        subtotal=subtotal,
        vat_total=tax,
        total=total,
        language=original.language,
        seller=_seller(),
        buyer_name=original.buyer_name,
        buyer_address=original.buyer_address,
        buyer_country=original.buyer_country,
        buyer_vat_id=original.buyer_vat_id,
        buyer_tax_office=original.buyer_tax_office,
        vat_note=original.vat_note,
        vat_case=original.vat_case,
        vat_country=original.vat_country,
        vat_check=original.vat_check,
        vat_check_reference=original.vat_check_reference,
        reason=reason[:300],
        created_at=clock.now(),
        created_by=user,
    )
    for line in credit_lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(credit_lines)
    note.issued_lines = credit_lines

    wholly = all(
        left[pk][0] - sum((c.net for c in credit_lines if c.credited_line_id == pk), ZERO) <= 0
        for pk in originals
    )
    if wholly and original.status == Invoice.Status.OPEN:
        Invoice.objects.filter(pk=original.pk).update(status=Invoice.Status.CREDITED)
        original.status = Invoice.Status.CREDITED
    note.customer = original.customer
    outbox.queue_notices([notices.build(note, original)])
    data = {"number": note.number, "original": original.number, "total": str(note.total)}
    log_action(note, "invoice.credit_note_issued", actor=actor, data={**data, "reason": reason})
    log_action(original, "invoice.credited", actor=actor, data={**data, "wholly": wholly})
    hooks.documents_issued.send(sender=Invoice, ids=[note.pk], actor=actor)
    return note


def _credit_line(
    source: InvoiceLine,
    request: CreditLine,
    left: tuple[Decimal, Decimal],
    currency: str,
    position: int,
) -> InvoiceLine:
    """The credit-note line for ``request`` against ``source``, of which ``left`` (net,
    VAT) is still uncredited."""
    left_net, left_vat = left
    quantity, unit_price, discount = source.quantity, source.unit_price, source.discount
    if request.quantity is not None and request.net is not None:
        raise ValidationError({"lines": _("Credit a line by quantity or by amount, not both.")})
    if request.quantity is not None:
        quantity = Decimal(request.quantity)
        if quantity <= 0 or quantity > source.quantity:
            raise ValidationError(
                {
                    "lines": _("Credit between 0 and %(q)s of “%(d)s”.")
                    % {"q": source.quantity.normalize(), "d": source.description}
                }
            )
        discount = round_money(source.discount * quantity / source.quantity, currency)
        net = round_money(unit_price * quantity, currency) - discount
    elif request.net is not None:
        net = round_money(request.net, currency)
        quantity, unit_price, discount = Decimal("1"), net, ZERO
        if net <= 0:
            raise ValidationError({"lines": _("A credited amount must be greater than zero.")})
    else:
        net = left_net
        if net != source.net:
            quantity, unit_price, discount = Decimal("1"), net, ZERO
    if net > left_net:
        raise ValidationError(
            {
                "lines": _("%(a)s is more than the %(left)s left to credit on “%(d)s” of %(n)s.")
                % {
                    "a": net,
                    "left": left_net,
                    "d": source.description,
                    "n": source.invoice.number,
                }
            }
        )
    if net <= 0:
        raise ValidationError(
            {"lines": _("“%(d)s” is already wholly credited.") % {"d": source.description}}
        )
    # The last part of a line takes exactly the VAT left, so a line credited in parts
    # nets to zero whatever the rounding of each part.
    tax = left_vat if net == left_net else round_money(net * source.vat_rate / 100, currency)
    return InvoiceLine(
        position=position,
        description=source.description,
        product_code=source.product_code,
        period_start=source.period_start,
        period_end=source.period_end,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        vat_rate=source.vat_rate,
        net=net,
        vat=tax,
        total=net + tax,
        credited_line=source,
    )


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


def seed_vat_rates() -> int:
    """Insert the shipped VAT rates that are missing, as the migrations do."""
    return vat.seed_rates()
