"""The Django admin stays for configuration, with human labels: no raw app labels, the
invoice's seller as text, no "add another line" on an issued document, and a link to the
staff console on its index."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_index_has_human_labels_and_links_to_the_console(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    for raw in ("Axes", "Otp_Totp", "Sla events", "Vat rates", "Dpa acceptances"):
        assert f">{raw}<" not in html, raw
    for human in ("Login attempts and lockouts", "Two-factor devices", "SLA events", "VAT rates"):
        assert human in html, human
    assert reverse("console:home") in html and reverse("desk:queue") in html


def test_an_invoice_shows_its_seller_as_text_and_offers_no_new_line(admin_client, today):
    customer = factories.customer(name="Maria Nowak")
    invoice = issue_document(
        DocumentSpec(
            customer=customer,
            kind=DocumentKind.INVOICE,
            lines=[LineSpec(description="Hosting", unit_price=Decimal("10"))],
            issued_on=today,
        )
    )
    html = admin_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content
    html = html.decode()
    assert "Kyklos Demo Hosting IKE<br>Egnatia 100" in html
    assert "VAT id: EL094014201" in html
    assert "&quot;Kyklos Demo Hosting IKE&quot;" not in html  # not the JSON
    assert "<td>Hosting</td>" in html  # the lines, as a table
    assert "Add another Invoice line" not in html
