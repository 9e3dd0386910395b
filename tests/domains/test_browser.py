"""The domain pages in a real browser, in Greek, English and Polish and at phone width:
screenshots into /tmp/shots/dom/ (looked at by hand), no console or CSP errors."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from kyklos.core import clock
from kyklos.domains.models import Domain, DomainState, Tld, Transfer
from tests import factories
from tests.portal.test_browser import CHROMIUM

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path("/tmp/shots/dom")
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    # The live server reads the rows from another thread: committed data, and what the
    # migrations seed put back after an earlier test's flush.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def maria(registrar, peer):
    peer.registry.today = clock.today
    peer.registry.take("taken-kyklos.gr")
    user = get_user_model().objects.create_user("maria", password=PASSWORD)
    customer = factories.customer(name="Maria Nowak", language="en", user=user)
    today = clock.today()
    gr = Tld.objects.get(suffix="gr")
    com = Tld.objects.get(suffix="com")
    active = Domain.objects.create(
        name="maria-nowak.gr",
        tld=gr,
        customer=customer,
        state=DomainState.ACTIVE,
        state_changed_on=today,
        years=2,
        ordered_on=today - timedelta(days=400),
        registered_on=today - timedelta(days=400),
        expires_on=today + timedelta(days=330),
        nameservers=["ns1.kyklos.localhost", "ns2.kyklos.localhost"],
        locked=False,
        synced_at=clock.now(),
        created_at=clock.now(),
    )
    Transfer.objects.create(
        domain=active,
        direction="out",
        status="requested",
        auth_code_serial=1,
        requested_at=clock.now(),
    )
    Domain.objects.create(
        name="nowak-shop.com",
        tld=com,
        customer=customer,
        state=DomainState.GRACE,
        state_changed_on=today,
        years=1,
        ordered_on=today - timedelta(days=370),
        registered_on=today - timedelta(days=370),
        expires_on=today - timedelta(days=5),
        nameservers=["ns1.kyklos.localhost", "ns2.kyklos.localhost"],
        created_at=clock.now(),
    )
    return customer, active


def shoot(live_server, domain, language, width, height=900):
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": width, "height": height})
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/portal/")
        suffix = f"{language}-{width}"
        for name, path in (
            ("list", "/portal/domains/"),
            ("search", "/portal/domains/search/?q=free-kyklos.gr+taken-kyklos.gr+free-kyklos.com"),
            ("detail", f"/portal/domains/{domain.pk}/"),
            ("owner", f"/portal/domains/{domain.pk}/owner/"),
        ):
            page.goto(live_server.url + path)
            assert page.locator("h1").count() == 1 and "/login/" not in page.url
            page.screenshot(path=str(SHOTS / f"{name}-{suffix}.png"), full_page=True)
        browser.close()
    return errors


@pytest.mark.screens
def test_domain_pages_in_three_languages_and_at_phone_width(live_server, maria):
    customer, domain = maria
    SHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("el", "en", "pl"):
        get_user_model().objects.filter(pk=customer.user_id)  # outside the browser block
        type(customer).objects.filter(pk=customer.pk).update(language=language)
        assert shoot(live_server, domain, language, 1280) == []
        assert shoot(live_server, domain, language, 390) == []
    assert (SHOTS / "detail-el-390.png").exists()


def walk_transfer(live_server, peer, language, width, height=900):
    """Search a name registered elsewhere, follow "Transfer it here", check what the transfer
    gains, give the auth code and order it: screenshots of each step."""
    from playwright.sync_api import sync_playwright

    name = f"moving-{language}-{width}.com"
    peer.registry.held_elsewhere(name, auth_code="Their-7!x", renewed_days_ago=12)
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": width, "height": height})
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Username").fill("maria")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/portal/")
        suffix = f"{language}-{width}"
        page.goto(f"{live_server.url}/portal/domains/search/?q={name}")
        page.screenshot(path=str(SHOTS / f"transfer-search-{suffix}.png"), full_page=True)
        page.locator("a[href*='/portal/domains/transfer/']").first.click()
        page.wait_for_url("**/portal/domains/transfer/?name=*")
        assert page.locator("#id_auth_code").count() == 1
        assert page.locator(".message-warning li").count() >= 2  # no extra year; the days
        page.locator("#id_auth_code").fill("Their-7!x")
        page.screenshot(path=str(SHOTS / f"transfer-quote-{suffix}.png"), full_page=True)
        page.locator("form[action$='/portal/domains/transfer/'] button[type=submit]").click()
        page.wait_for_url("**/portal/domains/*/")
        assert page.locator("h1").inner_text() == name
        page.screenshot(path=str(SHOTS / f"transfer-ordered-{suffix}.png"), full_page=True)
        browser.close()
    return errors


@pytest.mark.screens
def test_transfer_in_walk_in_three_languages_and_at_phone_width(live_server, maria, peer):
    customer, _domain = maria
    SHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("el", "en", "pl"):
        type(customer).objects.filter(pk=customer.pk).update(language=language)
        assert walk_transfer(live_server, peer, language, 1280) == []
        assert walk_transfer(live_server, peer, language, 390) == []
    ordered = Domain.objects.filter(name__startswith="moving-", state=DomainState.PENDING)
    assert ordered.count() == 6 and {d.origin for d in ordered} == {"transfer"}
