"""The provisioning pages in a real Chromium, in Greek, English and Polish, wide and at
phone width: screenshots in /tmp/shots/prov/ and no console (CSP) errors."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from kyklos.accounts import roles
from kyklos.provisioning.models import Account, Backup, Job, RestoreRequest
from kyklos.provisioning.services import credential_link
from kyklos.vault import services as vault
from tests.portal.test_browser import CHROMIUM, chromium_page
from tests.provisioning.helpers import DAY, order_and_pay

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path("/tmp/shots/prov")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def cookie_of(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return {"name": "sessionid", "value": session, "url": live_server.url}


@pytest.mark.screens
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_provisioning_pages_in_three_languages_and_at_phone_width(
    live_server, customer, fake_product, fake, django_user_model, django_capture_on_commit_callbacks
):
    fake.refuse.add("create")
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    failed = Job.objects.get(service=service)
    fake.refuse.clear()
    from kyklos.provisioning import services

    services.retry(failed, actor=None)
    services.run_due()
    account = Account.objects.get(service=service)
    backup = Backup.objects.create(
        account=account,
        snapshot="abcdef12",
        taken_at=datetime(2027, 3, 2, 3, 0, tzinfo=UTC),
        keep_until=DAY + timedelta(days=14),
    )
    RestoreRequest.objects.create(
        service=service, backup=backup, requested_at=datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
    )
    staff = django_user_model.objects.create_user("tech", password="x", is_staff=True)
    staff.groups.add(Group.objects.get(name=roles.GROUPS[roles.TECHNICAL]))
    login = django_user_model.objects.create_user("maria", password="x")
    customer.user = login
    customer.save(update_fields=["user"])
    account.service = service
    SHOTS.mkdir(parents=True, exist_ok=True)

    staff_pages = {
        "jobs": "/provisioning/jobs/",
        "job": f"/provisioning/jobs/{failed.pk}/",
        "restores": "/provisioning/restores/",
    }
    customer_pages = {"restore": f"/provisioning/services/{service.pk}/restore/"}
    with chromium_page() as page:
        for language in ("el", "en", "pl"):
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                for who, pages in ((staff, staff_pages), (login, customer_pages)):
                    page.context.clear_cookies()
                    page.context.add_cookies(
                        [
                            cookie_of(who, live_server),
                            {"name": "django_language", "value": language, "url": live_server.url},
                        ]
                    )
                    for name, path in pages.items():
                        response = page.goto(live_server.url + path)
                        assert response.status == 200, (name, language)
                        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
                        page.screenshot(
                            path=SHOTS / f"{name}-{language}-{width}.png", full_page=True
                        )
                # the one-time link: asked, then shown
                vault.store_provider_secret(
                    account.password_purpose, {"password": "Demo-Pass-2027"}, actor="test"
                )
                url = credential_link(account, notify=False)
                path = url.split("://", 1)[1].split("/", 1)[1]
                page.goto(f"{live_server.url}/{path}")
                page.screenshot(path=SHOTS / f"credentials-{language}-{width}.png", full_page=True)
                with page.expect_navigation():
                    page.click("main button[type=submit], .card button[type=submit]")
                page.screenshot(
                    path=SHOTS / f"credentials-shown-{language}-{width}.png", full_page=True
                )
        assert page.console_errors == []
