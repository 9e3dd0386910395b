"""The staff view (admin): transmissions with their attempts, "Send again" for billing,
channel configuration with write-only credentials for the admin role; the portal page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kyklos.accounts import roles
from kyklos.billing.models import Transmission
from kyklos.core import clock
from kyklos.einvoicing import services
from kyklos.einvoicing.models import ChannelConfig
from kyklos.vault.models import ProviderSecret
from tests.accounts.conftest import make_user
from tests.einvoicing.conftest import DAY, staff
from tests.einvoicing.fake import FakeChannel

pytestmark = pytest.mark.django_db
NOON = clock.start_of_day(DAY) + timedelta(hours=12)


def add_channel(client, **fields):
    """The admin's "add channel" form posted with the fake channel's fields."""
    form = {
        "channel": "fake",
        "country": "GR",
        "enabled": "on",
        "environment": "test",
        "applies_from": "2027-05-01",
        "settings": '{"branch": "1"}',
        "credentials": "user=u",
    }
    return client.post(reverse("admin:einvoicing_channelconfig_add"), {**form, **fields})


@pytest.fixture
def refused(config, issue):
    invoice = issue("invoice")[0]
    FakeChannel.script = ["permanent"]
    with clock.frozen(NOON):
        services.send_due()
    return invoice.transmissions.get()


def test_billing_reads_the_systems_answer_and_sends_a_failed_one_again(
    refused, django_capture_on_commit_callbacks
):
    client = staff(roles.BILLING)
    page = client.get(reverse("admin:billing_transmission_change", args=[refused.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        "VAT number of the buyer is invalid" in body
        and "&lt;error code=&#x27;102&#x27;/&gt;" in body
    )
    invoice_page = client.get(reverse("admin:billing_invoice_change", args=[refused.invoice_id]))
    assert (
        reverse("admin:billing_transmission_change", args=[refused.pk])
        in invoice_page.content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True), clock.frozen(NOON):
        response = client.post(
            reverse("admin:billing_transmission_changelist"),
            {"action": "send_again", "_selected_action": [refused.pk]},
        )
    assert response.status_code == 302
    refused.refresh_from_db()
    assert refused.status == Transmission.Status.SENT


def test_support_reads_transmissions_but_cannot_send_them_again(refused):
    client = staff(roles.SUPPORT)
    url = reverse("admin:billing_transmission_changelist")
    assert client.get(url).status_code == 200
    assert "send_again" not in client.get(url).content.decode()
    client.post(url, {"action": "send_again", "_selected_action": [refused.pk]})
    refused.refresh_from_db()
    assert refused.status == Transmission.Status.FAILED


def test_the_admin_role_configures_a_channel_and_its_credentials_are_never_shown(db, fake_channel):
    client = staff(roles.ADMIN)
    response = add_channel(client, credentials="user=kyklos\nkey=top-secret")
    assert response.status_code == 302, response.content.decode()[:2000]
    config = ChannelConfig.objects.get()
    assert config.enabled and config.settings == {"branch": "1"}
    assert ProviderSecret.objects.get().names == ["key", "user"]
    page = client.get(reverse("admin:einvoicing_channelconfig_change", args=[config.pk]))
    assert "top-secret" not in page.content.decode() and "key, user" in page.content.decode()


def test_billing_cannot_change_a_channel(db, fake_channel):
    client = staff(roles.BILLING)
    assert client.get(reverse("admin:einvoicing_channelconfig_changelist")).status_code == 200
    assert client.get(reverse("admin:einvoicing_channelconfig_add")).status_code == 403


def test_a_wrong_setting_is_shown_on_the_form_and_nothing_is_saved(db, fake_channel):
    client = staff(roles.ADMIN)
    response = add_channel(client, settings='{"branch": "main"}')
    assert response.status_code == 200
    assert "branch must be a number" in response.content.decode()
    assert not ChannelConfig.objects.exists() and not ProviderSecret.objects.exists()


def test_the_customer_sees_the_identifiers_and_qr_code_on_the_invoice_page(config, issue):
    from tests import factories

    customer = factories.customer(language="en", user=make_user("eleni"))
    invoice = issue("invoice", customer=customer)[0]
    with clock.frozen(NOON):
        services.send_due()
    client = Client()
    client.force_login(customer.user)
    body = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert f"4000{invoice.pk:08d}" in body and "data:image/svg+xml;base64," in body
    assert "Check it with the tax authority" in body
