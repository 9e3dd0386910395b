"""The login data in access and erasure requests; IP addresses sit in dated rows the
retention engine can purge; the security headers and cookies."""

import subprocess
import sys

import pytest
from django.test import Client

from kyklos.accounts.models import SecurityEvent, UserSession
from kyklos.core.personal_data import Subject, personal_data
from tests.accounts.conftest import login_password
from tests.accounts.helpers import totp_device

pytestmark = pytest.mark.django_db


def test_an_access_request_includes_the_login_its_security_log_and_sessions(customer):
    client = Client(HTTP_USER_AGENT="Firefox")
    login_password(client, "maria", "wrong")
    login_password(client, "maria")
    totp_device(customer.user)

    exported = personal_data.export(Subject(customer_id=customer.pk))

    assert exported["auth.User"][0]["username"] == "maria"
    assert [(r["event"], r["ip_address"]) for r in exported["accounts.SecurityEvent"]] == [
        ("Wrong password", "127.0.0.1"),
        ("Logged in", "127.0.0.1"),
    ]
    assert exported["accounts.UserSession"][0]["user_agent"] == "Firefox"
    assert exported["otp_totp.TOTPDevice"] == [
        {
            "device": "tests",
            "confirmed": True,
            "created": exported["otp_totp.TOTPDevice"][0]["created"],
        }
    ]
    assert personal_data.entries["accounts.SecurityEvent"].category == "access_logs"


def test_erasure_anonymises_the_login_and_deletes_its_security_data(customer, other_customer):
    client = Client()
    login_password(client, "maria")
    login_password(Client(), "nikos")

    personal_data.erase(Subject(customer_id=customer.pk))

    user = type(customer.user).objects.get(pk=customer.user.pk)
    assert (user.username, user.email, user.first_name, user.is_active) == (
        f"erased-user-{user.pk}",
        "",
        "",
        False,
    )
    assert not user.has_usable_password()
    # What is left is the record that the (now anonymous) account was disabled by the
    # erasure itself: no IP, no name.
    left = SecurityEvent.objects.filter(user=user)
    assert list(left.values_list("kind", "ip_address")) in ([], [("account_disabled", None)])
    assert not UserSession.objects.filter(user=user).exists()
    assert client.get("/portal/").status_code == 302  # the session ended
    assert SecurityEvent.objects.filter(user=other_customer.user).exists()  # Nikos untouched


def test_ip_addresses_are_only_in_dated_rows():
    """The retention engine purges IP addresses after 3 months by these date fields."""
    for model, date_field in ((SecurityEvent, "at"), (UserSession, "last_seen_at")):
        fields = {f.name: f for f in model._meta.get_fields()}
        assert "ip_address" in fields and fields[date_field].get_internal_type() == "DateTimeField"
        assert fields[date_field].db_index


def settings_with(**env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ('SECURE_HSTS_SECONDS', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'PASSWORD_HASHERS', "
        "'SESSION_COOKIE_HTTPONLY')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "kyklos.config.settings", "PYTHONPATH": "src", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    return json.loads(result.stdout)


def test_production_settings_use_hsts_secure_cookies_and_argon2(tmp_path):
    prod = settings_with(
        KYKLOS_SECRET_KEY="Prod-key-" + "q7Vz3Lm9Xw2Rt8Kp" * 3, KYKLOS_HOME=str(tmp_path)
    )
    assert prod["SECURE_HSTS_SECONDS"] == 31_536_000
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_HTTPONLY"]
    assert prod["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")
    plain = settings_with(KYKLOS_DEBUG="1", KYKLOS_HOME=str(tmp_path))
    assert plain["SECURE_HSTS_SECONDS"] in (None, 0) and not plain["SESSION_COOKIE_SECURE"]


def test_every_page_answer_carries_the_security_headers(client):
    response = client.get("/portal/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_forms_need_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/portal/login/", {"username": "maria", "password": "x"})
    assert response.status_code == 403
