"""A customer pays a proforma by card in a real browser, through localstripe's Stripe.js
(its card element, confirmCardSetup and 3-D Secure), saves the card, and finds it in
"Cards and automatic payment". Screenshots of the card pages in el/en/pl and at phone
width go to /tmp/shots/pay/."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy
from kyklos.core import clock
from kyklos.payments.models import Payment, SavedCard
from tests import factories
from tests.payments.fakes import STRIPE_SECRET
from tests.portal.conftest import PASSWORD
from tests.portal.test_browser import CHROMIUM, chromium_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path("/tmp/shots/pay")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def proforma(transactional_db):
    seed_policies(LifecyclePolicy)
    user = get_user_model().objects.create_user("maria", password=PASSWORD)
    customer = factories.customer(name="Maria Nowak", language="en", user=user)
    # The live server runs with the real clock: the document is issued today.
    return issue_document(
        DocumentSpec(
            customer=customer,
            kind=DocumentKind.PROFORMA,
            lines=[LineSpec(description="Web Hosting Pro", unit_price=Decimal("120.00"))],
            issued_on=clock.today(),
        )
    )


def shoot(page, name: str, live_url: str, path: str):
    """The page at ``path`` in each language, wide and at phone width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("el", "en", "pl"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_url}])
        for width, suffix in ((1280, ""), (390, "-390")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(live_url + path)
            page.screenshot(path=str(SHOTS / f"{name}-{language}{suffix}.png"), full_page=True)
    page.context.clear_cookies(name="django_language")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_customer_pays_by_card_saves_it_and_sees_it(live_server, proforma, localstripe):
    from playwright.sync_api import expect

    localstripe.register_webhook(f"{live_server.url}/payments/webhooks/card/", STRIPE_SECRET)
    with chromium_page() as page:
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/portal/invoices/{proforma.pk}/")
        page.get_by_label("Card —").check()
        page.get_by_role("button", name="Continue").click()

        expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
        expect(page.locator("#card-element input")).to_have_count(5)  # Stripe.js's element
        card_path = page.url.removeprefix(live_server.url)
        shoot(page, "card-pay", live_server.url, card_path)
        page.goto(live_server.url + card_path)

        page.get_by_placeholder("number").fill("4242424242424242")
        page.get_by_placeholder("exp_month").fill("12")
        page.get_by_placeholder("exp_year").fill("30")
        page.get_by_placeholder("cvc").fill("123")
        page.get_by_label("Save this card for later payments").check()
        page.get_by_role("button", name="Pay now").click()

        expect(page.get_by_role("status").first).to_contain_text("Your payment was received")
        page.get_by_role("link", name="Cards", exact=True).click()
        expect(page.get_by_role("heading", name="Cards and automatic payment")).to_be_visible()
        expect(page.get_by_role("cell", name="Visa •••• 4242")).to_be_visible()
        page.get_by_role("button", name="Turn automatic payment on").click()
        expect(page.get_by_text("Automatic payment is on.")).to_be_visible()
        shoot(page, "cards", live_server.url, "/portal/cards/")
        assert page.console_errors == []  # no CSP violation, no script error

    proforma.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
    assert Payment.objects.filter(invoice=proforma, method="card").count() == 1
    assert [c.last4 for c in SavedCard.objects.all()] == ["4242"]


def test_a_3d_secure_card_is_confirmed_in_the_browser(live_server, proforma, localstripe):
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/portal/invoices/{proforma.pk}/")
        page.get_by_label("Card —").check()
        page.get_by_role("button", name="Continue").click()
        page.get_by_placeholder("number").fill("4000002500003155")
        page.get_by_placeholder("exp_month").fill("12")
        page.get_by_placeholder("exp_year").fill("30")
        page.get_by_placeholder("cvc").fill("123")
        page.get_by_role("button", name="Pay now").click()
        # the card is set up (3-D Secure once), then the payment asks again on our page
        page.get_by_role("button", name="Complete authentication").click()
        expect(page.get_by_text("Your bank asks you to confirm this payment")).to_be_visible()
        page.screenshot(path=str(SHOTS / "card-3ds-en.png"), full_page=True)
        page.get_by_role("button", name="Complete authentication").click()
        expect(page.get_by_role("status").first).to_contain_text("Your payment was received")
        assert page.console_errors == []

    proforma.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
