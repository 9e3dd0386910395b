"""The credential vault (R10.3): encrypted at rest, revealed only with role, second
factor and reason, keys rotated without downtime, handed over and destroyed at the end."""

import base64
import json
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.vault import crypto, daily, services
from kyklos.vault.models import Credential
from tests import factories

DAY = date(2027, 5, 10)
KEY1 = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
KEY2 = "k2:" + base64.urlsafe_b64encode(b"2" * 32).decode()
SECRET = services.Secret(
    username="admin", secret="s3cr3t-Παράδειγμα", url="https://example.gr/wp-admin"
)


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.KYKLOS_VAULT_KEYS = KEY1


@pytest.fixture
def today():
    with clock.frozen(DAY):
        yield DAY


@pytest.fixture
def customer(db):
    return factories.customer(name="Eleni Vault", email="eleni.vault@example.gr")


@pytest.fixture
def credential(customer, today):
    return services.store(
        customer, kind="site_admin", label="WordPress of example.gr", secret=SECRET
    )


def staff(perm=True, device=True):
    user = get_user_model().objects.create_user(
        f"tech{get_user_model().objects.count()}", password="x", is_staff=True
    )
    if perm:
        user.user_permissions.add(Permission.objects.get(codename="reveal_credential"))
    if device:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_the_secret_is_stored_encrypted_and_only_the_label_is_in_clear(credential):
    stored = Credential.objects.get(pk=credential.pk)

    assert stored.label == "WordPress of example.gr"
    assert stored.key_id == "k1"
    raw = bytes(stored.sealed)
    assert b"s3cr3t" not in raw and b"admin" not in raw and b"example.gr" not in raw
    assert AuditEvent.objects.filter(action="vault.credential.stored").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "site_admin", "label": " ", "secret": SECRET}, "label"),
        ({"kind": "nope", "label": "x", "secret": SECRET}, "kind"),
        ({"kind": "other", "label": "x", "secret": services.Secret("u", "")}, "secret"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(customer, today, fields, field):
    with pytest.raises(ValidationError) as error:
        services.store(customer, **fields)

    assert field in error.value.message_dict
    assert Credential.objects.count() == 0


def test_a_service_of_another_customer_is_refused(customer, today):
    other = factories.customer()
    service = factories.active_service(other, factories.product(), expires_on=date(2028, 1, 1))

    with pytest.raises(ValidationError):
        services.store(customer, kind="other", label="x", secret=SECRET, service=service)
    assert Credential.objects.count() == 0


def test_a_staff_member_with_the_role_a_code_and_a_reason_sees_it_and_it_is_logged(credential):
    tech = staff()

    secret = services.reveal(
        credential,
        actor=tech,
        otp_token=code(tech),
        reason="Customer asked to fix the contact form",
    )

    assert secret == SECRET
    event = AuditEvent.objects.get(action="vault.credential.revealed")
    assert event.actor == tech
    assert event.customer_id == credential.customer_id
    assert event.data == {"reason": "Customer asked to fix the contact form"}


def test_without_the_role_nothing_is_revealed_and_the_attempt_is_logged(credential):
    clerk = staff(perm=False)

    with pytest.raises(PermissionDenied):
        services.reveal(credential, actor=clerk, otp_token=code(clerk), reason="just curious now")
    assert AuditEvent.objects.filter(action="vault.credential.reveal_refused").count() == 1
    assert not AuditEvent.objects.filter(action="vault.credential.revealed").exists()


def test_a_wrong_or_replayed_code_or_no_reason_reveals_nothing(credential):
    tech = staff()
    with pytest.raises(ValidationError):
        services.reveal(credential, actor=tech, otp_token=code(tech), reason="fix")
    good = code(tech)
    services.reveal(credential, actor=tech, otp_token=good, reason="fixing the site")
    with pytest.raises(PermissionDenied):  # a one-time code works once
        services.reveal(credential, actor=tech, otp_token=good, reason="fixing the site again")
    with pytest.raises(PermissionDenied):
        services.reveal(credential, actor=tech, otp_token="000000", reason="fixing the site")

    assert AuditEvent.objects.filter(action="vault.credential.revealed").count() == 1


def test_a_staff_member_without_a_second_factor_device_cannot_reveal(credential):
    tech = staff(device=False)

    with pytest.raises(PermissionDenied):
        services.reveal(credential, actor=tech, otp_token="123456", reason="fixing the site")


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(credential, customer):
    other = services.store(customer, kind="other", label="other", secret=services.Secret("u", "p"))
    Credential.objects.filter(pk=other.pk).update(sealed=credential.sealed)
    tech = staff()

    with pytest.raises(crypto.VaultError, match="altered"):
        services.reveal(
            Credential.objects.get(pk=other.pk),
            actor=tech,
            otp_token=code(tech),
            reason="testing tampering",
        )


def test_rotation_re_encrypts_under_the_new_key_and_the_old_key_can_then_go(
    credential, customer, settings
):
    services.store(customer, kind="email", label="mailbox", secret=services.Secret("a", "b"))
    settings.KYKLOS_VAULT_KEYS = f"{KEY2},{KEY1}"
    newer = services.store(customer, kind="email", label="new", secret=services.Secret("c", "d"))
    assert newer.key_id == "k2"

    result = services.rotate(batch_size=1)

    assert (result.re_encrypted, result.remaining) == (2, 0)
    assert set(Credential.objects.values_list("key_id", flat=True)) == {"k2"}
    settings.KYKLOS_VAULT_KEYS = KEY2
    tech = staff()
    assert (
        services.reveal(
            Credential.objects.get(pk=credential.pk),
            actor=tech,
            otp_token=code(tech),
            reason="after the rotation",
        )
        == SECRET
    )
    assert AuditEvent.objects.filter(action="vault.key.rotated").count() == 1


def test_a_credential_under_a_key_no_longer_configured_gives_a_clear_error(credential, settings):
    settings.KYKLOS_VAULT_KEYS = KEY2
    tech = staff()

    with pytest.raises(crypto.VaultError, match="'k1' is not configured"):
        services.reveal(credential, actor=tech, otp_token=code(tech), reason="after a bad rotation")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nokey", "id:base64"),
        ("k1:" + base64.urlsafe_b64encode(b"short").decode(), "needs 32"),
        (f"{KEY1},{KEY1}", "appears twice"),
        (" , ", "names no key"),
    ],
)
def test_badly_written_keys_are_refused_clearly(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_keys(value)


def test_outside_debug_mode_the_vault_needs_configured_keys(settings):
    settings.KYKLOS_VAULT_KEYS = ""
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="KYKLOS_VAULT_KEYS"):
        crypto.key_ring()


def test_the_commands_rotate_and_report(credential, settings, capsys):
    settings.KYKLOS_VAULT_KEYS = f"{KEY2},{KEY1}"

    call_command("vault", "rotate-key")
    call_command("vault", "status")

    out = capsys.readouterr().out
    assert "Re-encrypted 1 credentials under key k2; 0 remain" in out
    assert "Older keys can now be removed" in out
    assert "k2                  1 credentials  configured" in out


def test_the_handover_is_offered_once_at_contract_end_and_the_secrets_destroyed_30_days_later(
    customer, today
):
    ended = factories.active_service(
        customer, factories.product(), expires_on=date(2027, 4, 1), state=State.TERMINATED
    )
    services.store(customer, kind="site_admin", label="site", secret=SECRET, service=ended)
    running = factories.customer()
    factories.active_service(running, factories.product(), expires_on=date(2028, 1, 1))
    services.store(running, kind="other", label="keep", secret=SECRET)

    assert daily.offer_handover(DAY) == {"vault_handover_offered": 1}
    assert daily.offer_handover(DAY) == {}  # idempotent
    notice = Outbox.objects.get(event="vault_handover")
    assert notice.customer_id == customer.pk
    assert notice.context["destroy_on"] == "2027-06-09"

    assert daily.destroy_after_handover(DAY + timedelta(days=29)) == {}
    assert daily.destroy_after_handover(DAY + timedelta(days=30)) == {"vault_destroyed": 1}

    gone = Credential.objects.get(customer=customer)
    assert gone.status == Credential.Status.DESTROYED
    assert bytes(gone.sealed) == b""
    assert Credential.objects.get(customer=running).status == Credential.Status.ACTIVE
    assert AuditEvent.objects.filter(action="vault.credential.destroyed").count() == 1


def test_a_customer_who_orders_again_keeps_their_credentials(customer, today):
    factories.active_service(
        customer, factories.product(), expires_on=date(2027, 4, 1), state=State.TERMINATED
    )
    services.store(customer, kind="other", label="site", secret=SECRET)
    daily.offer_handover(DAY)
    factories.active_service(customer, factories.product(), expires_on=date(2028, 6, 1))

    assert daily.destroy_after_handover(DAY + timedelta(days=45)) == {}
    assert Credential.objects.get().status == Credential.Status.ACTIVE


def test_the_handover_export_holds_every_secret_and_is_logged(credential, customer):
    data = json.loads(services.handover_export(customer, actor="test"))

    assert data["credentials"] == [
        {
            "label": "WordPress of example.gr",
            "kind": "site_admin",
            "service": "",
            "username": "admin",
            "secret": "s3cr3t-Παράδειγμα",
            "url": "https://example.gr/wp-admin",
            "notes": "",
        }
    ]
    assert AuditEvent.objects.filter(action="vault.handover.exported").count() == 1
