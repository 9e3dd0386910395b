"""EN 16931 e-invoices in UBL 2.1, Peppol BIS Billing 3.0 profile (R6.8).

:func:`to_ubl` writes a tax invoice or receipt as a UBL ``Invoice`` (type 380) and a
credit note as a UBL ``CreditNote`` (type 381) that references the invoice it corrects.
Proformas have no tax effect and are not exported.

VAT categories (UNCL 5305) follow the document's VAT case:

============== ==== ===================================================================
case           code notes
============== ==== ===================================================================
domestic       S    the provider's rate
eu_b2c         S    the customer's member-state rate (OSS)
reverse_charge AE   0 %, exemption code VATEX-EU-AE; both parties' VAT ids
outside_scope  O    no rate, exemption code VATEX-EU-O; EN 16931 (BR-O-02) forbids VAT
                    ids here, so the seller's VAT number goes in as its tax
                    registration id (BT-32) and the buyer's is left out
============== ==== ===================================================================

Endpoint ids (Peppol electronic addresses, BT-34/BT-49): the seller's from
``KYKLOS_PEPPOL_ENDPOINT`` (``scheme:id``), else the EAS code of its country's VAT
scheme with its VAT id; the buyer's from its VAT id the same way, else its billing
e-mail (scheme ``EM``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.conf import settings

from kyklos.billing.models import DocumentKind, Invoice

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ET.register_namespace("cac", NS["cac"])
ET.register_namespace("cbc", NS["cbc"])

#: Peppol EAS codes of the member states' VAT numbers (CEF EAS code list).
VAT_ENDPOINT_SCHEMES = {
    "AT": "9914",
    "BE": "9925",
    "BG": "9926",
    "CY": "9928",
    "CZ": "9929",
    "DE": "9930",
    "EE": "9931",
    "ES": "9920",
    "FR": "9957",
    "GR": "9933",
    "HR": "9934",
    "HU": "9910",
    "IE": "9935",
    "LT": "9937",
    "LU": "9938",
    "LV": "9939",
    "MT": "9943",
    "NL": "9944",
    "PL": "9945",
    "PT": "9946",
    "RO": "9947",
    "SI": "9949",
    "SK": "9950",
}

CATEGORIES = {
    Invoice.VatCase.DOMESTIC: "S",
    Invoice.VatCase.EU_B2C: "S",
    Invoice.VatCase.REVERSE_CHARGE: "AE",
    Invoice.VatCase.OUTSIDE_SCOPE: "O",
}
EXEMPTIONS = {
    "AE": ("VATEX-EU-AE", "Reverse charge"),
    "O": ("VATEX-EU-O", "Not subject to VAT"),
}
UNIT_CODE = "C62"  # "one" (UN/ECE Recommendation 20)


class NotExportable(ValueError):
    """Proformas are requests to pay, not tax documents, and have no e-invoice."""


def category(invoice: Invoice, rate: Decimal) -> str:
    if invoice.vat_case in CATEGORIES:
        return CATEGORIES[invoice.vat_case]
    return "S" if rate > 0 else "O"  # documents issued before the VAT case was recorded


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


class _Writer:
    def __init__(self, root_name: str):
        self.root = ET.Element(f"{{{NS[root_name]}}}{root_name}")

    @staticmethod
    def add(parent, name: str, text=None, **attrs):
        prefix, local = name.split(":")
        element = ET.SubElement(parent, f"{{{NS[prefix]}}}{local}", attrs)
        if text is not None:
            element.text = str(text)
        return element

    def money(self, parent, name: str, value: Decimal, currency: str):
        return self.add(parent, name, _amount(value), currencyID=currency)


def _endpoint(vat_id: str, country: str) -> tuple[str, str] | None:
    scheme = VAT_ENDPOINT_SCHEMES.get(country)
    return (scheme, vat_id) if scheme and vat_id else None


def seller_endpoint(seller: dict) -> tuple[str, str]:
    configured = getattr(settings, "KYKLOS_PEPPOL_ENDPOINT", "")
    if configured and ":" in configured:
        scheme, value = configured.split(":", 1)
        return scheme, value
    return _endpoint(seller.get("vat_id", ""), seller.get("country", "")) or (
        "EM",
        seller.get("email", "") or "billing@invalid",
    )


def to_ubl(invoice: Invoice) -> bytes:
    """The document as UBL 2.1 XML (UTF-8)."""
    if invoice.kind == DocumentKind.PROFORMA:
        raise NotExportable(f"{invoice.number} is a proforma; only tax documents are e-invoices.")
    credit = invoice.kind == DocumentKind.CREDIT_NOTE
    lines = list(invoice.lines.all())
    currency = invoice.currency
    seller = invoice.seller
    w = _Writer("CreditNote" if credit else "Invoice")
    root, add = w.root, w.add
    outside = category(invoice, Decimal("0")) == "O"

    add(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    add(root, "cbc:ProfileID", PROFILE_ID)
    add(root, "cbc:ID", invoice.number)
    add(root, "cbc:IssueDate", invoice.issued_on.isoformat())
    if not credit:
        add(root, "cbc:DueDate", invoice.due_on.isoformat())
        add(root, "cbc:InvoiceTypeCode", "380")
    else:
        add(root, "cbc:CreditNoteTypeCode", "381")
    notes = [n for n in (invoice.reason, invoice.vat_note) if n]
    if notes:
        add(root, "cbc:Note", " — ".join(notes))
    add(root, "cbc:DocumentCurrencyCode", currency)
    add(root, "cbc:BuyerReference", f"C{invoice.customer_id}")
    if credit and invoice.related_id:
        original = invoice.related
        ref = add(add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        add(ref, "cbc:ID", original.number)
        add(ref, "cbc:IssueDate", original.issued_on.isoformat())

    # Seller (BG-4)
    party = add(add(root, "cac:AccountingSupplierParty"), "cac:Party")
    scheme, endpoint = seller_endpoint(seller)
    add(party, "cbc:EndpointID", endpoint, schemeID=scheme)
    add(add(party, "cac:PartyName"), "cbc:Name", seller.get("name", ""))
    address = add(party, "cac:PostalAddress")
    add(address, "cbc:StreetName", seller.get("street") or seller.get("address", ""))
    if seller.get("city"):
        add(address, "cbc:CityName", seller["city"])
    if seller.get("postal_code"):
        add(address, "cbc:PostalZone", seller["postal_code"])
    add(add(address, "cac:Country"), "cbc:IdentificationCode", seller.get("country", ""))
    if seller.get("vat_id"):
        tax = add(party, "cac:PartyTaxScheme")
        add(tax, "cbc:CompanyID", seller["vat_id"])
        # BR-O-02: no seller VAT id when not subject to VAT; it stays as tax registration id.
        add(add(tax, "cac:TaxScheme"), "cbc:ID", "TAX" if outside else "VAT")
    legal = add(party, "cac:PartyLegalEntity")
    add(legal, "cbc:RegistrationName", seller.get("name", ""))
    if seller.get("registry"):
        add(legal, "cbc:CompanyID", seller["registry"])
    contact = add(party, "cac:Contact")
    if seller.get("phone"):
        add(contact, "cbc:Telephone", seller["phone"])
    if seller.get("email"):
        add(contact, "cbc:ElectronicMail", seller["email"])

    # Buyer (BG-7)
    party = add(add(root, "cac:AccountingCustomerParty"), "cac:Party")
    buyer_vat = "" if outside else invoice.buyer_vat_id
    endpoint = _endpoint(buyer_vat, invoice.buyer_country) or (
        "EM",
        invoice.customer.invoice_email,
    )
    add(party, "cbc:EndpointID", endpoint[1], schemeID=endpoint[0])
    add(add(party, "cac:PartyName"), "cbc:Name", invoice.buyer_name)
    address = add(party, "cac:PostalAddress")
    if invoice.buyer_address:
        add(address, "cbc:StreetName", invoice.buyer_address)
    add(add(address, "cac:Country"), "cbc:IdentificationCode", invoice.buyer_country)
    if buyer_vat:
        tax = add(party, "cac:PartyTaxScheme")
        add(tax, "cbc:CompanyID", buyer_vat)
        add(add(tax, "cac:TaxScheme"), "cbc:ID", "VAT")
    add(add(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", invoice.buyer_name)

    # Payment (BG-16) and terms (BT-20)
    paid = invoice.status == Invoice.Status.PAID
    if not credit and not paid and seller.get("iban"):
        means = add(root, "cac:PaymentMeans")
        add(means, "cbc:PaymentMeansCode", "58")  # SEPA credit transfer
        add(means, "cbc:PaymentID", invoice.number)
        account = add(means, "cac:PayeeFinancialAccount")
        add(account, "cbc:ID", seller["iban"])
        if seller.get("bic"):
            add(add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", seller["bic"])
    terms = add(root, "cac:PaymentTerms")
    if credit:
        add(terms, "cbc:Note", f"Credit to the customer against {invoice.related.number}")
    elif paid:
        add(terms, "cbc:Note", f"Paid on {invoice.paid_on.isoformat()}")
    else:
        add(terms, "cbc:Note", "Payable on receipt")

    # VAT breakdown (BG-23)
    groups: dict[tuple[str, Decimal], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for line in lines:
        key = (category(invoice, line.vat_rate), line.vat_rate)
        groups[key][0] += line.net
        groups[key][1] += line.vat
    tax_total = add(root, "cac:TaxTotal")
    w.money(tax_total, "cbc:TaxAmount", invoice.vat_total, currency)
    for (code, rate), (net, tax) in sorted(groups.items()):
        subtotal = add(tax_total, "cac:TaxSubtotal")
        w.money(subtotal, "cbc:TaxableAmount", net, currency)
        w.money(subtotal, "cbc:TaxAmount", tax, currency)
        _tax_category(w, subtotal, "cac:TaxCategory", code, rate, breakdown=True)

    # Totals (BG-22)
    totals = add(root, "cac:LegalMonetaryTotal")
    w.money(totals, "cbc:LineExtensionAmount", invoice.subtotal, currency)
    w.money(totals, "cbc:TaxExclusiveAmount", invoice.subtotal, currency)
    w.money(totals, "cbc:TaxInclusiveAmount", invoice.total, currency)
    if paid:
        w.money(totals, "cbc:PrepaidAmount", invoice.total, currency)
    w.money(totals, "cbc:PayableAmount", Decimal(0) if paid else invoice.total, currency)

    # Lines (BG-25)
    for line in lines:
        row = add(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        add(row, "cbc:ID", line.position)
        quantity = line.quantity.normalize()
        add(
            row,
            "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
            f"{quantity:f}",
            unitCode=UNIT_CODE,
        )
        w.money(row, "cbc:LineExtensionAmount", line.net, currency)
        if line.period_start or line.period_end:
            period = add(row, "cac:InvoicePeriod")
            if line.period_start:
                add(period, "cbc:StartDate", line.period_start.isoformat())
            if line.period_end:
                add(period, "cbc:EndDate", line.period_end.isoformat())
        if line.discount:
            allowance = add(row, "cac:AllowanceCharge")
            add(allowance, "cbc:ChargeIndicator", "false")
            add(allowance, "cbc:AllowanceChargeReason", "Discount")
            w.money(allowance, "cbc:Amount", line.discount, currency)
        item = add(row, "cac:Item")
        add(item, "cbc:Name", line.description[:200])
        if line.product_code:
            add(add(item, "cac:SellersItemIdentification"), "cbc:ID", line.product_code)
        _tax_category(
            w, item, "cac:ClassifiedTaxCategory", category(invoice, line.vat_rate), line.vat_rate
        )
        w.money(add(row, "cac:Price"), "cbc:PriceAmount", line.unit_price, currency)

    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _tax_category(w: _Writer, parent, name: str, code: str, rate: Decimal, breakdown=False):
    element = w.add(parent, name)
    w.add(element, "cbc:ID", code)
    if code != "O":  # BR-O-05, BR-48: no rate when not subject to VAT
        w.add(element, "cbc:Percent", f"{rate:.2f}")
    if breakdown and code in EXEMPTIONS:
        reason_code, reason = EXEMPTIONS[code]
        w.add(element, "cbc:TaxExemptionReasonCode", reason_code)
        w.add(element, "cbc:TaxExemptionReason", reason)
    w.add(w.add(element, "cac:TaxScheme"), "cbc:ID", "VAT")
