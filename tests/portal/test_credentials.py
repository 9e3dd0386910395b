"""Customers store credentials for support and collect them at contract end (R10.3)."""

import base64
import json
from datetime import date

import pytest
from django.urls import reverse

from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from kyklos.vault import daily, services
from kyklos.vault.models import Credential
from tests import factories
from tests.portal.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()


def login(client, customer):
    client.login(username=customer.user.username, password=PASSWORD)


def test_a_customer_stores_a_credential_and_sees_only_its_label(client, customer, today):
    login(client, customer)

    response = client.post(
        reverse("portal:credentials"),
        {
            "kind": "site_admin",
            "label": "Shop admin",
            "username": "maria",
            "secret": "hunter2-long",
            "url": "",
            "notes": "",
        },
    )

    assert response.status_code == 302
    page = client.get(reverse("portal:credentials")).content.decode()
    assert "Shop admin" in page
    assert "hunter2-long" not in page
    assert Credential.objects.get().customer == customer


def test_an_empty_secret_is_refused_and_nothing_is_stored(client, customer, today):
    login(client, customer)

    response = client.post(
        reverse("portal:credentials"), {"kind": "site_admin", "label": "Shop admin", "secret": ""}
    )

    assert response.status_code == 400
    assert Credential.objects.count() == 0


def test_a_customer_never_sees_another_customers_credentials(
    client, customer, other_customer, today
):
    services.store(
        other_customer, kind="other", label="Nikos private box", secret=services.Secret("n", "p")
    )
    login(client, customer)

    page = client.get(reverse("portal:credentials")).content.decode()

    assert "Nikos private box" not in page
    assert client.post(reverse("portal:credentials_handover")).status_code == 302
    assert not AuditEvent.objects.filter(action="vault.handover.exported").exists()


def test_after_the_contract_ends_the_customer_downloads_them_all(client, customer, today):
    factories.active_service(
        customer, factories.product(), expires_on=date(2027, 2, 1), state=State.TERMINATED
    )
    services.store(customer, kind="other", label="FTP", secret=services.Secret("m", "pw-123"))
    daily.offer_handover(today)
    login(client, customer)

    assert "Download my credentials" in client.get(reverse("portal:credentials")).content.decode()
    response = client.post(reverse("portal:credentials_handover"))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content)["credentials"][0]["secret"] == "pw-123"
