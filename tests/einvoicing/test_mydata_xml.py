"""myDATA InvoicesDoc: every document kind × VAT case Kyklos issues, valid against AADE's
official XSD (../shared/national-einvoice/mydata/), with the mapping of decision 0019."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from kyklos.billing.models import Transmission
from kyklos.billing.services import (
    DocumentSpec,
    LineSpec,
    issue_credit_note,
    issue_document,
    settle,
)
from kyklos.core import clock
from kyklos.einvoicing.channels.base import PermanentFailure, TemporaryFailure
from kyklos.einvoicing.channels.mydata import MyDataChannel, mapping, schema
from kyklos.payments.models import Payment
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
SCHEMAS = schema.locate("v1.0.10")
NS = {"i": "http://www.aade.gr/myDATA/invoice/v1.0", "icls": schema.VERSIONS["v1.0.10"].icls_ns}
DAY = date(2027, 3, 1)
CHANNEL = MyDataChannel()


@pytest.fixture(scope="module")
def xsd():
    if SCHEMAS is None:
        pytest.skip("the official myDATA XSDs are not at ../shared/national-einvoice/mydata/")
    return schema.invoices_schema(SCHEMAS, "v1.0.10")


@dataclass(frozen=True)
class Case:
    customer: dict
    vat_case: str
    kind: str  # what settle issues
    invoice_type: str
    credit_type: str
    vat_category: int
    exemption: int | None
    e3: str
    counterpart: str | None  # the counterpart's VAT number as sent


CASES = {
    "receipt-domestic": Case(
        dict(), "domestic", "receipt", "11.2", "11.4", 1, None, "E3_561_003", None
    ),
    "invoice-domestic": Case(
        dict(kind="company", company_name="Alfa IKE", vat_id="EL094019245"),
        "domestic",
        "invoice",
        "2.1",
        "5.1",
        1,
        None,
        "E3_561_001",
        "094019245",
    ),
    "invoice-reverse-charge": Case(
        dict(
            kind="company",
            company_name="Weber GmbH",
            country="DE",
            vat_id="DE136695976",
            language="en",
            address="Hauptstr. 5",
            postal_code="10115",
            city="Berlin",
        ),
        "reverse_charge",
        "invoice",
        "2.2",
        "5.1",
        7,
        4,
        "E3_561_005",
        "136695976",
    ),
    "receipt-eu-consumer": Case(
        dict(country="CY", language="en"),
        "eu_b2c",
        "receipt",
        "11.2",
        "11.4",
        7,
        30,
        "E3_561_005",
        None,
    ),
    "invoice-eu-company-without-vat-id": Case(
        dict(kind="company", company_name="Kafe Ltd", country="CY", language="en"),
        "eu_b2c",
        "invoice",
        "11.2",
        "11.4",
        7,
        30,
        "E3_561_005",
        None,
    ),
    "receipt-outside-eu": Case(
        dict(country="US", language="en"),
        "outside_scope",
        "receipt",
        "11.2",
        "11.4",
        7,
        4,
        "E3_561_006",
        None,
    ),
    "invoice-outside-eu": Case(
        dict(
            kind="company",
            company_name="Acme Inc",
            country="US",
            language="en",
            vat_id="CHE116281710",
            address="1 Main St",
            postal_code="10001",
            city="New York",
        ),
        "outside_scope",
        "invoice",
        "2.3",
        "5.1",
        7,
        4,
        "E3_561_006",
        "CHE116281710",
    ),
}


def issue(fields: dict, *, paid_with: str | None = "card"):
    """A paid tax document (receipt or invoice, by the customer), an open invoice, and a
    full credit note of the paid one (its original has a MARK)."""
    customer = factories.customer(**fields)
    with clock.frozen(DAY):
        proforma = issue_document(
            DocumentSpec(
                customer=customer,
                kind="proforma",
                issued_on=DAY,
                lines=[
                    LineSpec("Shared hosting 2027", D("120.00"), discount=D("10.00")),
                    LineSpec("Domain example.gr", D("15.00")),
                ],
            )
        )
        if paid_with:
            Payment.objects.create(
                invoice=proforma,
                customer=customer,
                amount=proforma.total,
                currency="EUR",
                method=paid_with,
                paid_on=DAY,
                created_at=clock.now(),
            )
        paid = settle(proforma, paid_on=DAY)
        open_invoice = issue_document(
            DocumentSpec(
                customer=customer,
                kind="invoice",
                issued_on=DAY,
                lines=[LineSpec("Website, deposit 50 %", D("600.00"))],
            )
        )
        Transmission.objects.create(
            invoice=paid, authority="mydata", status="accepted", mark="400001900000777"
        )
        credit = issue_credit_note(paid, reason="Money-back guarantee", actor=None)
    return paid, open_invoice, credit


def parse(payload) -> etree._Element:
    return etree.fromstring(payload.body)


def text(root, path: str) -> str:
    return root.findtext(path, namespaces=NS)


@pytest.mark.parametrize("name", CASES)
def test_every_document_kind_and_vat_case_validates_with_its_mapping(xsd, name):
    case = CASES[name]
    paid, open_invoice, credit = issue(case.customer)
    assert paid.kind == case.kind and paid.vat_case == case.vat_case
    for document in (paid, credit):
        assert CHANNEL.applies_to(document)
        payload = CHANNEL.build(document, {})
        assert payload.media_type == "application/xml"
        root = parse(payload)
        assert xsd.validate(root), (document.number, list(xsd.error_log), payload.body.decode())
        expected = case.credit_type if document.is_credit_note else case.invoice_type
        assert text(root, "i:invoice/i:invoiceHeader/i:invoiceType") == expected
        assert text(root, "i:invoice/i:invoiceHeader/i:series") == f"{document.series.prefix}-2027"
        assert text(root, "i:invoice/i:invoiceHeader/i:aa") == str(document.sequence)
        assert text(root, "i:invoice/i:issuer/i:vatNumber") == "094014201"
        assert text(root, "i:invoice/i:counterpart/i:vatNumber") == case.counterpart
        rows = root.findall("i:invoice/i:invoiceDetails", NS)
        assert len(rows) == 2
        for row in rows:
            assert text(row, "i:vatCategory") == str(case.vat_category)
            assert text(row, "i:vatExemptionCategory") == (
                str(case.exemption) if case.exemption else None
            )
            assert text(row, "i:incomeClassification/icls:classificationType") == case.e3
            assert text(row, "i:incomeClassification/icls:classificationCategory") == "category1_3"
        summary = "i:invoice/i:invoiceSummary/i:"
        assert D(text(root, summary + "totalNetValue")) == document.subtotal
        assert D(text(root, summary + "totalVatAmount")) == document.vat_total
        assert D(text(root, summary + "totalGrossValue")) == document.total
        paid_amounts = [D(e.text) for e in root.iterfind(".//i:paymentMethodDetails/i:amount", NS)]
        assert sum(paid_amounts) == document.total
    credit_root = parse(CHANNEL.build(credit, {}))
    assert text(credit_root, "i:invoice/i:invoiceHeader/i:correlatedInvoices") == "400001900000777"
    assert xsd.validate(parse(CHANNEL.build(open_invoice, {})))


def test_domestic_amounts_and_payment_methods():
    paid, open_invoice, credit = issue(CASES["invoice-domestic"].customer, paid_with="card")
    root = parse(CHANNEL.build(paid, {}))
    # 110.00 + 15.00 = 125.00 net, VAT 24 %: 26.40 + 3.60 = 30.00, gross 155.00, by card (7)
    assert [e.text for e in root.iterfind(".//i:invoiceDetails/i:netValue", NS)] == [
        "110.00",
        "15.00",
    ]
    assert [e.text for e in root.iterfind(".//i:invoiceDetails/i:vatAmount", NS)] == [
        "26.40",
        "3.60",
    ]
    assert text(root, ".//i:totalGrossValue") == "155.00"
    details = root.find(".//i:paymentMethodDetails", NS)
    assert (text(details, "i:type"), text(details, "i:amount")) == ("7", "155.00")
    # The open invoice is owed: "on credit" (5); the credit note goes back by card.
    details = parse(CHANNEL.build(open_invoice, {})).find(".//i:paymentMethodDetails", NS)
    assert (text(details, "i:type"), text(details, "i:amount")) == ("5", "744.00")
    assert text(parse(CHANNEL.build(credit, {})), ".//i:paymentMethodDetails/i:type") == "7"
    # Payment codes are data: a provider may report PayPal as e-POS.
    bank, *_ = issue(CASES["invoice-domestic"].customer, paid_with="paypal")
    assert text(parse(CHANNEL.build(bank, {})), ".//i:paymentMethodDetails/i:type") == "6"
    settings = {"payment_methods": {"paypal": 7}}
    assert text(parse(CHANNEL.build(bank, settings)), ".//i:paymentMethodDetails/i:type") == "7"


def test_a_foreign_counterpart_is_named_with_its_address(xsd):
    paid, *_ = issue(CASES["invoice-reverse-charge"].customer)
    counterpart = parse(CHANNEL.build(paid, {})).find("i:invoice/i:counterpart", NS)
    assert text(counterpart, "i:country") == "DE"
    assert text(counterpart, "i:name") == "Weber GmbH"
    assert text(counterpart, "i:address/i:postalCode") == "10115"
    assert text(counterpart, "i:address/i:city") == "Berlin"
    # A Greek counterpart is known to AADE by its VAT number alone.
    greek, *_ = issue(CASES["invoice-domestic"].customer)
    counterpart = parse(CHANNEL.build(greek, {})).find("i:invoice/i:counterpart", NS)
    assert text(counterpart, "i:name") is None and text(counterpart, "i:address/i:city") is None


def test_a_credit_note_waits_for_the_mark_of_its_original():
    paid, _open, credit = issue(CASES["receipt-domestic"].customer)
    Transmission.objects.filter(invoice=paid).update(mark="")
    with pytest.raises(TemporaryFailure, match="has no myDATA MARK yet"):
        CHANNEL.build(credit, {})


def test_proformas_and_other_countries_sellers_are_not_reported():
    customer = factories.customer()
    with clock.frozen(DAY):
        proforma = issue_document(
            DocumentSpec(
                customer=customer, kind="proforma", issued_on=DAY, lines=[LineSpec("x", D("1.00"))]
            )
        )
    assert not CHANNEL.applies_to(proforma)
    paid, *_ = issue({})
    paid.seller = {**paid.seller, "country": "PL"}
    assert not CHANNEL.applies_to(paid)


def test_b2b_invoices_within_the_mandate_are_refused_on_the_erp_channel():
    settings = {"b2b_mandate_from": "2027-02-01"}
    domestic, _open, credit = issue(CASES["invoice-domestic"].customer)
    with pytest.raises(PermanentFailure, match="certified e-invoicing provider"):
        CHANNEL.build(domestic, settings)
    with pytest.raises(PermanentFailure, match="mandate"):
        CHANNEL.build(credit, settings)
    # Before the seller's date, and for what the mandate leaves out, the ERP channel stays.
    assert CHANNEL.build(domestic, {"b2b_mandate_from": "2027-03-02"})
    intra_eu, *_ = issue(CASES["invoice-reverse-charge"].customer)
    retail, *_ = issue(CASES["receipt-domestic"].customer)
    assert CHANNEL.build(intra_eu, settings) and CHANNEL.build(retail, settings)


def test_what_the_tables_do_not_name_is_refused_clearly():
    with pytest.raises(mapping.NotExpressible, match="19"):
        mapping.vat_category(D("19.00"), None)
    with pytest.raises(mapping.NotExpressible, match="reverse_charge"):
        mapping.treatment("receipt", "reverse_charge", "")
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    paid.vat_case = "reverse_charge"  # never issued so; stands for any unmapped combination
    with pytest.raises(PermanentFailure, match=paid.number):
        CHANNEL.build(paid, {})


def test_the_schema_version_is_a_setting(xsd):
    paid, *_ = issue(CASES["invoice-reverse-charge"].customer)
    folder = schema.locate("v1.0.12")
    if folder is None:
        pytest.skip("no v1.0.12 XSDs")
    payload = CHANNEL.build(paid, {"schema_version": "v1.0.12"})
    assert schema.errors(schema.invoices_schema(folder, "v1.0.12"), payload.body) == []
    with pytest.raises(ValueError, match="Unknown myDATA schema version"):
        CHANNEL.build(paid, {"schema_version": "v9"})


def test_a_payload_the_schema_refuses_is_not_sent(xsd, monkeypatch):
    from kyklos.einvoicing.channels.mydata import invoices_doc

    original = invoices_doc.build
    monkeypatch.setattr(
        invoices_doc,
        "build",
        lambda data, version: original(data, version).replace(
            b"<invoiceType>11.2</invoiceType>", b"<invoiceType>99.9</invoiceType>"
        ),
    )
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    with pytest.raises(PermanentFailure, match="not valid against InvoicesDoc-v1.0.10.xsd"):
        CHANNEL.build(paid, {})


def test_the_official_samples_validate_so_the_harness_is_real(xsd):
    samples = sorted((SCHEMAS.parent / "samples").glob("*.xml"))
    assert samples
    for sample in samples:
        assert xsd.validate(etree.parse(str(sample))), sample.name
    assert Path(SCHEMAS / "InvoicesDoc-v1.0.10.xsd").exists()
