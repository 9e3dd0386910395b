"""The portal in a real browser: log in, see the services, "Renew now" through HTMX."""

import os
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from kyklos.billing.models import Invoice
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy
from kyklos.core import clock
from tests import factories
from tests.portal.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread. While it runs, Django gives
# ORM calls a separate, context-local connection that is never closed, so the test
# touches the database only outside the browser block.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path("/tmp/portal-dashboard.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@contextmanager
def chromium_page():
    """A Chromium page; its console errors (e.g. CSP violations) in ``page.console_errors``."""
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
        page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 800})
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def service(transactional_db):
    """Maria's hosting, expiring in 20 days, with an add-on; and a second hosting."""
    seed_policies(LifecyclePolicy)  # an earlier transactional test may have flushed them
    # The live server runs in another thread with the real clock: dates are relative to it.
    today = clock.today()
    user = get_user_model().objects.create_user("maria", password=PASSWORD)
    customer = factories.customer(name="Maria Nowak", language="en", user=user)
    hosting = factories.product("shared_hosting", name="Web Hosting Pro")
    storage = factories.product("addon", name="Extra storage 10 GB")
    service = factories.active_service(
        customer,
        hosting,
        label="maria-nowak.gr",
        expires_on=today + timedelta(days=20),
        started_on=today - timedelta(days=345),
    )
    factories.active_service(customer, storage, parent=service, expires_on=service.expires_on)
    factories.active_service(
        customer, hosting, label="nowak-shop.gr", expires_on=today + timedelta(days=200)
    )
    return service


def test_a_customer_renews_a_service_from_the_dashboard(live_server, service):
    from playwright.sync_api import expect

    invoice_number = f"PRO-{clock.today().year}-000001"
    with chromium_page() as page:
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        expect(page.get_by_role("heading", name="Your services")).to_be_visible()
        row = page.locator(f"#service-{service.pk}")
        expect(row).to_contain_text("maria-nowak.gr")
        expect(row).to_contain_text("Expiring")
        expect(row).to_contain_text("Extra storage 10 GB")
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        row.get_by_role("button", name="Renew now").click()

        expect(row.get_by_role("status")).to_contain_text(
            f"Proforma {invoice_number} was issued for the next period"
        )
        expect(row.get_by_role("link", name=invoice_number)).to_be_visible()
        expect(row.get_by_role("button", name="Renew now")).to_have_count(0)
        assert page.url == f"{live_server.url}/portal/"  # swapped in place, no navigation
        assert page.console_errors == []  # e.g. no CSP violation

    assert Invoice.objects.get().number == invoice_number
