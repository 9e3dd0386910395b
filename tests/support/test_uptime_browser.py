"""The outage form on the desk and the availability block on the portal, in Chromium, in
el/en/pl and at phone width; screenshots in /tmp/shots/panels/."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from kyklos.accounts import roles
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy
from kyklos.core import clock
from kyklos.support import services
from kyklos.support.defaults import seed as seed_support
from kyklos.support.services.uptime import Outage, confirm_outage
from tests import factories
from tests.accounts.helpers import verify_session
from tests.portal.test_browser import CHROMIUM, chromium_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path("/tmp/shots/panels")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def world(transactional_db):
    # an earlier transactional test may have flushed the seeded rows
    seed_policies(LifecyclePolicy)
    seed_support(lambda name: apps.get_model("support", name))
    now = clock.now()
    user = get_user_model().objects.create_user("maria", password="x" * 12)
    customer = factories.customer(name="Maria Nowak", language="en", user=user)
    hosting = factories.product("shared_hosting", name="Web Hosting Pro")
    site = factories.active_service(
        customer,
        hosting,
        label="maria-nowak.gr",
        started_on=clock.today() - timedelta(days=400),
        expires_on=clock.today() + timedelta(days=100),
    )
    factories.active_service(
        customer, hosting, label="nowak-shop.gr", expires_on=clock.today() + timedelta(days=60)
    )
    start = now - timedelta(days=3, hours=12)
    with clock.frozen(start + timedelta(minutes=20)):
        ticket = services.open_ticket(
            services.NewTicket(
                subject="maria-nowak.gr is down",
                body="The site does not answer since this morning.",
                department="technical",
                customer=customer,
                service=site,
            )
        )
    confirm_outage(ticket, Outage(site, start, start + timedelta(hours=11)))
    second = services.open_ticket(
        services.NewTicket(
            subject="Again no answer",
            body="Down again.",
            department="technical",
            customer=customer,
            service=site,
        )
    )
    agent = get_user_model().objects.create_user("agent", is_staff=True, email="a@k.localhost")
    roles.assign(agent, roles.SUPPORT)
    return {"user": user, "agent": agent, "ticket": second}


def _cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    if user.is_staff:
        verify_session(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.mark.screens
@pytest.mark.parametrize("language", ["en", "el", "pl"])
def test_screens(live_server, world, language):
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer_cookie = _cookie(world["user"], live_server)
    staff_cookie = _cookie(world["agent"], live_server)
    language_cookie = {
        "name": settings.LANGUAGE_COOKIE_NAME,
        "value": language,
        "url": live_server.url,
    }
    with chromium_page() as page:
        for width, suffix in ((1280, ""), (390, "-phone")):
            page.set_viewport_size({"width": width, "height": 900})
            page.context.clear_cookies()
            page.context.add_cookies([customer_cookie, language_cookie])
            page.goto(f"{live_server.url}/portal/")
            assert page.locator("#uptime-title").count() == 1
            page.screenshot(path=str(SHOTS / f"dashboard-{language}{suffix}.png"), full_page=True)
            page.context.clear_cookies()
            page.context.add_cookies([staff_cookie, language_cookie])
            page.goto(f"{live_server.url}/desk/tickets/{world['ticket'].pk}/")
            assert page.locator("#outage-title").count() == 1
            page.locator("#outage-title").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"desk-outage-{language}{suffix}.png"), full_page=True)
        assert page.console_errors == []
