"""The ``InvoicesDoc`` XML of one document (lxml), from plain data.

:func:`build` knows nothing of the database: :mod:`.channel` reads the document, its
payments and the MARK of the document a credit note corrects into a :class:`DocumentData`,
and this module writes it in the element order of the official schema.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from kyklos.einvoicing.channels.mydata import mapping
from kyklos.einvoicing.channels.mydata.schema import SchemaVersion

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Party:
    vat_number: str
    country: str
    name: str = ""
    postal_code: str = ""
    city: str = ""
    street: str = ""
    branch: int = 0


@dataclass(frozen=True)
class Line:
    net: Decimal
    vat: Decimal
    rate: Decimal


@dataclass(frozen=True)
class DocumentData:
    """What myDATA needs of one Kyklos document."""

    series: str
    aa: str
    issued_on: date
    currency: str
    issuer: Party
    treatment: mapping.Treatment
    is_credit_note: bool
    lines: list[Line]
    net: Decimal
    vat: Decimal
    total: Decimal
    counterpart: Party | None = None
    payments: list[tuple[int, Decimal]] = field(default_factory=list)
    correlated_mark: str = ""

    @property
    def invoice_type(self) -> str:
        t = self.treatment
        return t.credit_type if self.is_credit_note else t.invoice_type


def uid(
    vat_number: str, issued_on: date, branch: int, invoice_type: str, series: str, aa: str
) -> str:
    """AADE's invoice UID: SHA-1 (upper-case hex) of issuer VAT number, issue date, branch,
    type, series and number joined by ``-``, the series in ISO-8859-7 as AADE computes it."""
    raw = "-".join([vat_number, issued_on.isoformat(), str(branch), invoice_type, series, aa])
    return (
        hashlib.sha1(raw.encode("iso-8859-7", errors="replace"), usedforsecurity=False)
        .hexdigest()
        .upper()
    )


def document_uid(data: DocumentData) -> str:
    return uid(
        data.issuer.vat_number,
        data.issued_on,
        data.issuer.branch,
        data.invoice_type,
        data.series,
        data.aa,
    )


def _amount(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def build(data: DocumentData, version: SchemaVersion) -> bytes:
    """The ``InvoicesDoc`` with one ``invoice``, UTF-8 bytes with an XML declaration."""
    inv, icls = version.invoice_ns, version.icls_ns
    root = etree.Element(f"{{{inv}}}InvoicesDoc", nsmap={None: inv, "icls": icls})

    def add(parent, tag: str, text=None, ns: str = inv):
        element = etree.SubElement(parent, f"{{{ns}}}{tag}")
        if text is not None:
            element.text = str(text)
        return element

    invoice = add(root, "invoice")
    _party(add, add(invoice, "issuer"), data.issuer, with_name=False)
    if data.counterpart is not None:
        _party(add, add(invoice, "counterpart"), data.counterpart, with_name=True)

    header = add(invoice, "invoiceHeader")
    add(header, "series", data.series)
    add(header, "aa", data.aa)
    add(header, "issueDate", data.issued_on.isoformat())
    add(header, "invoiceType", data.invoice_type)
    add(header, "currency", data.currency)
    if data.correlated_mark:
        add(header, "correlatedInvoices", data.correlated_mark)

    if data.payments:
        methods = add(invoice, "paymentMethods")
        for kind, amount in data.payments:
            detail = add(methods, "paymentMethodDetails")
            add(detail, "type", kind)
            add(detail, "amount", _amount(amount))

    treatment = data.treatment
    classified: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for number, line in enumerate(data.lines, start=1):
        row = add(invoice, "invoiceDetails")
        add(row, "lineNumber", number)
        add(row, "netValue", _amount(line.net))
        add(row, "vatCategory", mapping.vat_category(line.rate, treatment.vat_exemption))
        add(row, "vatAmount", _amount(line.vat))
        if treatment.vat_exemption is not None:
            add(row, "vatExemptionCategory", treatment.vat_exemption)
        _classify(add, row, icls, treatment.e3, line.net)
        classified[treatment.e3] += line.net

    summary = add(invoice, "invoiceSummary")
    add(summary, "totalNetValue", _amount(data.net))
    add(summary, "totalVatAmount", _amount(data.vat))
    for name in (
        "totalWithheldAmount",
        "totalFeesAmount",
        "totalStampDutyAmount",
        "totalOtherTaxesAmount",
        "totalDeductionsAmount",
    ):
        add(summary, name, _amount(ZERO))
    add(summary, "totalGrossValue", _amount(data.total))
    for e3, amount in classified.items():
        _classify(add, summary, icls, e3, amount)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(add, element, party: Party, *, with_name: bool) -> None:
    add(element, "vatNumber", party.vat_number)
    add(element, "country", party.country)
    add(element, "branch", party.branch)
    # AADE knows Greek parties by their VAT number: name and address only for foreign ones.
    if with_name and party.country != "GR":
        add(element, "name", party.name[:200])
        address = add(element, "address")
        if party.street:
            add(address, "street", party.street[:150])
        add(address, "postalCode", party.postal_code or "-")
        add(address, "city", (party.city or "-")[:150])


def _classify(add, parent, icls: str, e3: str, amount: Decimal) -> None:
    element = add(parent, "incomeClassification")
    add(element, "classificationType", e3, ns=icls)
    add(element, "classificationCategory", mapping.SERVICES_CATEGORY, ns=icls)
    add(element, "amount", _amount(amount), ns=icls)
