"""Password reset by e-mail: the same answer whether the address exists, a link that works
once and expires, requests limited per address and per client address."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from kyklos.accounts.models import SecurityEvent
from tests import factories
from tests.storefront.conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW = "a new and long enough passphrase"


@pytest.fixture
def maria(db):
    user = get_user_model().objects.create_user(
        "maria@example.gr", email="maria@example.gr", password=PASSWORD
    )
    factories.customer(user=user, email="maria@example.gr", language="el")
    return user


def ask(client, email, ip="10.0.0.1"):
    return client.post(reverse("storefront:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def reset_link(message) -> str:
    return re.search(r"https?://\S+(/shop/password-reset/\S+/\S+/)", message.body).group(1)


def test_known_and_unknown_addresses_get_the_same_answer(client, maria):
    known = ask(client, "Maria@Example.gr")
    unknown = ask(client, "nobody@example.gr")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("storefront:reset_sent")
    (message,) = mail.outbox
    assert message.to == ["maria@example.gr"]
    assert "κωδικ" in message.body  # in the customer's language


def test_the_link_sets_a_new_password_and_works_once(client, maria):
    ask(client, "maria@example.gr")
    url = reset_link(mail.outbox[0])
    assert client.get(url).status_code == 200
    response = client.post(url, {"password": NEW})
    assert response.url == reverse("portal:login")
    maria.refresh_from_db()
    assert maria.check_password(NEW)
    again = client.post(url, {"password": "yet another passphrase 2"})
    assert again.status_code == 404
    maria.refresh_from_db()
    assert maria.check_password(NEW)
    assert SecurityEvent.objects.filter(user=maria, kind="password_changed").count() == 1


def test_the_link_expires(client, maria, settings):
    ask(client, "maria@example.gr")
    url = reset_link(mail.outbox[0])
    later = mock.patch(
        "django.contrib.auth.tokens.PasswordResetTokenGenerator._now",
        return_value=__import__("datetime").datetime.now()
        + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60),
    )
    with later:
        response = client.post(url, {"password": NEW})
    assert response.status_code == 404
    maria.refresh_from_db()
    assert maria.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_and_the_link_still_works(client, maria):
    ask(client, "maria@example.gr")
    url = reset_link(mail.outbox[0])
    response = client.post(url, {"password": "password"})
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    maria.refresh_from_db()
    assert maria.check_password(PASSWORD)
    assert client.post(url, {"password": NEW}).status_code == 302


def test_a_tampered_link_is_refused(client, maria):
    for uid, token in (("MQ", "nope-nope"), ("!!", "x"), ("OTk5", "abc-def")):
        response = client.post(
            reverse("storefront:reset_confirm", args=[uid, token]), {"password": NEW}
        )
        assert response.status_code == 404
    maria.refresh_from_db()
    assert maria.check_password(PASSWORD)


def test_requests_are_limited_per_address(client, maria, settings):
    for _ in range(settings.KYKLOS_PASSWORD_RESET_PER_ADDRESS):
        assert ask(client, "maria@example.gr", ip="10.0.0.9").status_code == 302
    response = ask(client, "maria@example.gr", ip="10.0.0.10")
    assert response.status_code == 429
    assert "Too many" in response.content.decode()
    assert len(mail.outbox) == settings.KYKLOS_PASSWORD_RESET_PER_ADDRESS


def test_requests_are_limited_per_client_address(client, maria, settings):
    for n in range(settings.KYKLOS_PASSWORD_RESET_PER_IP):
        assert ask(client, f"someone{n}@example.gr").status_code == 302
    assert ask(client, "maria@example.gr").status_code == 429
    assert mail.outbox == []


def test_the_limit_says_the_same_for_unknown_addresses(client, settings):
    for _ in range(settings.KYKLOS_PASSWORD_RESET_PER_ADDRESS):
        ask(client, "nobody@example.gr")
    assert ask(client, "nobody@example.gr").status_code == 429


def test_a_bad_address_is_refused(client, maria):
    response = ask(client, "not an address")
    assert response.status_code == 400
    assert mail.outbox == []


def test_a_reset_ends_the_other_sessions(client, maria):
    other = client_class = type(client)()
    other.force_login(maria)
    assert other.get(reverse("portal:dashboard")).status_code == 200
    ask(client, "maria@example.gr")
    client.post(reset_link(mail.outbox[0]), {"password": NEW})
    assert other.get(reverse("portal:dashboard")).status_code == 302
    del client_class
