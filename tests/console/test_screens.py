"""Every console page in a real browser, in Greek, English and Polish and at phone width:
no console error (a CSP violation would be one), each page in the language asked for.
Screenshots go to /tmp/shots/console/ for people to look at."""

import pytest
from django.urls import reverse

from kyklos.accounts import roles
from kyklos.billing.models import Invoice
from tests.console.test_browser import SHOTS, chromium_page, log_in, staff_login, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.real_second_factor]

LANGUAGES = ("el", "en", "pl")


@pytest.mark.screens
def test_every_console_page_in_every_language_and_at_phone_width(live_server, world):  # noqa: F811
    maria, service = world["maria"], world["service"]
    receipt = Invoice.objects.get(customer=maria)
    _user, device = staff_login("ada", roles.ADMIN)
    pages = {
        "search": reverse("console:home") + "?q=nowak",
        "customer": reverse("console:customer", args=[maria.pk]),
        "invoice": reverse("console:invoice_new", args=[maria.pk]),
        "credit-note": reverse("console:credit_note", args=[receipt.pk]),
        "refund": reverse("console:refund", args=[receipt.pk]),
        "account-credit": reverse("console:account_credit", args=[maria.pk]),
        "dashboard": reverse("console:dashboard"),
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        log_in(page, live_server.url, "ada", device)
        for language in LANGUAGES:
            page.context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )
            for width, suffix in ((1280, ""), (390, "-phone")):
                page.set_viewport_size({"width": width, "height": 900})
                for name, path in pages.items():
                    page.goto(live_server.url + path)
                    assert page.locator("html").get_attribute("lang") == language, name
                    page.screenshot(
                        path=str(SHOTS / f"{name}-{language}{suffix}.png"), full_page=True
                    )
            # A refused form, and the customer's portal as staff see it (read-only).
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(live_server.url + pages["invoice"])
            page.locator("#id_reason").fill("—")  # no line: the server refuses it
            page.locator("form.console-form button[type=submit]").click()
            assert page.locator(".form-errors").is_visible()
            page.screenshot(path=str(SHOTS / f"invoice-refused-{language}.png"), full_page=True)
            page.goto(live_server.url + pages["customer"])
            page.locator("details.view-as summary").click()
            page.locator("details.view-as button[type=submit]").click()
            page.screenshot(path=str(SHOTS / f"portal-as-staff-{language}.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(
                path=str(SHOTS / f"portal-as-staff-{language}-phone.png"), full_page=True
            )
            page.locator(".impersonation-banner button").click()
        assert page.console_errors == []
    assert service.pk
