"""Staff reports (R6.6, R6.3): accounts-receivable aging and the VAT report, with a
CSV export that neutralises formula injection.

Both are read-only and set-based: each is one SELECT, whatever the number of documents.

Aging
    Open tax documents (invoices and receipts; proformas on request) with what is still
    owed: total − payments recorded against them − credit notes issued against them.
    Each is put in a bucket by days past its due date on the report day: 0–30 (which
    includes documents not yet due), 31–60, 61–90, over 90; rows per customer and
    currency, with totals per currency.

VAT report
    Tax documents issued in a period, by VAT treatment: domestic sales per rate, EU
    consumer sales per member state and rate (what the OSS return declares), reverse-
    charge supplies per member state and buyer VAT id (what the recapitulative
    statement lists), and supplies outside the scope of EU VAT. Credit notes are netted
    into the row of the supply they correct (same case, country and rate) and shown in
    their own columns too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine, Transmission
from kyklos.core.money import round_money

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
BUCKETS = ("0-30", "31-60", "61-90", "90+")


# --- aging ---------------------------------------------------------------------------------


def bucket(days_past_due: int) -> str:
    if days_past_due <= 30:
        return "0-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


@dataclass
class AgingRow:
    customer_id: int
    customer: str
    currency: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    documents: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass
class Aging:
    as_of: date
    rows: list[AgingRow]
    totals: dict[str, AgingRow]  # per currency


def _paid_subquery():
    """What was paid against each document. The payments app sits beside billing and
    imports it, so billing reaches its rows through the reverse relation only."""
    try:
        payment = Invoice._meta.get_field("payments").related_model
    except Exception:  # the payments app is not installed
        return Value(ZERO, output_field=MONEY)
    paid = (
        payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _credited_subquery():
    credited = (
        Invoice.objects.filter(related=OuterRef("pk"), kind=DocumentKind.CREDIT_NOTE)
        .order_by()
        .values("related")
        .annotate(s=Sum("total"))
        .values("s")
    )
    return Coalesce(Subquery(credited, output_field=MONEY), Value(ZERO), output_field=MONEY)


def aging(as_of: date, *, include_proformas: bool = False) -> Aging:
    kinds = [DocumentKind.INVOICE, DocumentKind.RECEIPT]
    if include_proformas:
        kinds.append(DocumentKind.PROFORMA)
    documents = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, kind__in=kinds, issued_on__lte=as_of)
        .annotate(outstanding=F("total") - _paid_subquery() - _credited_subquery())
        .filter(outstanding__gt=0)
        .order_by("customer_id", "currency", "due_on")
        .values(
            "customer_id",
            "customer__kind",
            "customer__name",
            "customer__company_name",
            "currency",
            "due_on",
            "outstanding",
        )
    )
    rows: dict[tuple[int, str], AgingRow] = {}
    totals: dict[str, AgingRow] = {}
    for doc in documents:
        name = (
            doc["customer__company_name"]
            if doc["customer__kind"] == "company" and doc["customer__company_name"]
            else doc["customer__name"]
        )
        key = (doc["customer_id"], doc["currency"])
        row = rows.setdefault(key, AgingRow(doc["customer_id"], name, doc["currency"]))
        total = totals.setdefault(doc["currency"], AgingRow(0, "", doc["currency"]))
        slot = bucket((as_of - doc["due_on"]).days)
        # SQLite computes the subtraction in binary floating point: back to cents.
        owed = round_money(doc["outstanding"], doc["currency"])
        for target in (row, total):
            target.amounts[slot] += owed
            target.documents += 1
    ordered = sorted(rows.values(), key=lambda r: (r.currency, -r.total, r.customer))
    return Aging(as_of=as_of, rows=ordered, totals=totals)


def aging_csv_rows(report: Aging) -> Iterable[list]:
    yield ["customer_id", "customer", "currency", *BUCKETS, "total", "documents"]
    for row in report.rows:
        yield [
            row.customer_id,
            row.customer,
            row.currency,
            *row.amounts.values(),
            row.total,
            row.documents,
        ]
    for currency, total in sorted(report.totals.items()):
        yield ["", "TOTAL", currency, *total.amounts.values(), total.total, total.documents]


# --- VAT -----------------------------------------------------------------------------------


SECTIONS = {
    Invoice.VatCase.DOMESTIC: "domestic",
    Invoice.VatCase.EU_B2C: "oss",
    Invoice.VatCase.REVERSE_CHARGE: "reverse_charge",
    Invoice.VatCase.OUTSIDE_SCOPE: "outside_scope",
}


@dataclass
class VatRow:
    case: str
    country: str
    rate: Decimal
    currency: str
    buyer_vat_id: str
    net_sales: Decimal
    vat_sales: Decimal
    net_credits: Decimal
    vat_credits: Decimal

    @property
    def net(self) -> Decimal:
        return self.net_sales - self.net_credits

    @property
    def vat(self) -> Decimal:
        return self.vat_sales - self.vat_credits


@dataclass
class VatReport:
    start: date
    end: date
    rows: list[VatRow]

    def section(self, case: str) -> list[VatRow]:
        return [r for r in self.rows if r.case == case]

    def totals(self) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """Net and VAT per (case, currency), credit notes netted."""
        result: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        for r in self.rows:
            net, tax = result.get((r.case, r.currency), (ZERO, ZERO))
            result[(r.case, r.currency)] = (net + r.net, tax + r.vat)
        return result


def vat_report(start: date, end: date) -> VatReport:
    """Tax documents issued from ``start`` to ``end`` (both included)."""
    credit = Q(invoice__kind=DocumentKind.CREDIT_NOTE)

    def part(column: str, credits: bool):
        return Coalesce(
            Sum(Case(When(credit if credits else ~credit, then=F(column)), output_field=MONEY)),
            Value(ZERO),
            output_field=MONEY,
        )

    rows = (
        InvoiceLine.objects.filter(
            invoice__kind__in=[
                DocumentKind.INVOICE,
                DocumentKind.RECEIPT,
                DocumentKind.CREDIT_NOTE,
            ],
            invoice__issued_on__gte=start,
            invoice__issued_on__lte=end,
        )
        .annotate(
            buyer=Case(
                When(
                    invoice__vat_case=Invoice.VatCase.REVERSE_CHARGE,
                    then=F("invoice__buyer_vat_id"),
                ),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .values(
            "invoice__vat_case", "invoice__vat_country", "vat_rate", "invoice__currency", "buyer"
        )
        .annotate(
            net_sales=part("net", False),
            vat_sales=part("vat", False),
            net_credits=part("net", True),
            vat_credits=part("vat", True),
        )
        .order_by(
            "invoice__vat_case", "invoice__vat_country", "vat_rate", "invoice__currency", "buyer"
        )
    )
    return VatReport(
        start=start,
        end=end,
        rows=[
            VatRow(
                case=r["invoice__vat_case"],
                country=r["invoice__vat_country"],
                rate=r["vat_rate"],
                currency=r["invoice__currency"],
                buyer_vat_id=r["buyer"],
                net_sales=round_money(r["net_sales"], r["invoice__currency"]),
                vat_sales=round_money(r["vat_sales"], r["invoice__currency"]),
                net_credits=round_money(r["net_credits"], r["invoice__currency"]),
                vat_credits=round_money(r["vat_credits"], r["invoice__currency"]),
            )
            for r in rows
        ],
    )


def vat_csv_rows(report: VatReport) -> Iterable[list]:
    yield [
        "section",
        "country",
        "rate",
        "currency",
        "buyer_vat_id",
        "net_sales",
        "vat_sales",
        "net_credit_notes",
        "vat_credit_notes",
        "net",
        "vat",
    ]
    for r in report.rows:
        yield [
            SECTIONS.get(r.case, r.case),
            r.country,
            r.rate,
            r.currency,
            r.buyer_vat_id,
            r.net_sales,
            r.vat_sales,
            r.net_credits,
            r.vat_credits,
            r.net,
            r.vat,
        ]


@dataclass(frozen=True)
class UnreportedRow:
    invoice_id: int
    number: str
    kind: str
    issued_on: date
    channel: str
    status: str
    error: str


def unreported(start: date, end: date) -> list[UnreportedRow]:
    """Tax documents issued from ``start`` to ``end`` whose report to a national
    e-invoicing system (myDATA, KSeF) is not accepted yet — pending, being sent, waiting
    to retry or failed — one row per document and channel, oldest first (one SELECT)."""
    rows = (
        Transmission.objects.filter(
            status__in=Transmission.UNREPORTED,
            invoice__issued_on__gte=start,
            invoice__issued_on__lte=end,
        )
        .select_related("invoice")
        .order_by("invoice__issued_on", "invoice__number", "authority")
    )
    return [
        UnreportedRow(
            t.invoice_id,
            t.invoice.number,
            t.invoice.get_kind_display(),
            t.invoice.issued_on,
            t.authority_label,
            t.get_status_display(),
            t.error[:200],
        )
        for t in rows
    ]


# --- CSV -----------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A CSV cell that a spreadsheet cannot run: text starting with ``=``, ``+``, ``-``,
    ``@`` (or a tab or carriage return) gets a leading apostrophe. Amounts are written
    as plain numbers (``-24.00`` stays a number: it is not a formula)."""
    if isinstance(value, Decimal | int):
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
