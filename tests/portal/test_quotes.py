"""Quotes and projects in the portal: the customer reads and accepts a quote (the click
with the typed name is the signature, R7.1) and confirms variations (R7.3)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.projects import services
from kyklos.projects.models import Project, Quote, Signature, Variation

LINES = [{"description": "Shop build", "unit_price": "2000"}]


@pytest.fixture
def quote(customer, today):
    draft = services.draft_quote(customer, title="Online shop", lines=LINES, actor="staff")
    return services.send_quote(draft, actor="staff")


def test_the_customer_sees_sent_quotes_but_not_drafts(portal, customer, quote):
    services.draft_quote(customer, title="Secret draft", lines=LINES, actor="staff")
    page = portal.get(reverse("portal:quotes")).content.decode()
    assert quote.number in page and "Online shop" in page
    assert "Secret draft" not in page


def test_accepting_records_the_signature_and_opens_the_project(portal, customer, quote):
    response = portal.post(
        reverse("portal:quote", args=[quote.pk]),
        {"version": "1", "signer_name": "Maria Nowak", "agree": "on"},
        HTTP_USER_AGENT="Firefox/140",
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:project", args=[project.pk])
    signature = Signature.objects.get()
    assert (signature.channel, signature.signer_name, signature.ip_address) == (
        "portal",
        "Maria Nowak",
        "127.0.0.1",
    )
    assert signature.user_agent == "Firefox/140"
    assert signature.snapshot["subtotal"] == "2000.00"
    page = portal.get(reverse("portal:project", args=[project.pk])).content.decode()
    assert project.number in page and "Deposit" in page


def test_without_the_tick_or_with_an_old_version_nothing_is_signed(portal, quote):
    url = reverse("portal:quote", args=[quote.pk])
    response = portal.post(url, {"version": "1", "signer_name": "Maria"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = portal.post(url, {"version": "0", "signer_name": "Maria", "agree": "on"})
    assert "has changed since version 0" in response.content.decode()
    assert Signature.objects.count() == 0 and Project.objects.count() == 0


def test_another_customers_quote_is_not_found(client, other_customer, quote):
    client.force_login(other_customer.user)
    assert client.get(reverse("portal:quote", args=[quote.pk])).status_code == 404
    response = client.post(
        reverse("portal:quote", args=[quote.pk]),
        {"version": "1", "signer_name": "Nikos", "agree": "on"},
    )
    assert response.status_code == 404
    assert Signature.objects.count() == 0


def test_the_customer_downloads_the_pdf_and_can_decline(portal, quote):
    pdf = portal.get(reverse("portal:quote_pdf", args=[quote.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    portal.post(reverse("portal:quote_decline", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DECLINED


def test_the_customer_confirms_a_variation(portal, customer, quote):
    portal.post(
        reverse("portal:quote", args=[quote.pk]),
        {"version": "1", "signer_name": "Maria Nowak", "agree": "on"},
    )
    project = Project.objects.get()
    variation = services.propose_variation(
        project, kind="added", description="Blog", amount="350", actor="staff"
    )
    page = portal.get(reverse("portal:project", args=[project.pk])).content.decode()
    assert "Blog" in page and "Confirm and sign" in page
    portal.post(
        reverse("portal:variation_answer", args=[variation.pk]),
        {"answer": "confirm", "signer_name": "Maria Nowak"},
    )
    variation.refresh_from_db()
    assert variation.status == Variation.Status.CONFIRMED
    assert variation.confirmation.snapshot["amount"] == "350.00"
    assert services.variations_total(project) == Decimal("350.00")


def test_the_quote_page_names_its_sla_version_and_the_acceptance_records_it(
    portal, customer, quote
):
    page = portal.get(reverse("portal:quote", args=[quote.pk])).content.decode()
    assert "Service level agreement" in page and "version 1" in page
    assert "Requests are answered within business hours" in page  # the text, to read
    portal.post(
        reverse("portal:quote", args=[quote.pk]),
        {"version": "1", "signer_name": "Maria Nowak", "agree": "on"},
    )
    assert Signature.objects.get().sla_version.number == 1
    page = portal.get(reverse("portal:quote", args=[quote.pk])).content.decode()
    assert "Accepted with the service level agreement version 1." in page


@pytest.mark.parametrize(
    ("language", "estimate", "sla", "refused"),
    [
        ("en", "Estimate, not binding.", "Service level agreement", "binds nobody"),
        (
            "el",
            "Εκτίμηση κόστους, μη δεσμευτική.",
            "Συμφωνία επιπέδου υπηρεσιών",
            "δεν δεσμεύει κανέναν",
        ),
        ("pl", "Wycena szacunkowa, niewiążąca.", "Umowa o poziomie usług", "nikogo nie wiąże"),
    ],
)
def test_an_estimate_says_it_binds_nobody_and_offers_nothing_to_sign(
    portal, customer, today, language, estimate, sla, refused
):
    customer.language = language
    customer.save(update_fields=["language"])
    draft = services.draft_quote(
        customer, title="Online shop", lines=LINES, is_estimate=True, actor="staff"
    )
    services.send_quote(draft, actor="staff")
    page = portal.get(reverse("portal:quote", args=[draft.pk])).content.decode()
    assert estimate in page and sla in page
    assert 'name="signer_name"' not in page  # no acceptance form
    response = portal.post(
        reverse("portal:quote", args=[draft.pk]),
        {"version": "1", "signer_name": "Maria Nowak", "agree": "on"},
    )
    assert response.status_code == 302
    assert refused in portal.get(response["Location"]).content.decode()
    assert Signature.objects.count() == 0 and Project.objects.count() == 0


def test_the_acceptance_form_shows_no_label_for_its_hidden_version_field(client, db):
    """The quote's version travels as a hidden field: the customer sees no "Version" label."""
    from django.template.loader import render_to_string

    from kyklos.portal.projects import AcceptForm

    html = render_to_string(
        "portal/_form_fields.html", {"form": AcceptForm(initial={"version": 3})}
    )
    assert 'type="hidden"' in html and 'value="3"' in html
    assert "<label" in html  # the visible fields keep theirs
    assert 'for="id_version"' not in html
