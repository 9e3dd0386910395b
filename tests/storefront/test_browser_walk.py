"""The whole way of a new customer in a real browser (issue 13's first walk): from the shop
through sign-up and the e-mailed confirmation, ordering a hosting plan with a domain and a
coupon, paying by card against the Stripe test server (localstripe's Stripe.js), saving the
card, to the active service on its own page."""

import re

import pytest
from playwright.sync_api import expect

from kyklos.billing.models import Invoice
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service
from kyklos.payments.defaults import seed_fees
from kyklos.payments.models import MethodFee, Payment, SavedCard
from kyklos.storefront.models import Order
from tests.payments.fakes import STRIPE_SECRET
from tests.storefront.test_browser import PASSWORD, chromium, last_link, shop  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_visitor_signs_up_orders_pays_by_card_saves_it_and_sees_the_active_service(
    shop,  # noqa: F811
    localstripe,
):
    seed_fees(MethodFee)  # the card fee (R6.4), whatever an earlier test's flush left
    localstripe.register_webhook(f"{shop}/payments/webhooks/card/", STRIPE_SECRET)
    with chromium() as page:
        page.goto(f"{shop}/")
        page.get_by_role("link", name="Web Starter hosting").click()
        page.get_by_label(re.compile("Annual")).check()
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_label("Domain name").fill("nikos-papas.gr")
        page.get_by_role("button", name="Search and add").click()
        page.get_by_text("nikos-papas.gr").first.wait_for()
        page.get_by_label("Coupon code").fill("WELCOME20")
        page.get_by_role("button", name="Apply").click()
        page.get_by_text("coupon WELCOME20").wait_for()
        page.get_by_role("button", name="Continue: sign up").click()

        page.get_by_label("E-mail address").fill("nikos@example.gr")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Full name").fill("Nikos Papas")
        page.get_by_label("Country").select_option("GR")
        page.get_by_label("I am 18 years old or older.").check()
        page.get_by_label("I have read and accept the terms of service.").check()
        page.get_by_role("button", name="Sign up").last.click()
        page.get_by_role("heading", name="Check your e-mail").wait_for()

        page.goto(last_link("/shop/verify/"))
        page.get_by_role("button", name="Confirm and open my account").click()
        page.get_by_label(re.compile("Username")).fill("nikos@example.gr")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").last.click()
        page.get_by_role("heading", name="Pay this document").wait_for()

        page.get_by_label("Card —").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
        page.get_by_placeholder("number").fill("4242424242424242")
        page.get_by_placeholder("exp_month").fill("12")
        page.get_by_placeholder("exp_year").fill("30")
        page.get_by_placeholder("cvc").fill("123")
        page.get_by_label("Save this card for later payments").check()
        page.get_by_role("button", name="Pay now").click()
        expect(page.get_by_role("status").first).to_contain_text("Your payment was received")

        nikos = Customer.objects.get()
        hosting = Service.objects.get(customer=nikos, product__code="web-starter")
        page.goto(f"{shop}/portal/services/{hosting.pk}/")
        expect(page.get_by_text("Active").first).to_be_visible()
        page.goto(f"{shop}/portal/cards/")
        expect(page.get_by_role("cell", name="Visa •••• 4242")).to_be_visible()
        assert page.console_errors == []

    # The order's proforma and the card fee's (R6.4: 2 % of 67.21), both paid with receipts.
    kinds = sorted((i.kind, str(i.total)) for i in Invoice.objects.filter(customer=nikos))
    assert kinds == [
        ("proforma", "1.34"),
        ("proforma", "67.21"),
        ("receipt", "1.34"),
        ("receipt", "67.21"),
    ]
    proforma = Order.objects.get(customer=nikos).invoice
    proforma.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
    assert Payment.objects.filter(invoice=proforma, method="card").count() == 1
    services = Service.objects.filter(customer=nikos).order_by("id")
    assert [(s.product.code, s.label, s.state) for s in services] == [
        ("web-starter", "", "active"),
        ("domain-gr", "nikos-papas.gr", "active"),
    ]
    assert services[0].coupon.code == "WELCOME20"
    assert [c.last4 for c in SavedCard.objects.filter(customer=nikos)] == ["4242"]
