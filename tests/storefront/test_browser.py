"""The shop in a real browser (Playwright, Chromium): a new visitor orders a hosting plan
with a domain and a coupon, signs up, confirms the address from the mail, logs in for the
first time onto the order's proforma with its ways to pay; a customer resets a
forgotten password. Screenshots of every page in el/en/pl and at phone width go to
/tmp/shots/store/."""

import os
import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import Coupon, LifecyclePolicy
from kyklos.core import clock
from kyklos.customers.models import Customer, TermsVersion
from kyklos.lifecycle.models import Service
from tests import factories

# Playwright's sync API runs an event loop in this thread; see tests/portal/test_browser.py.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/shots/store")
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@contextmanager
def chromium(width=1280, height=900, language="en-GB"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(locale=language, viewport={"width": width, "height": height})
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def shop(transactional_db, settings, live_server):
    """The demo-like catalogue, a coupon, the terms in force; links in mails point to the
    live server. The live server runs with the real clock: dates are relative to it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KYKLOS_PORTAL_URL = live_server.url
    seed_policies(LifecyclePolicy)  # an earlier transactional test may have flushed them
    today = clock.today()
    since = today - timedelta(days=30)
    hosting = factories.product(
        "shared_hosting",
        code="web-starter",
        name="Web Starter hosting",
        description="1 website, 10 GB SSD, free SSL, daily backups.",
        prices={"monthly": "4.90", "annual": "49.00"},
        valid_from=since,
    )
    factories.product(
        "email_hosting",
        code="mail-pro",
        name="Mail Pro, 10 mailboxes",
        prices={"monthly": "3.50", "annual": "35.00"},
        valid_from=since,
    )
    addon = factories.product(
        "addon",
        code="addon-backup",
        name="Daily off-site backups",
        prices={"annual": "20.00"},
        valid_from=since,
    )
    addon.addon_for.add(hosting)
    factories.product(
        "domain",
        code="domain-gr",
        name=".gr domain",
        prices={"annual": "15.00"},
        valid_from=since,
    )
    Coupon.objects.create(code="WELCOME20", percent_off=Decimal("20"), valid_from=since)
    TermsVersion.objects.create(
        version="2026-11",
        published_on=since,
        text_el="Όροι χρήσης της υπηρεσίας.",
        text_en="Terms of service.\n\nPayment is in advance.",
        text_pl="Regulamin usługi.",
        created_at=clock.now(),
    )
    return live_server.url


def last_link(pattern: str) -> str:
    body = mail.outbox[-1].body
    return re.search(rf"(https?://\S+{pattern}\S*)", body).group(1)


def test_a_visitor_orders_signs_up_confirms_and_lands_on_the_pay_page(shop):
    with chromium() as page:
        page.goto(f"{shop}/")
        page.get_by_role("link", name="Web Starter hosting").click()
        page.get_by_label(re.compile("Annual")).check()
        page.get_by_role("button", name="Add to cart").click()
        assert page.url.endswith("/shop/cart/")

        page.get_by_label("Domain name").fill("anna-kowalska.gr")
        page.get_by_role("button", name="Search and add").click()
        page.get_by_text("anna-kowalska.gr").first.wait_for()
        page.get_by_label("Coupon code").fill("WELCOME20")
        page.get_by_role("button", name="Apply").click()
        page.get_by_text("coupon WELCOME20").wait_for()
        page.get_by_label("Country").select_option("PL")
        page.get_by_role("button", name="Show the VAT").click()
        page.get_by_text("VAT 23 %").wait_for()  # Polish VAT for a consumer in Poland
        page.get_by_role("button", name="Continue: sign up").click()

        page.get_by_label("E-mail address").fill("anna@example.pl")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Full name").fill("Anna Kowalska")
        page.get_by_label("I am 18 years old or older.").check()
        page.get_by_label("I have read and accept the terms of service.").check()
        page.get_by_role("button", name="Sign up").last.click()
        page.get_by_role("heading", name="Check your e-mail").wait_for()
        assert not Customer.objects.exists()

        page.goto(last_link("/shop/verify/"))
        page.get_by_role("button", name="Confirm and open my account").click()
        assert "/portal/login/" in page.url
        page.get_by_label(re.compile("Username")).fill("anna@example.pl")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").last.click()

        page.get_by_role("heading", name="Pay this document").wait_for()
        assert "/portal/invoices/" in page.url
        assert page.locator("input[name=method]").count() >= 1
        assert page.console_errors == []

    anna = Customer.objects.get()
    assert (anna.email, anna.country, anna.terms.get().version) == (
        "anna@example.pl",
        "PL",
        "2026-11",
    )
    services = Service.objects.filter(customer=anna).order_by("id")
    assert [(s.product.code, s.label, s.state) for s in services] == [
        ("web-starter", "", "pending"),
        ("domain-gr", "anna-kowalska.gr", "pending"),
    ]
    assert services[0].coupon.code == "WELCOME20"


def test_a_customer_resets_a_forgotten_password(shop):
    user = get_user_model().objects.create_user(
        "maria@example.gr", email="maria@example.gr", password="forgotten passphrase 1"
    )
    factories.customer(user=user, email="maria@example.gr", language="en")
    with chromium() as page:
        page.goto(f"{shop}/portal/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("E-mail address").fill("maria@example.gr")
        page.get_by_role("button", name="Send the link").click()
        page.get_by_role("heading", name="Check your e-mail").wait_for()

        link = last_link("/shop/password-reset/")
        page.goto(link)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Save the new password").click()
        page.get_by_text("Your password is changed. Please log in.").wait_for()

        page.goto(link)  # the link worked once
        page.get_by_text("it has expired or was already used").wait_for()
        page.console_errors.remove(
            "Failed to load resource: the server responded with a status of 404 (Not Found)"
        )

        page.goto(f"{shop}/portal/login/")
        page.get_by_label(re.compile("Username")).fill("maria@example.gr")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").last.click()
        page.get_by_role("heading", name="Your services").wait_for()
        assert page.console_errors == []


@pytest.mark.screens
@pytest.mark.parametrize("language", ["el", "en", "pl"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_every_page(shop, language, width):
    """Every shop page, as a visitor and as the new customer, for a person to look at."""
    folder = SHOTS / f"{language}-{width}"
    folder.mkdir(parents=True, exist_ok=True)
    with chromium(width=width, height=900, language=language) as page:
        page.context.add_cookies([{"name": "django_language", "value": language, "url": shop}])

        def shot(name):
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

        page.goto(f"{shop}/")
        shot("01-home")
        page.goto(f"{shop}/shop/products/web-starter/")
        shot("02-product")
        page.locator("input[name=cycle][value=annual]").check()
        page.locator("form[action$='/cart/add/'] button[type=submit]").click()
        page.locator("#cart-domain").fill("shop-demo.gr")
        page.locator("#cart-domain").press("Enter")
        page.locator(".cart td", has_text="shop-demo.gr").wait_for()
        page.locator("#cart-coupon").fill("WELCOME20")
        page.locator("#cart-coupon").press("Enter")
        page.locator(".cart td", has_text="WELCOME20").wait_for()
        page.locator("#cart-country").select_option("GR")
        page.locator("form[action$='/cart/buyer/'] button[type=submit]").click()
        page.locator(".cart .totals .total").wait_for()
        shot("03-cart")
        page.locator("#cart-domain").fill("-bad.gr")
        page.locator("#cart-domain").press("Enter")
        page.locator(".cart .form-errors").wait_for()
        shot("04-cart-error")
        page.goto(f"{shop}/shop/signup/")
        page.locator("form.stacked button[type=submit]").click()
        shot("05-signup-errors")
        page.console_errors.clear()  # the refused form answers 400 on purpose
        email = f"visitor-{language}-{width}@example.gr"
        page.locator("#id_email").fill(email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_name").fill("Eleni Papadopoulou")
        page.locator("#id_country").select_option("GR")
        page.locator("#id_adult_confirmed").check()
        page.locator("#id_accept_terms").check()
        page.locator("form.stacked button[type=submit]").click()
        shot("06-signup-sent")
        page.goto(last_link("/shop/verify/"))
        shot("07-verify")
        page.locator("main form button[type=submit]").click()
        page.locator("#id_username").fill(email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile("/portal/invoices/"))
        shot("08-first-login-pay")
        page.goto(f"{shop}/shop/terms/")
        shot("09-terms")
        page.goto(f"{shop}/shop/verify/used-or-made-up/")
        shot("10-verify-invalid")
        page.console_errors.clear()  # that page answers 404 on purpose
        page.locator("header button.button-link").click()  # log out
        page.goto(f"{shop}/shop/password-reset/")
        shot("11-reset")
        page.locator("#id_email").fill(email)
        page.locator("main form button[type=submit]").click()
        shot("12-reset-sent")
        page.goto(last_link("/shop/password-reset/"))
        shot("13-reset-confirm")
        page.goto(f"{shop}/portal/login/")
        shot("14-login")
        assert page.console_errors == []
