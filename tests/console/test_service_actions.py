"""Service actions by hand (R5.6, R3.1, R3.6): suspend for abuse at once, lift it,
terminate, restore — each with a reason, in the audit trail; refused input writes
nothing."""

from datetime import date

import pytest
from django.urls import reverse

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import hooks
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from tests import factories
from tests.console.conftest import counts

pytestmark = pytest.mark.django_db


def act(client, action, service, reason="Spam sent from the site"):
    return client.post(reverse(f"console:service_{action}", args=[service.pk]), {"reason": reason})


def state(service):
    service.refresh_from_db()
    return service.state


def test_suspend_for_abuse_at_once_and_lift_it(console, maria, today):
    addon = factories.active_service(
        maria, factories.product("addon"), parent=maria.service, expires_on=date(2027, 9, 1)
    )
    changed = []

    def remember(**kwargs):
        changed.append((kwargs["to"], kwargs["reason"]))

    hooks.services_changed.connect(remember)
    client = console("technical")
    response = act(client, "suspend", maria.service)
    assert response.status_code == 302
    assert state(maria.service) == State.SUSPENDED and state(addon) == State.SUSPENDED
    assert maria.service.state_changed_on == today  # at once, no notice period
    assert ("suspended", "abuse") in changed
    event = AuditEvent.objects.get(action="service.suspended_for_abuse")
    assert event.data == {"reason": "Spam sent from the site"}
    assert event.actor.username == "technical-staff"
    page = client.get(response["Location"]).content.decode()
    assert "was suspended for abuse" in page

    act(client, "unsuspend", maria.service, reason="Site cleaned")
    assert state(maria.service) == State.ACTIVE and state(addon) == State.ACTIVE
    assert AuditEvent.objects.get(action="service.suspension_lifted").data["reason"] == (
        "Site cleaned"
    )
    hooks.services_changed.disconnect(remember)


def test_a_reason_is_required(console, maria):
    before = counts()
    response = act(console("billing"), "suspend", maria.service, reason="  ")
    assert response.status_code == 302
    assert state(maria.service) == State.ACTIVE
    assert counts() == before


def test_a_suspended_service_is_not_suspended_again_and_nothing_is_written(console, maria):
    client = console("billing")
    act(client, "suspend", maria.service)
    before = counts()
    response = act(client, "suspend", maria.service)
    follow = client.get(response["Location"]).content.decode()
    assert "Only an active service can be suspended" in follow
    assert counts() == before


def test_an_expired_suspended_service_waits_for_its_renewal(console, maria, today):
    expired = factories.active_service(
        maria,
        maria.service.product,
        label="old.gr",
        expires_on=date(2027, 2, 1),
        state=State.SUSPENDED,
    )
    client = console("billing")
    before = counts()
    response = act(client, "unsuspend", expired, reason="fixed")
    assert state(expired) == State.SUSPENDED
    assert counts() == before
    page = client.get(response["Location"]).content.decode()
    assert "comes back when its renewal is paid" in page


def test_terminate_an_active_service_and_restore_it_billed(console, maria, today):
    client = console("billing")
    act(client, "terminate", maria.service, reason="Repeated abuse")
    assert state(maria.service) == State.TERMINATED
    assert AuditEvent.objects.get(action="service.terminated_by_hand").data == {
        "reason": "Repeated abuse"
    }
    act(client, "restore", maria.service, reason="Customer asked, pays the restore fee")
    proforma = Invoice.objects.get(kind=DocumentKind.PROFORMA)
    assert proforma.customer == maria
    event = AuditEvent.objects.get(action="service.restore_requested")
    assert event.data["reason"] == "Customer asked, pays the restore fee"
    assert state(maria.service) == State.TERMINATED  # back when the proforma is paid


def test_technical_staff_may_suspend_but_not_restore(console, maria):
    assert act(console("technical"), "restore", maria.service).status_code == 403


def test_support_staff_may_not_suspend(console, maria):
    assert act(console("support"), "suspend", maria.service).status_code == 403


def test_abuse_by_hand_suspends_the_account_on_the_server_too(console, maria, today):
    """R5.6 in one step: with an account on a server, the console's suspension also marks
    the account suspended for abuse (the customer is told; payments do not lift it) and
    lifting clears the mark before the service comes back."""
    from kyklos.core import clock
    from kyklos.notifications.models import Outbox
    from kyklos.provisioning.models import Account, Server, ServerGroup

    group = ServerGroup.objects.create(name="mail")
    server = Server.objects.create(group=group, name="mx-1", hostname="mx1.example", capacity=10)
    account = Account.objects.create(
        service=maria.service,
        server=server,
        module="dovecot",
        username="maria",
        state="active",
        created_at=clock.now(),
    )
    client = console("technical")
    act(client, "suspend", maria.service, reason="Phishing pages")
    account.refresh_from_db()
    assert state(maria.service) == State.SUSPENDED
    assert account.abuse_reason == "Phishing pages" and account.abuse_since is not None
    assert Outbox.objects.filter(event="provisioning_abuse_suspended").count() == 1

    act(client, "unsuspend", maria.service, reason="Pages removed")
    account.refresh_from_db()
    assert account.abuse_reason == "" and state(maria.service) == State.ACTIVE
    assert Outbox.objects.filter(event="provisioning_abuse_lifted").count() == 1
