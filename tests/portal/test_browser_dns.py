"""The DNS editor and the certificates page in a real browser: a refused row is marked in
place through HTMX (no navigation, no CSP error); screenshots in el/en/pl and at phone
width go to /tmp/shots/dnsacme/."""

import base64
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from kyklos.certificates.models import Certificate
from kyklos.core import clock
from kyklos.dns import services as dns
from tests import factories
from tests.dns.seed import seed_migrated_data
from tests.portal.conftest import PASSWORD
from tests.portal.test_browser import CHROMIUM, chromium_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path("/tmp/shots/dnsacme")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def maria(transactional_db, settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
    seed_migrated_data()
    user = get_user_model().objects.create_user("maria", password=PASSWORD)
    customer = factories.customer(name="Maria Nowak", language="en", user=user)
    dns.ensure_zone("maria-nowak.gr", customer_id=customer.pk)
    now = clock.now()
    for names, days, state in [
        (["maria-nowak.gr", "www.maria-nowak.gr"], 75, Certificate.State.ISSUED),
        (["shop.maria-nowak.gr"], 12, Certificate.State.ISSUED),
        (["nowak-shop.pl"], None, Certificate.State.AWAITING_ORGANISATION),
    ]:
        Certificate.objects.create(
            customer=customer,
            names=names,
            kind="dv" if days else "ov",
            state=state,
            key_custody=Certificate.KeyCustody.SHOWN_ONCE,
            csr_pem="-",
            chain_pem="-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" if days else "",
            not_after=now + timedelta(days=days) if days else None,
            created_at=now,
        )
    return customer


def log_in(page, url):
    page.goto(f"{url}/portal/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_dns_editor_marks_a_refused_row_in_place(live_server, maria):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/portal/dns/maria-nowak.gr/")
        expect(page.get_by_role("heading", name="DNS records of maria-nowak.gr")).to_be_visible()
        page.locator('input[name="name-4"]').fill("shop")
        page.locator('select[name="type-4"]').select_option("AAAA")
        page.locator('input[name="content-4"]').fill("not-an-address")
        page.get_by_role("button", name="Save the records").click()
        expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
        expect(page.locator("tr.has-error")).to_contain_text("not a valid AAAA value")
        assert page.url == f"{live_server.url}/portal/dns/maria-nowak.gr/"
        page.screenshot(path=str(SHOTS / "dns-editor-error-en.png"), full_page=True)
        assert page.console_errors == []


@pytest.mark.screens
def test_screenshots_in_every_language_and_at_phone_width(live_server, maria):
    SHOTS.mkdir(parents=True, exist_ok=True)
    cookie = django_settings.LANGUAGE_COOKIE_NAME
    with chromium_page() as page:
        log_in(page, live_server.url)
        for language in ("el", "en", "pl"):
            page.context.add_cookies([{"name": cookie, "value": language, "url": live_server.url}])
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 800})
                suffix = f"{language}-{width}"
                for name, path in [
                    ("dns-zones", "/portal/dns/"),
                    ("dns-editor", "/portal/dns/maria-nowak.gr/"),
                    ("certificates", "/portal/certificates/"),
                ]:
                    page.goto(f"{live_server.url}{path}")
                    page.screenshot(path=str(SHOTS / f"{name}-{suffix}.png"), full_page=True)
                page.goto(f"{live_server.url}/portal/certificates/")
                page.get_by_role("textbox").first.fill("shop.example.org")
                page.locator("form.stacked button[type=submit]").click()
                page.wait_for_selector("#private-key")
                page.screenshot(path=str(SHOTS / f"key-once-{suffix}.png"), full_page=True)
        assert page.console_errors == []
