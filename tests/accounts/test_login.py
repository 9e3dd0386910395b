"""Logging in: password, then the second factor for staff and for customers who turned it
on; lockout after repeated failures; every step in the security log and the audit trail."""

import time

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kyklos.accounts import services
from kyklos.accounts.models import SecurityEvent, UserSession
from kyklos.core.models import AuditEvent
from tests.accounts.conftest import PASSWORD, login_password, make_user
from tests.accounts.helpers import code_for, totp_device

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def kinds(user=None) -> list[str]:
    events = SecurityEvent.objects.order_by("id")
    if user is not None:
        events = events.filter(user=user)
    return list(events.values_list("kind", flat=True))


def test_a_customer_without_two_factor_logs_in_with_a_new_session_id(client, customer):
    client.get(reverse("portal:login"))
    client.session.save()
    before = client.session.session_key

    response = login_password(client, "maria")

    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    assert client.session.session_key != before  # new session id at login (ASVS V7.2)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    event = SecurityEvent.objects.get(kind=Kind.LOGIN_SUCCEEDED)
    assert (event.user, event.ip_address) == (customer.user, "127.0.0.1")
    audit = AuditEvent.objects.get(action="security.login_succeeded")
    assert audit.actor == customer.user and "127.0.0.1" not in str(audit.data)
    tracked = UserSession.objects.get(user=customer.user)
    assert tracked.session_key == client.session.session_key and tracked.ip_address == "127.0.0.1"


def test_a_wrong_password_is_logged_with_the_name_typed_and_the_address(client, customer):
    response = login_password(client, "maria", "wrong password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    event = SecurityEvent.objects.get()
    assert (event.kind, event.username, event.user, event.ip_address) == (
        Kind.LOGIN_FAILED,
        "maria",
        customer.user,
        "127.0.0.1",
    )
    assert AuditEvent.objects.filter(action="security.login_failed").count() == 1


def test_a_customer_with_two_factor_is_not_logged_in_before_the_code(client, customer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp waits 1 s after a wrong code
    device = totp_device(customer.user)

    response = login_password(client, "maria")

    assert response["Location"] == reverse("accounts:verify")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:dashboard")).status_code == 302  # still anonymous
    wrong = client.post(reverse("accounts:verify"), {"code": "000000"})
    assert wrong.status_code == 200 and "This code is not valid" in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("accounts:verify"), {"code": code_for(device)})

    assert right["Location"] == reverse("portal:dashboard")
    assert client.get(reverse("portal:dashboard")).status_code == 200
    assert kinds() == [Kind.SECOND_FACTOR_FAILED, Kind.LOGIN_SUCCEEDED]
    assert UserSession.objects.get().second_factor is True


def test_a_totp_code_works_only_once(client, customer):
    device = totp_device(customer.user)
    code = code_for(device)
    login_password(client, "maria")
    client.post(reverse("accounts:verify"), {"code": code})
    client.post(reverse("portal:logout"))

    login_password(client, "maria")
    again = client.post(reverse("accounts:verify"), {"code": code})

    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_a_recovery_code_logs_in_once_and_says_how_many_are_left(client, customer, rf):
    request = rf.get("/")
    request.session = {}
    device = services.begin_totp(customer.user)
    codes = services.confirm_totp(request, customer.user, device, code_for(device))
    assert len(codes) == 10 and all(len(c) == 29 for c in codes)  # 24 characters + dashes

    login_password(client, "maria")
    response = client.post(reverse("accounts:verify"), {"code": codes[3].lower()}, follow=True)

    assert "9 are left" in response.content.decode()
    client.post(reverse("portal:logout"))
    login_password(client, "maria")
    reused = client.post(reverse("accounts:verify"), {"code": codes[3]})
    assert reused.status_code == 200 and "_auth_user_id" not in client.session
    assert Kind.RECOVERY_CODE_USED in kinds()


def test_too_many_wrong_codes_end_the_pending_login(client, customer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    totp_device(customer.user)
    login_password(client, "maria")
    for _ in range(4):
        client.post(reverse("accounts:verify"), {"code": "123456"})

    fifth = client.post(reverse("accounts:verify"), {"code": "123456"})

    # The fifth failure reaches the lockout limit of 5 (password and code failures count).
    assert fifth.status_code == 429
    assert client.get(reverse("accounts:verify"))["Location"] == reverse("portal:login")


def test_a_pending_login_expires_after_five_minutes(client, customer, monkeypatch):
    device = totp_device(customer.user)
    login_password(client, "maria")
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)

    response = client.post(reverse("accounts:verify"), {"code": code_for(device, at=later)})

    assert response["Location"] == reverse("portal:login")
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_first_sends_to_the_login(client):
    assert client.get(reverse("accounts:verify"))["Location"] == reverse("portal:login")
    assert client.get(reverse("accounts:setup"))["Location"] == reverse("portal:login")


def test_five_wrong_passwords_lock_the_name_even_for_the_right_password(client, customer):
    for _ in range(5):
        login_password(client, "maria", "wrong")

    locked = login_password(client, "maria")

    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert Kind.LOCKED_OUT in kinds()
    assert AuditEvent.objects.filter(action="security.locked_out").exists()


def test_the_lockout_ends_after_the_cool_off(client, customer, settings):
    from datetime import timedelta

    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)
    for _ in range(5):
        login_password(client, "maria", "wrong")

    assert login_password(client, "maria").status_code == 302


# --- staff ----------------------------------------------------------------------------------


def test_staff_without_a_device_set_one_up_before_they_are_logged_in(client, db):
    make_user("anna", is_staff=True, is_superuser=True)

    response = login_password(client, "anna", next="/admin/")

    assert response["Location"] == reverse("accounts:setup")
    page = client.get(reverse("accounts:setup")).content.decode()
    assert "Staff accounts need a second factor" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "_auth_user_id" not in client.session
    device = services.totp_devices(User.objects.get(username="anna"), confirmed=False).get()
    done = client.post(reverse("accounts:setup"), {"code": code_for(device)})

    assert done.status_code == 200
    assert done.content.decode().count("<li><code>") == 10  # the recovery codes, once
    assert 'href="/admin/"' in done.content.decode()
    assert client.get("/admin/").status_code == 200
    assert Kind.TWO_FACTOR_ENABLED in kinds() and Kind.LOGIN_SUCCEEDED in kinds()


def test_staff_with_a_device_reach_the_admin_only_after_the_code(client, db):
    anna = make_user("anna", is_staff=True, is_superuser=True)
    device = totp_device(anna)

    first = client.get("/admin/", follow=True)
    assert first.redirect_chain[-1] == ("/portal/login/?next=/admin/", 302)
    step = login_password(client, "anna", next="/admin/")
    assert step["Location"] == reverse("accounts:verify")
    assert client.get("/admin/").status_code == 302

    done = client.post(reverse("accounts:verify"), {"code": code_for(device)})

    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_land_on_the_console_when_no_page_was_asked_for(client, db):
    """The staff console is where staff work; the admin is for configuration."""
    anna = make_user("anna", is_staff=True)
    device = totp_device(anna)
    login_password(client, "anna")
    done = client.post(reverse("accounts:verify"), {"code": code_for(device)})
    assert done["Location"] == "/console/"


@pytest.mark.real_second_factor
def test_a_staff_session_without_the_second_factor_does_not_open_the_admin(client, db):
    anna = make_user("anna", is_staff=True, is_superuser=True)
    client.force_login(anna)  # e.g. a session made some other way

    response = client.get("/admin/", follow=True)

    # The login page does not bounce such a session back to the admin: it logs it out.
    assert response.redirect_chain[-1] == ("/portal/login/?next=/admin/", 302)
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_open_redirect_in_next_is_refused(client, customer):
    response = login_password(client, "maria", next="https://evil.example/")
    assert response["Location"] == reverse("portal:dashboard")


def test_logging_out_ends_the_tracked_session_and_is_logged(client, customer):
    login_password(client, "maria")
    client.post(reverse("portal:logout"))

    tracked = UserSession.objects.get()
    assert tracked.ended_at is not None and tracked.end_reason == "logged out"
    assert kinds() == [Kind.LOGIN_SUCCEEDED, Kind.LOGGED_OUT]


def test_the_password_is_hashed_with_argon2(settings, db):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = make_user("eleni")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


def test_a_login_made_inactive_is_out_at_its_next_request(client, customer):
    """The session's login is read on every request (AccountBackend): deactivating it in
    the admin ends what its sessions can do at once."""
    login_password(client, "maria")
    assert client.session["_auth_user_backend"] == "kyklos.accounts.backends.AccountBackend"
    assert client.get(reverse("portal:dashboard")).status_code == 200
    User.objects.filter(pk=customer.user.pk).update(is_active=False)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
