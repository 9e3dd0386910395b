"""One search box: a customer by name, e-mail or VAT id, a service by its domain label, a
document or ticket number — only what the staff member's role may see."""

import pytest
from django.urls import reverse

from kyklos.core.audit import ACCESSED
from kyklos.core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("console:home")


def search(client, text):
    return client.get(URL, {"q": text})


@pytest.mark.parametrize("text", ["Nowak", "maria@example", "EL094259216"])
def test_a_single_customer_found_by_name_email_or_vat_id_opens_their_page(
    console, maria, nikos, text
):
    response = search(console("support"), text)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:customer", args=[maria.pk])


def test_a_domain_finds_the_service_and_its_customer(console, maria, nikos):
    page = search(console("technical"), "maria-shop").content.decode()
    assert "maria-shop.gr" in page
    assert reverse("console:customer", args=[maria.pk]) in page
    assert "Nikos" not in page


def test_a_document_number_and_a_ticket_number_are_found(console, maria):
    client = console("billing")
    assert maria.invoice.number in search(client, maria.invoice.number).content.decode()
    page = search(client, maria.ticket.number).content.decode()
    assert reverse("desk:ticket", args=[maria.ticket.pk]) in page


def test_a_role_finds_only_what_it_may_see(console, maria):
    """Technical staff have no billing "view": a document number finds nothing for them;
    the DPO has no lifecycle "view": a domain finds nothing for them."""
    page = search(console("technical"), maria.invoice.number).content.decode()
    assert "Nothing found." in page and f"#document-{maria.invoice.pk}" not in page
    assert "Nothing found." in search(console("dpo"), "maria-shop").content.decode()


def test_results_are_logged_as_staff_access_to_personal_data(console, maria):
    search(console("technical"), "maria-shop")
    event = AuditEvent.objects.get(action=ACCESSED)
    assert event.customer_id == maria.pk and event.data["what"] == "console search results"


def test_a_customer_cannot_search(client, maria):
    client.force_login(maria.user)
    assert search(client, "Nowak").status_code == 403


def test_too_short_a_text_finds_nothing_and_logs_nothing(console, maria):
    page = search(console("billing"), "m").content.decode()
    assert "Nothing found." in page
    assert not AuditEvent.objects.filter(action=ACCESSED).exists()
