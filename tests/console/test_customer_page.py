"""A customer's page: particulars, services, documents with balance and credit, payments,
tickets, consents and data requests, audit trail — each section for the roles that may
see it, and every view logged as staff access (R10.1)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.core.audit import ACCESSED
from kyklos.core.models import AuditEvent
from kyklos.payments import services as payments

pytestmark = pytest.mark.django_db


def page(client, customer) -> str:
    response = client.get(reverse("console:customer", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_billing_staff_see_documents_with_balance_credit_and_payments(console, maria, staff):
    payments.grant_credit(
        maria, amount="15.00", currency="EUR", reason="Uptime month", actor=staff("admin")
    )
    html = page(console("billing"), maria)
    assert "Nowak Studio" in html and "maria@example.gr" in html  # particulars
    assert maria.invoice.number in html
    assert 'id="documents"' in html and 'id="payments"' in html
    assert "Account credit: <strong>€15.00</strong>" in html
    assert reverse("console:credit_note", args=[maria.invoice.pk]) in html
    assert reverse("console:refund", args=[maria.invoice.pk]) in html
    assert reverse("console:service_suspend", args=[maria.service.pk]) in html
    assert 'id="tickets"' in html  # billing reads the desk too
    assert 'id="privacy"' not in html and 'id="audit"' not in html


def test_support_staff_open_the_customers_tickets_from_the_page(console, maria):
    client = console("support")
    html = page(client, maria)
    ticket_url = reverse("desk:ticket", args=[maria.ticket.pk])
    assert ticket_url in html and maria.ticket.number in html
    assert client.get(ticket_url).status_code == 200
    # Support reads documents but neither bills nor pays nor suspends.
    assert maria.invoice.number in html
    assert reverse("console:credit_note", args=[maria.invoice.pk]) not in html
    assert reverse("console:service_suspend", args=[maria.service.pk]) not in html
    assert 'id="payments"' not in html


def test_technical_staff_see_services_and_their_actions_but_no_money(console, maria):
    html = page(console("technical"), maria)
    assert "maria-shop.gr" in html
    assert reverse("console:service_suspend", args=[maria.service.pk]) in html
    assert 'id="documents"' not in html and maria.invoice.number not in html


def test_the_dpo_sees_consents_data_requests_and_the_audit_trail(console, maria):
    html = page(console("dpo"), maria)
    assert 'id="privacy"' in html and 'id="audit"' in html
    assert 'id="services"' not in html and 'id="documents"' not in html
    assert "invoice.issued" in html  # the audit trail of Maria's documents


def test_every_view_of_the_page_is_logged(console, maria):
    page(console("support"), maria)
    event = AuditEvent.objects.get(action=ACCESSED)
    assert event.customer_id == maria.pk
    assert event.data["what"] == "customer page (console)"


def test_the_balance_is_what_is_still_owed(console, maria, staff):
    from kyklos.billing.services import LineSpec, issue_manual_document

    document = issue_manual_document(
        maria,
        lines=[LineSpec(description="Restore from backup", unit_price=Decimal("40.00"))],
        reason="Billed restore",
        kind="tax",
        due_days=14,
        actor=staff("billing"),
    )
    html = page(console("billing"), maria)
    assert f'id="document-{document.pk}"' in html
    assert str(document.total) in html  # 49.60 with 24 % VAT
    assert document.total == Decimal("49.60")


def test_an_unknown_customer_is_404(console, db):
    assert console("billing").get(reverse("console:customer", args=[999])).status_code == 404
