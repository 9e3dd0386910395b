"""In a real browser: the owner opens a service's page, upgrades it with the prorated
amount shown first, and invites a billing contact who logs in and sees the invoices but
not the services (issue 13)."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from kyklos.accounts.models import Contact
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy
from kyklos.core import clock
from kyklos.lifecycle.models import PlanChange
from kyklos.notifications.models import Outbox
from tests import factories
from tests.portal.conftest import PASSWORD
from tests.portal.test_browser import CHROMIUM, chromium_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
#: Screenshots of the new pages in every language and at phone width go here when set.
SHOTS = os.environ.get("KYKLOS_SCREENSHOTS")


@pytest.fixture
def world(transactional_db):
    """Maria's Basic hosting, 100 days into a 365-day period; Pro costs twice as much."""
    seed_policies(LifecyclePolicy)
    today = clock.today()  # the live server runs on the real clock
    user = get_user_model().objects.create_user("maria", password=PASSWORD)
    customer = factories.customer(
        name="Maria Nowak", email="maria@example.gr", language="en", user=user
    )
    basic = factories.product("shared_hosting", name="Hosting Basic", prices={"annual": "120.00"})
    factories.product("shared_hosting", name="Hosting Pro", prices={"annual": "240.00"})
    factories.product("shared_hosting", name="Hosting Mini", prices={"annual": "60.00"})
    storage = factories.product("addon", name="Extra storage 10 GB", prices={"annual": "24.00"})
    service = factories.active_service(
        customer,
        basic,
        label="maria-nowak.gr",
        started_on=today - timedelta(days=100),
        expires_on=today - timedelta(days=100) + timedelta(days=365),
    )
    factories.active_service(customer, storage, parent=service, expires_on=service.expires_on)
    return {"customer": customer, "service": service}


def log_in(page, url, username):
    page.goto(f"{url}/portal/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_owner_upgrades_and_invites_a_billing_contact(live_server, world):
    from playwright.sync_api import expect

    service = world["service"]
    with chromium_page() as page:
        log_in(page, live_server.url, "maria")
        page.get_by_role("link", name="Hosting Basic").click()

        expect(page.get_by_role("heading", name=re.compile("Hosting Basic"))).to_be_visible()
        expect(page.locator(".service-page")).to_contain_text("Extra storage 10 GB")
        expect(page.locator(".service-page")).to_contain_text("No usage is reported")
        page.get_by_role("link", name="Change plan").click()

        pro = page.locator(".plan-option", has_text="Hosting Pro")
        # 265 of 365 days left × (240 − 120) = 87.12
        expect(pro).to_contain_text("Pay €87.12 now, plus VAT (265 of 365 days)")
        pro.locator("input").check()
        page.get_by_role("button", name="Confirm the change").click()

        expect(page.get_by_role("heading", name=re.compile("PRO-"))).to_be_visible()
        expect(page.locator("body")).to_contain_text(
            "your plan changes to Hosting Pro when it is paid"
        )

        page.get_by_role("link", name="Contacts").click()
        page.get_by_label("Name").fill("Anna Accounts")
        page.get_by_label("E-mail").fill("anna@example.gr")
        page.get_by_label("Billing: invoices and payments").check()
        page.get_by_role("button", name="Send the invitation").click()
        expect(page.locator("body")).to_contain_text("An invitation was sent to anna@example.gr")
        expect(page.locator("table.data")).to_contain_text("Invited")
        assert page.console_errors == []

    change = PlanChange.objects.get()
    assert (change.service_id, str(change.amount)) == (service.pk, "87.12")
    link = Outbox.objects.get(event="contact_invited").context["link"]
    path = (
        link.split("testserver", 1)[-1]
        if "testserver" in link
        else re.sub(r"^https?://[^/]+", "", link)
    )

    with chromium_page() as page:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("body")).to_contain_text("Billing: invoices and payments")
        page.locator("#id_username").fill("anna")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password_again").fill(PASSWORD)
        page.get_by_role("button", name="Create my login").click()

        expect(page.locator("body")).to_contain_text("Your login anna is ready")
        log_in(page, live_server.url, "anna")

        expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
        expect(page.locator("body")).to_contain_text(change_number(change))
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Services")).to_have_count(0)
        expect(nav.get_by_role("link", name="Contacts")).to_have_count(0)
        assert page.console_errors == []
        page.goto(f"{live_server.url}/portal/services/{service.pk}/")  # answered 403
        expect(page.get_by_role("heading", name="Not part of your access")).to_be_visible()

    assert Contact.objects.get().user.username == "anna"


def change_number(change) -> str:
    return change.invoice.number


@pytest.mark.screens
@pytest.mark.skipif(not SHOTS, reason="set KYKLOS_SCREENSHOTS=<dir> to take screenshots")
def test_screenshots_of_the_service_and_contact_pages(live_server, world):
    """The new pages in el, en and pl, at desktop and phone width, for a person to look at."""
    from kyklos.accounts import services as accounts

    customer, service = world["customer"], world["service"]
    contact, token = accounts.invite_contact(
        customer, name="Anna Accounts", email="anna@example.gr", scope="billing"
    )
    _other, pending = accounts.invite_contact(
        customer, name="Tomasz Tech", email="tom@example.gr", scope="technical"
    )
    accounts.accept_invitation(token, username="anna", password=PASSWORD)
    owner, anna = Client(), Client()
    owner.force_login(customer.user)
    anna.force_login(get_user_model().objects.get(username="anna"))
    cookies = {
        "owner": owner.cookies[settings.SESSION_COOKIE_NAME].value,
        "anna": anna.cookies[settings.SESSION_COOKIE_NAME].value,
    }
    pages = [
        ("owner", "service", f"/portal/services/{service.pk}/"),
        ("owner", "plan", f"/portal/services/{service.pk}/plan/"),
        ("owner", "contacts", "/portal/contacts/"),
        ("owner", "remove", f"/portal/contacts/{contact.pk}/remove/"),
        (None, "invitation", f"/portal/invitations/{pending}/"),
        ("anna", "out-of-scope", f"/portal/services/{service.pk}/"),
    ]
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for language in ("el", "en", "pl"):
            for width, height, suffix in ((1280, 900, ""), (390, 844, "-390")):
                for who, name, path in pages:
                    context = browser.new_context(viewport={"width": width, "height": height})
                    jar = [{"name": "django_language", "value": language, "url": live_server.url}]
                    if who:
                        jar.append(
                            {
                                "name": settings.SESSION_COOKIE_NAME,
                                "value": cookies[who],
                                "url": live_server.url,
                            }
                        )
                    context.add_cookies(jar)
                    page = context.new_page()
                    page.goto(f"{live_server.url}{path}")
                    page.screenshot(
                        path=str(out / f"{name}-{language}{suffix}.png"), full_page=True
                    )
                    context.close()
        browser.close()
