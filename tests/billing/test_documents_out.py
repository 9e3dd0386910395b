"""Documents out (R6.2, R6.8): the PDF carries every art. 226 field, in the customer's
language; notices carry the PDF to the right address; the portal and the API serve it."""

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from django.core import mail
from django.urls import reverse

from kyklos.billing import documents
from kyklos.billing.models import Invoice
from kyklos.billing.services import (
    DocumentSpec,
    LineSpec,
    issue_credit_note,
    issue_document,
    settle,
)
from kyklos.core import clock
from kyklos.notifications.models import Outbox
from kyklos.notifications.services import send_pending
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2027, 3, 1)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def company(**fields):
    values = dict(
        kind="company",
        name="Weber",
        company_name="Weber GmbH",
        country="DE",
        vat_id="DE136695976",
        language="en",
        address="Hauptstraße 5",
        city="Berlin",
        postal_code="10115",
        email="info@weber.de",
        billing_email="rechnung@weber.de",
        admin_email="admin@weber.de",
    )
    return factories.customer(**{**values, **fields})


def proforma_for(customer, *lines):
    with clock.frozen(DAY):
        return issue_document(
            DocumentSpec(
                customer=customer,
                kind="proforma",
                issued_on=DAY,
                lines=[
                    LineSpec(
                        description=d,
                        unit_price=D(p),
                        quantity=D(q),
                        period_start=DAY,
                        period_end=date(2028, 2, 29),
                    )
                    for d, p, q in lines
                ],
            )
        )


def test_the_invoice_pdf_carries_every_article_226_field():
    buyer = company()
    with clock.frozen(DAY):
        invoice = settle(proforma_for(buyer, ("Web hosting Pro", "120.00", "2")), paid_on=DAY)
    text = text_of(documents.render_pdf(invoice))
    for needed in [
        "Tax invoice",
        "INV-2027-000001",  # (2) sequential number
        "Date of issue",
        "1 Mar 2027",  # (1) date of issue
        "Kyklos Demo Hosting IKE",  # (5) supplier name …
        "Egnatia 100, 54623 Thessaloniki",  # … and address
        "EL094014201",  # (3) supplier VAT id
        "Weber GmbH",  # (5) customer name …
        "Hauptstraße 5, 10115 Berlin",  # … and address
        "DE136695976",  # (4) customer VAT id (reverse charge)
        "Web hosting Pro",  # (6) nature of the service
        "1 Mar 2027 – 29 Feb 2028",  # (7) date (period) of supply
        "€120.00",  # (8) unit price excl. VAT
        "€240.00",  # (8) taxable amount
        "0 %",  # (9) rate
        "€0.00",  # (10) VAT payable
        "Reverse charge",  # (11a) the mention
        "Article 196 of Council Directive 2006/112/EC",
        "Paid on",
    ]:
        assert needed in text, needed


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("el", ["Απόδειξη Παροχής Υπηρεσιών", "Σύνολο", "148,80", "ΦΠΑ"]),
        ("en", ["Receipt", "Total", "€148.80", "VAT"]),
        ("pl", ["Rachunek", "Razem brutto", "148,80", "Stawka VAT"]),
    ],
)
def test_the_pdf_speaks_the_documents_language(language, words):
    person = factories.customer(language=language)  # Greek consumer: 24 %
    with clock.frozen(DAY):
        receipt = settle(proforma_for(person, ("Hosting", "120.00", "1")), paid_on=DAY)
    text = text_of(documents.render_pdf(receipt))
    for word in words:
        assert word in text, (language, word)


def test_a_credit_note_pdf_names_the_document_it_corrects_and_why():
    person = factories.customer(language="en")
    with clock.frozen(DAY):
        receipt = settle(proforma_for(person, ("Hosting", "120.00", "1")), paid_on=DAY)
        note = issue_credit_note(receipt, reason="Money-back guarantee", actor=None)
    text = text_of(documents.render_pdf(note))
    assert "Credit note" in text and "CN-2027-000001" in text
    assert f"Corrects {receipt.number}" in text
    assert "Money-back guarantee" in text and "Total credited €148.80" in text


def test_a_proforma_pdf_says_it_is_not_a_tax_document():
    person = factories.customer(language="en")
    text = text_of(documents.render_pdf(proforma_for(person, ("Hosting", "120.00", "1"))))
    assert "Proforma invoice" in text and "not a tax document" in text
    assert "GR1601101250000000012300695" in text  # the bank details to pay it


def test_an_invoice_goes_to_the_billing_email_with_its_pdf():
    buyer = company()
    with clock.frozen(DAY):
        invoice = settle(proforma_for(buyer, ("Hosting", "100.00", "1")), paid_on=DAY)
        notice = Outbox.objects.get(event="tax_invoice_issued")
        assert (notice.to_email, notice.invoice_id) == ("rechnung@weber.de", invoice.pk)
        assert notice.attachments == [{"kind": "invoice_pdf", "id": invoice.pk}]
        assert send_pending().sent >= 1
    (message,) = [m for m in mail.outbox if m.to == ["rechnung@weber.de"]]
    assert message.subject == f"Invoice {invoice.number}"
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert invoice.number in text_of(content)


def test_a_receipt_goes_to_the_administrative_email_and_a_credit_note_follows_its_original():
    person = factories.customer(
        language="el",
        email="maria@example.gr",
        admin_email="admin@example.gr",
        billing_email="billing@example.gr",
    )
    with clock.frozen(DAY):
        receipt = settle(proforma_for(person, ("Hosting", "100.00", "1")), paid_on=DAY)
        note = issue_credit_note(receipt, reason="Λάθος χρέωση", actor=None)
    sent = {
        n.event: (n.to_email, n.attachments)
        for n in Outbox.objects.exclude(event="payment_received")
    }
    assert sent == {
        "receipt_issued": ("admin@example.gr", [{"kind": "invoice_pdf", "id": receipt.pk}]),
        "credit_note_issued": ("admin@example.gr", [{"kind": "invoice_pdf", "id": note.pk}]),
    }
    invoice = company()
    with clock.frozen(DAY):
        paid = settle(proforma_for(invoice, ("Hosting", "100.00", "1")), paid_on=DAY)
        issue_credit_note(paid, reason="Cancelled", actor=None)
    assert Outbox.objects.filter(event="credit_note_issued").last().to_email == "rechnung@weber.de"


def test_documents_stay_downloadable_for_the_retention_period(settings):
    settings.KYKLOS_DOCUMENT_RETENTION_YEARS = 5
    invoice = Invoice(issued_on=date(2027, 3, 1))
    assert documents.retained_until(invoice) == date(2032, 12, 31)
    assert documents.is_retained(invoice, date(2032, 12, 31))
    assert not documents.is_retained(invoice, date(2033, 1, 1))


# --- portal --------------------------------------------------------------------------------


@pytest.fixture
def portal_customer(client, django_user_model):
    user = django_user_model.objects.create_user("maria", password="x" * 12)
    customer = factories.customer(language="en", user=user)
    client.force_login(user)
    return customer


def test_the_portal_downloads_the_customers_own_pdf(client, portal_customer):
    with clock.frozen(DAY):
        receipt = settle(proforma_for(portal_customer, ("Hosting", "10.00", "1")), paid_on=DAY)
        detail = client.get(reverse("portal:invoice", args=[receipt.pk])).content.decode()
        assert reverse("portal:invoice_pdf", args=[receipt.pk]) in detail
        response = client.get(reverse("portal:invoice_pdf", args=[receipt.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{receipt.number}.pdf"'
    assert receipt.number in text_of(response.content)

    stranger = factories.customer()
    with clock.frozen(DAY):
        theirs = settle(proforma_for(stranger, ("Hosting", "10.00", "1")), paid_on=DAY)
        assert client.get(reverse("portal:invoice_pdf", args=[theirs.pk])).status_code == 404
    with clock.frozen(date(2033, 1, 1)):
        assert client.get(reverse("portal:invoice_pdf", args=[receipt.pk])).status_code == 410


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def api_headers(django_user_model):
    from kyklos.api import services

    staff = django_user_model.objects.create_user("staff", is_staff=True)
    from kyklos.accounts import roles

    roles.assign(staff, roles.BILLING)
    return {"HTTP_AUTHORIZATION": f"Bearer {services.create_token(staff, name='t')[1]}"}


def test_the_api_serves_pdf_and_xml(client, api_headers):
    buyer = company()
    with clock.frozen(DAY):
        proforma = proforma_for(buyer, ("Hosting", "100.00", "1"))
        invoice = settle(proforma, paid_on=DAY)
        pdf = client.get(f"/api/v1/invoices/{invoice.pk}.pdf", **api_headers)
        xml = client.get(f"/api/v1/invoices/{invoice.pk}.xml", **api_headers)
        no_xml = client.get(f"/api/v1/invoices/{proforma.pk}.xml", **api_headers)
        missing = client.get("/api/v1/invoices/999999.pdf", **api_headers)
        anonymous = client.get(f"/api/v1/invoices/{invoice.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert invoice.number in text_of(pdf.content)
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
    assert f"<cbc:ID>{invoice.number}</cbc:ID>".encode() in xml.content
    assert no_xml.status_code == 404 and "proforma" in no_xml.json()["message"]
    assert missing.status_code == 404
    assert anonymous.status_code == 401
