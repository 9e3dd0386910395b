"""Sessions (ASVS V7): listed and ended by their owner, ended when the account is disabled
or the password changes, and timed out when idle or too old. Re-authentication before
changing the second factor or an e-mail address."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from kyklos.accounts import services
from kyklos.accounts.models import SecurityEvent, UserSession
from kyklos.customers import services as customers
from tests.accounts.conftest import PASSWORD, login_password
from tests.accounts.helpers import code_for, totp_device

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def logged_in(username="maria", agent="Firefox on Linux") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert login_password(client, username).status_code == 302
    return client


def is_logged_in(client) -> bool:
    return client.get(reverse("portal:dashboard")).status_code == 200


def test_the_security_page_lists_my_sessions_with_address_and_browser(customer, other_customer):
    laptop, phone = logged_in(agent="Firefox on Linux"), logged_in(agent="Safari on iPhone")
    logged_in("nikos", agent="Nikos' browser")

    page = laptop.get(reverse("accounts:security")).content.decode()

    assert "Firefox on Linux" in page and "Safari on iPhone" in page
    assert "Nikos" not in page
    assert page.count("This session") == 1
    assert is_logged_in(phone)


def test_ending_another_session_logs_that_browser_out(customer):
    laptop, phone = logged_in(), logged_in(agent="Phone")
    phone_session = UserSession.objects.get(user_agent="Phone")

    response = laptop.post(reverse("accounts:end_session", args=[phone_session.pk]))

    assert response["Location"] == reverse("accounts:security")
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    phone_session.refresh_from_db()
    assert phone_session.end_reason == "ended by user"
    assert SecurityEvent.objects.filter(kind=Kind.SESSION_ENDED).count() == 1


def test_nobody_can_end_someone_elses_session(customer, other_customer):
    maria = logged_in()
    nikos = logged_in("nikos")
    nikos_session = UserSession.objects.get(user=other_customer.user)

    response = maria.post(reverse("accounts:end_session", args=[nikos_session.pk]))

    assert response.status_code == 404
    assert is_logged_in(nikos)
    nikos_session.refresh_from_db()
    assert nikos_session.ended_at is None


def test_ending_all_other_sessions_keeps_this_one(customer):
    laptop, phone, tablet = logged_in(), logged_in(agent="Phone"), logged_in(agent="Tablet")

    laptop.post(reverse("accounts:end_other_sessions"))

    assert is_logged_in(laptop)
    assert not is_logged_in(phone) and not is_logged_in(tablet)


def test_locking_a_customer_ends_all_their_sessions(customer):
    laptop, phone = logged_in(), logged_in(agent="Phone")

    customers.lock_customer(customer, actor="tests", reason="Contract ended")

    assert not is_logged_in(laptop) and not is_logged_in(phone)
    assert set(UserSession.objects.values_list("end_reason", flat=True)) == {"account disabled"}
    assert SecurityEvent.objects.filter(kind=Kind.ACCOUNT_DISABLED, user=customer.user).exists()


def test_disabling_a_staff_login_ends_its_sessions(staff_user):
    anna = staff_user("billing", "anna")
    client = Client()
    client.force_login(anna)
    assert client.get("/admin/").status_code == 200

    services.disable_user(anna)

    assert client.get("/admin/").status_code == 302


def test_sessions_kept_in_a_shared_cache_end_everywhere_all_the_same(customer, settings):
    """With a shared cache sessions are read from it (cached_db, decision 0040); the test
    process's cache stands for Redis shared by the server's processes."""
    from django.core.cache import cache

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    laptop, phone, tablet = logged_in(), logged_in(agent="Phone"), logged_in(agent="Tablet")
    key = laptop.cookies[settings.SESSION_COOKIE_NAME].value
    assert cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    assert is_logged_in(laptop) and is_logged_in(phone) and is_logged_in(tablet)

    phone_session = UserSession.objects.get(user_agent="Phone")
    laptop.post(reverse("accounts:end_session", args=[phone_session.pk]))
    assert not is_logged_in(phone) and is_logged_in(laptop) and is_logged_in(tablet)

    customers.lock_customer(customer, actor="tests", reason="Contract ended")
    assert not is_logged_in(laptop) and not is_logged_in(tablet)


def test_an_idle_session_times_out(customer, monkeypatch, settings):
    client = logged_in()
    later = time.time() + settings.KYKLOS_SESSION_IDLE_MINUTES * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302 and response["Location"].startswith("/portal/login/")
    assert UserSession.objects.get().end_reason == "timeout (idle)"
    assert SecurityEvent.objects.filter(kind=Kind.SESSION_EXPIRED).count() == 1


def test_an_active_session_still_ends_at_the_absolute_limit(customer, monkeypatch, settings):
    client = logged_in()
    start = time.time()
    step = (settings.KYKLOS_SESSION_IDLE_MINUTES - 1) * 60
    now = start
    while now - start <= settings.KYKLOS_SESSION_MAX_HOURS * 3600 - step:
        now += step
        monkeypatch.setattr(time, "time", lambda now=now: now)
        assert is_logged_in(client)  # active: never idle for long
    monkeypatch.setattr(time, "time", lambda: start + settings.KYKLOS_SESSION_MAX_HOURS * 3600 + 1)

    assert not is_logged_in(client)
    assert UserSession.objects.get().end_reason == "timeout (absolute)"


def test_a_request_touches_the_session_at_most_once_a_minute(customer, monkeypatch):
    client = logged_in()
    tracked = UserSession.objects.get()
    first = tracked.last_seen_at
    is_logged_in(client)
    tracked.refresh_from_db()
    assert tracked.last_seen_at == first
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    is_logged_in(client)
    assert client.session[services.SEEN] == later


def test_changing_the_password_ends_the_other_sessions(customer):
    laptop, phone = logged_in(), logged_in(agent="Phone")

    response = laptop.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase of 2027",
            "new_password2": "a much longer passphrase of 2027",
        },
    )

    assert response["Location"] == reverse("accounts:security")
    assert is_logged_in(laptop) and not is_logged_in(phone)
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short7!", False),  # 7 characters
        ("password123", False),  # on Django's list of 20,000 common passwords
        ("12345678", False),
        ("eight ch", True),
        ("x" * 20 + " very long passphrases of 64 characters and more are fine " + "y" * 20, True),
        ("94837261504", True),  # digits only are allowed: no composition rules
    ],
)
def test_the_password_policy(customer, password, accepted):
    client = logged_in()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert (response.status_code == 302) is accepted, response.content.decode()[-2000:]


def test_setting_up_two_factor_needs_the_password_again(customer, monkeypatch, settings):
    client = logged_in()
    later = time.time() + settings.KYKLOS_REAUTH_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    client.get(reverse("portal:dashboard"))  # keep the session alive

    asked = client.get(reverse("accounts:setup"))
    assert asked["Location"] == f"{reverse('accounts:reauth')}?next={reverse('accounts:setup')}"
    wrong = client.post(
        reverse("accounts:reauth"), {"password": "nope", "next": "/account/two-factor/setup/"}
    )
    assert "This is not your password" in wrong.content.decode()
    right = client.post(
        reverse("accounts:reauth"), {"password": PASSWORD, "next": "/account/two-factor/setup/"}
    )
    assert right["Location"] == reverse("accounts:setup")

    page = client.get(reverse("accounts:setup"))
    assert page.status_code == 200
    device = services.totp_devices(customer.user, confirmed=False).get()
    monkeypatch.setattr(time, "time", lambda: later)
    done = client.post(reverse("accounts:setup"), {"code": code_for(device, at=time.time())})
    assert done.content.decode().count("<li><code>") == 10
    assert services.has_two_factor(customer.user)


def test_turning_two_factor_off_needs_password_and_a_code(customer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = totp_device(customer.user)
    client = Client()
    login_password(client, "maria")
    client.post(reverse("accounts:verify"), {"code": code_for(device)})

    client.post(reverse("accounts:two_factor_disable"), {"password": PASSWORD, "code": "000000"})
    assert services.has_two_factor(customer.user)
    client.post(
        reverse("accounts:two_factor_disable"),
        {"password": "wrong", "code": code_for(device, offset_steps=1)},
    )
    assert services.has_two_factor(customer.user)

    client.post(
        reverse("accounts:two_factor_disable"),
        {"password": PASSWORD, "code": code_for(device, offset_steps=1)},
    )

    assert not services.has_two_factor(customer.user)
    assert SecurityEvent.objects.filter(kind=Kind.TWO_FACTOR_DISABLED).count() == 1


def test_staff_cannot_turn_their_second_factor_off(staff_user):
    anna = staff_user("support", "anna")
    client = Client()
    client.force_login(anna)
    response = client.post(
        reverse("accounts:two_factor_disable"), {"password": PASSWORD, "code": "123456"}
    )
    assert response.status_code == 404
    assert services.has_two_factor(anna)


def test_changing_an_e_mail_in_the_portal_needs_a_fresh_password(customer, monkeypatch, settings):
    client = logged_in()
    later = time.time() + settings.KYKLOS_REAUTH_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    form = {
        "name": customer.name,
        "address": "",
        "city": "",
        "postal_code": "",
        "phone": "",
        "email": "maria.new@example.gr",
        "secondary_email": "",
        "admin_email": "",
        "billing_email": "",
        "language": "en",
    }

    refused = client.post(reverse("portal:particulars"), form)
    assert "Enter your password to change an e-mail address" in refused.content.decode()
    customer.refresh_from_db()
    assert customer.email == "maria@example.gr"

    accepted = client.post(reverse("portal:particulars"), {**form, "current_password": PASSWORD})
    assert accepted.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "maria.new@example.gr"
