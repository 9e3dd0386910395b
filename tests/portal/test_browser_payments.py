"""The invoice page of a renewal paid late (R3.4) in a real browser: screenshots in el/en/pl
and at phone width go to /tmp/shots/payments/."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from tests import factories
from tests.dns.seed import seed_migrated_data
from tests.portal.conftest import PASSWORD
from tests.portal.test_browser import CHROMIUM, chromium_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path("/tmp/shots/payments")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def late_renewal(transactional_db, run_day):
    seed_migrated_data()
    user = get_user_model().objects.create_user("maria", password=PASSWORD)
    customer = factories.customer(name="Maria Nowak", language="en", user=user)
    hosting = factories.product("shared_hosting", prices={"annual": "120.00"})
    # the live server reads the real clock: the service expires in two days from now
    expires_on = clock.today() + timedelta(days=2)
    factories.active_service(customer, hosting, label="maria-nowak.gr", expires_on=expires_on)
    run_day(expires_on - timedelta(days=30))
    return Invoice.objects.get(customer=customer, kind=DocumentKind.PROFORMA)


@pytest.mark.screens
def test_screenshots_of_a_late_renewal_in_every_language_and_at_phone_width(
    live_server, late_renewal
):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    cookie = django_settings.LANGUAGE_COOKIE_NAME
    with chromium_page() as page:
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        for language in ("el", "en", "pl"):
            page.context.add_cookies([{"name": cookie, "value": language, "url": live_server.url}])
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 800})
                page.goto(f"{live_server.url}/portal/invoices/{late_renewal.pk}/")
                expect(page.locator(".message-warning")).to_contain_text("maria-nowak.gr")
                page.screenshot(
                    path=str(SHOTS / f"late-renewal-{language}-{width}.png"), full_page=True
                )
        assert page.console_errors == []
