import base64

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.core.models import AuditEvent
from kyklos.vault import services
from tests import factories


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_staff_reveal_a_credential_in_the_admin_with_a_code_and_a_reason(client, db):
    credential = services.store(
        factories.customer(),
        kind="server_root",
        label="vps-1",
        secret=services.Secret("root", "r00t-pass"),
    )
    tech = get_user_model().objects.create_user("tech", password="x", is_staff=True)
    tech.user_permissions.add(
        Permission.objects.get(codename="reveal_credential"),
        Permission.objects.get(codename="view_credential"),
    )
    device = TOTPDevice.objects.create(user=tech, name="phone", confirmed=True)
    client.force_login(tech)
    url = reverse("admin:vault_credential_reveal", args=[credential.pk])

    assert "r00t-pass" not in client.get(url).content.decode()
    page = client.post(url, {"otp_token": "12", "reason": "restart the web server"})
    assert "r00t-pass" not in page.content.decode()

    code = f"{totp(device.bin_key):06d}"
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    page = client.post(url, {"otp_token": code, "reason": "restart the web server"})
    assert "r00t-pass" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert AuditEvent.objects.filter(action="vault.credential.revealed").count() == 1
