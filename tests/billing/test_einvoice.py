"""EN 16931 UBL export, validated with the official CEN rules (R6.8)."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from kyklos.billing import einvoice
from kyklos.billing.services import (
    CreditLine,
    DocumentSpec,
    LineSpec,
    issue_credit_note,
    issue_document,
    settle,
)
from kyklos.core import clock
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
RULES = Path(__file__).resolve().parents[3] / "shared" / "einvoice"
for candidate in (RULES, Path("/work/shared/einvoice")):
    if (candidate / "EN16931-UBL-validation.xslt").exists():
        RULES = candidate
        break
XSLT = RULES / "EN16931-UBL-validation.xslt"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
UBL = {"cbc": einvoice.NS["cbc"], "cac": einvoice.NS["cac"]}


@pytest.fixture(scope="session")
def validate():
    if not XSLT.exists():
        pytest.skip(f"the EN 16931 validation artefacts are not at {RULES}")
    saxonche = pytest.importorskip("saxonche")
    processor = saxonche.PySaxonProcessor(license=False)
    stylesheet = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(XSLT))

    def run(xml: bytes) -> list[str]:
        node = processor.parse_xml(xml_text=xml.decode())
        report = ET.fromstring(stylesheet.transform_to_string(xdm_node=node))
        return [
            f"{fa.get('id')} {fa.get('flag')}: {' '.join(fa.itertext()).strip()}"
            for fa in report.iter(f"{SVRL}failed-assert")
        ]

    return run


def test_the_official_examples_pass(validate):
    for example in sorted((RULES / "examples").glob("*.xml")):
        assert validate(example.read_bytes()) == [], example.name


CASES = {
    # name: (customer fields, expected category, rate, VAT of 120.00 + 15.00 − 10.00 discount)
    "domestic": (dict(kind="company", company_name="Alfa IKE", vat_id="EL094014201"), "S", "24.00"),
    "eu_b2c": (dict(country="CY", language="en"), "S", "19.00"),
    "reverse_charge": (
        dict(kind="company", company_name="Weber GmbH", country="DE", vat_id="DE136695976"),
        "AE",
        "0.00",
    ),
    "outside_scope": (dict(country="US", language="en", vat_id=""), "O", None),
}


def _documents(fields):
    customer = factories.customer(
        address="Odos 1",
        city="Nicosia",
        postal_code="1010",
        billing_email="acc@example.com",
        **fields,
    )
    day = date(2027, 3, 1)
    with clock.frozen(day):
        proforma = issue_document(
            DocumentSpec(
                customer=customer,
                kind="proforma",
                issued_on=day,
                lines=[
                    LineSpec(
                        "Shared hosting, 2027-03-01 to 2028-02-29",
                        D("120.00"),
                        discount=D("10.00"),
                        product_code="shared-basic",
                        period_start=day,
                        period_end=date(2028, 2, 29),
                    ),
                    LineSpec("Domain example.com", D("15.00")),
                ],
            )
        )
        paid = settle(proforma, paid_on=day)  # receipt (person) or invoice (company), paid
        open_invoice = issue_document(
            DocumentSpec(
                customer=customer,
                kind="invoice",
                issued_on=day,
                lines=[LineSpec("Website, deposit 50 %", D("600.00"))],
            )
        )
    with clock.frozen(date(2027, 3, 20)):
        full = issue_credit_note(paid, reason="Money-back guarantee", actor=None)
        hosting = open_invoice.lines.get()
        partial = issue_credit_note(
            open_invoice,
            lines=[CreditLine(hosting, net=D("99.99"))],
            reason="Scope cut",
            actor=None,
        )
    return paid, open_invoice, full, partial


@pytest.mark.parametrize("case", CASES)
def test_every_document_of_every_vat_case_passes_en16931(validate, case):
    fields, code, rate = CASES[case]
    documents = _documents(fields)
    for document in documents:
        assert document.vat_case == case
        xml = einvoice.to_ubl(document)
        assert validate(xml) == [], (document.number, xml.decode())
        root = ET.fromstring(xml)
        assert root.findtext("cbc:CustomizationID", namespaces=UBL) == (
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        )
        assert root.findtext("cbc:ProfileID", namespaces=UBL) == (
            "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
        )
        seller = root.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", UBL)
        assert (seller.get("schemeID"), seller.text) == ("9933", "EL094014201")
        categories = {e.text for e in root.iterfind(".//cac:ClassifiedTaxCategory/cbc:ID", UBL)}
        assert categories == {code}
        percent = root.findtext(".//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", namespaces=UBL)
        assert percent == rate


def test_amounts_and_references_in_the_xml(validate):
    paid, _open, full, _partial = _documents(CASES["eu_b2c"][0])
    root = ET.fromstring(einvoice.to_ubl(paid))
    # 110.00 + 15.00 = 125.00 net; VAT 19 %: 20.90 + 2.85 = 23.75; total 148.75, prepaid
    totals = root.find("cac:LegalMonetaryTotal", UBL)
    assert [e.text for e in totals] == ["125.00", "125.00", "148.75", "148.75", "0.00"]
    line = root.find("cac:InvoiceLine", UBL)
    assert line.findtext("cbc:LineExtensionAmount", namespaces=UBL) == "110.00"
    assert line.findtext("cac:AllowanceCharge/cbc:Amount", namespaces=UBL) == "10.00"
    assert line.findtext("cac:InvoicePeriod/cbc:EndDate", namespaces=UBL) == "2028-02-29"
    buyer = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", UBL)
    assert (buyer.get("schemeID"), buyer.text) == ("EM", "acc@example.com")

    note = ET.fromstring(einvoice.to_ubl(full))
    assert note.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert note.findtext("cbc:CreditNoteTypeCode", namespaces=UBL) == "381"
    reference = note.find("cac:BillingReference/cac:InvoiceDocumentReference", UBL)
    assert reference.findtext("cbc:ID", namespaces=UBL) == paid.number
    assert note.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL) == "148.75"


def test_reverse_charge_and_outside_scope_parties():
    _paid, open_rc, *_ = _documents(CASES["reverse_charge"][0])
    root = ET.fromstring(einvoice.to_ubl(open_rc))
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", UBL)
    assert buyer.find("cbc:EndpointID", UBL).attrib == {"schemeID": "9930"}
    assert buyer.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=UBL) == "DE136695976"
    assert root.findtext(".//cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=UBL) == (
        "VATEX-EU-AE"
    )
    assert "Article 196" in root.findtext("cbc:Note", namespaces=UBL)
    # Open: payable by SEPA transfer to the provider's account.
    assert root.findtext("cac:PaymentMeans/cbc:PaymentMeansCode", namespaces=UBL) == "58"


def test_the_validator_does_catch_a_broken_document(validate):
    _paid, open_invoice, *_ = _documents(CASES["domestic"][0])
    xml = einvoice.to_ubl(open_invoice).replace(b"<cbc:PayableAmount", b"<cbc:PrepaidX", 1)
    xml = xml.replace(b"</cbc:PayableAmount>", b"</cbc:PrepaidX>", 1)
    assert any(failure.startswith("BR-15") for failure in validate(xml))


def test_a_proforma_is_not_exported():
    customer = factories.customer()
    with clock.frozen(date(2027, 3, 1)):
        proforma = issue_document(
            DocumentSpec(
                customer=customer,
                kind="proforma",
                issued_on=date(2027, 3, 1),
                lines=[LineSpec("x", D("1"))],
            )
        )
    with pytest.raises(einvoice.NotExportable):
        einvoice.to_ubl(proforma)
