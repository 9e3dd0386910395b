"""The card pages of the portal (R6.4, R6.10), against localstripe: the pay page with
Stripe.js (its origin allowed by the page's CSP only), saving and removing cards,
automatic payment; bad input gives one line and writes nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.payments.models import CardProfile, Checkout, Payment, SavedCard

pytestmark = pytest.mark.django_db


@pytest.fixture
def proforma(customer):
    return issue_document(
        DocumentSpec(
            customer=customer,
            kind=DocumentKind.PROFORMA,
            lines=[LineSpec(description="Web Hosting Pro", unit_price=Decimal("120.00"))],
            issued_on=date(2027, 2, 20),
        )
    )


@pytest.fixture
def checkout(portal, proforma, today, localstripe):
    portal.post(reverse("portal:pay", args=[proforma.pk]), {"method": "card"})
    return Checkout.objects.get()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_card_page_loads_stripe_js_and_allows_only_its_origin(portal, checkout, localstripe):
    response = portal.get(reverse("portal:card_pay", args=[checkout.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<script src="{localstripe.url}/js.stripe.com/v3/"></script>' in html
    assert 'data-setup-secret="seti_' in html and "€151.78" in html
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe.url}" in csp
    assert localstripe.url in csp.split("connect-src")[1]
    # other pages keep the strict policy
    other = portal.get(reverse("portal:invoices")).headers["Content-Security-Policy"]
    assert localstripe.url not in other


def test_paying_on_the_page_records_the_payment(portal, checkout, proforma, localstripe):
    localstripe.confirm_setup(checkout.setup_reference, "4242424242424242")
    response = portal.post(
        reverse("portal:card_pay", args=[checkout.pk]),
        {"setup_intent": checkout.setup_reference, "save_card": "on"},
        follow=True,
    )
    assert "Your payment was received" in " ".join(messages_of(response))
    proforma.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
    assert [c.last4 for c in SavedCard.objects.all()] == ["4242"]


def test_a_3d_secure_card_goes_through_the_page_and_the_return(portal, checkout, localstripe):
    localstripe.confirm_setup(checkout.setup_reference, "4000002500003155")
    response = portal.post(
        reverse("portal:card_pay", args=[checkout.pk]), {"setup_intent": checkout.setup_reference}
    )
    assert response["Location"] == reverse("portal:card_pay", args=[checkout.pk])
    page = portal.get(response["Location"]).content.decode()
    assert 'data-intent-secret="pi_' in page and "confirm this payment" in page
    checkout.refresh_from_db()
    secret = page.split('data-intent-secret="')[1].split('"')[0]
    localstripe.authenticate(checkout.provider_reference, secret)

    back = portal.get(reverse("portal:checkout_return", args=[checkout.pk]), follow=True)

    assert "Your payment was received" in " ".join(messages_of(back))
    assert Payment.objects.filter(invoice=checkout.invoice).count() == 1


def test_a_declined_card_is_told_in_one_line_and_nothing_is_paid(portal, checkout, localstripe):
    localstripe.confirm_setup(checkout.setup_reference, "4000000000000341")
    response = portal.post(
        reverse("portal:card_pay", args=[checkout.pk]),
        {"setup_intent": checkout.setup_reference},
        follow=True,
    )
    (message,) = messages_of(response)
    assert "Your card was declined" in message and "\n" not in message
    assert not Payment.objects.exists()


def test_bad_input_on_the_card_page_writes_nothing(portal, checkout, localstripe, other_customer):
    before = (Payment.objects.count(), SavedCard.objects.count(), Checkout.objects.count())
    for tampered in ("", "seti_unknown", "<script>", "x" * 3000):
        response = portal.post(
            reverse("portal:card_pay", args=[checkout.pk]),
            {"setup_intent": tampered},
            follow=True,
        )
        assert len(messages_of(response)) == 1
    assert (Payment.objects.count(), SavedCard.objects.count(), Checkout.objects.count()) == before
    checkout.refresh_from_db()
    assert checkout.status == "pending"


def test_another_customers_checkout_is_not_found(client, checkout, other_customer):
    client.force_login(other_customer.user)
    assert client.get(reverse("portal:card_pay", args=[checkout.pk])).status_code == 404
    assert client.post(reverse("portal:card_pay", args=[checkout.pk]), {}).status_code == 404


def test_saving_a_card_and_automatic_payment(portal, customer, today, localstripe):
    page = portal.get(reverse("portal:cards"))
    html = page.content.decode()
    assert page.status_code == 200 and "You have no saved card." in html
    setup = html.split('data-setup-secret="')[1].split("_secret_")[0]
    localstripe.confirm_setup(setup, "4242424242424242")

    saved = portal.post(reverse("portal:cards"), {"setup_intent": setup}, follow=True)
    assert "Visa •••• 4242" in saved.content.decode() and "12/2030" in saved.content.decode()
    on = portal.post(reverse("portal:auto_pay"), {"auto_pay": "on"}, follow=True)
    assert "Automatic payment is on" in on.content.decode()
    assert CardProfile.objects.get(customer=customer).auto_pay

    card = SavedCard.objects.get()
    portal.post(reverse("portal:card_remove", args=[card.pk]))
    card.refresh_from_db()
    assert card.removed_at is not None
    assert not CardProfile.objects.get(customer=customer).auto_pay
    again = portal.post(reverse("portal:card_remove", args=[card.pk]), follow=True)
    assert messages_of(again)[-1] == "There is no such card on your account."


def test_card_bad_input_is_one_line_and_writes_nothing(portal, customer, today, localstripe):
    before = SavedCard.objects.count()
    bad = portal.post(reverse("portal:cards"), {"setup_intent": "seti_forged"}, follow=True)
    assert messages_of(bad) == ["This card was not entered for your account."]
    refused = portal.post(reverse("portal:auto_pay"), {"auto_pay": "on"}, follow=True)
    assert messages_of(refused) == ["Save a card first: automatic payment charges it."]
    assert portal.post(reverse("portal:card_remove", args=[999999])).status_code == 404
    assert SavedCard.objects.count() == before
    assert not CardProfile.objects.filter(customer=customer, auto_pay=True).exists()
