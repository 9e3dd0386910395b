"""Staff open a customer's portal from the console: read-only by default (every unsafe
request refused) unless they chose to act with a reason; the customer's portal shows a
banner naming them; the start and the end are in the audit trail."""

import pytest
from django.urls import reverse

from kyklos.billing.models import Invoice
from kyklos.core.models import AuditEvent
from tests.console.conftest import counts

pytestmark = pytest.mark.django_db

BANNER = "Staff member Support is viewing your account."


def start(client, customer, **data):
    return client.post(reverse("console:impersonate", args=[customer.pk]), data)


def test_support_views_the_portal_read_only_with_a_banner(console, maria):
    client = console("support")
    response = start(client, maria)
    assert response["Location"] == reverse("portal:dashboard")
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert BANNER in page and "Read-only: nothing can be changed." in page
    assert "maria-shop.gr" in page
    event = AuditEvent.objects.get(action="customer.impersonation_started")
    assert event.customer_id == maria.pk and event.data == {"may_act": False, "reason": ""}
    assert event.actor.username == "support-staff"


def test_every_unsafe_request_is_refused_while_read_only(console, maria):
    client = console("support")
    start(client, maria)
    before = counts()
    response = client.post(reverse("portal:renew", args=[maria.service.pk]))
    assert response.status_code == 403
    assert "nothing was changed" in response.content.decode()
    assert counts() == before


def test_acting_for_the_customer_needs_a_reason(console, maria):
    client = console("billing")
    start(client, maria, may_act="on", reason="")
    assert not AuditEvent.objects.filter(action="customer.impersonation_started").exists()
    assert client.get(reverse("portal:dashboard")).status_code == 403  # not opened

    start(client, maria, may_act="on", reason="Customer on the phone asked to renew")
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "They may act for you." in page
    response = client.post(reverse("portal:renew", args=[maria.service.pk]))
    assert response.status_code == 302
    assert Invoice.objects.filter(kind="proforma", customer=maria).count() == 1


def test_ending_it_is_recorded_and_the_portal_is_closed_again(console, maria):
    client = console("support")
    start(client, maria)
    response = client.post(reverse("console:impersonation_end"))
    assert response["Location"] == reverse("console:customer", args=[maria.pk])
    event = AuditEvent.objects.get(action="customer.impersonation_ended")
    assert event.customer_id == maria.pk and event.data["why"] == "ended by staff"
    assert client.get(reverse("portal:dashboard")).status_code == 403


def test_logging_out_ends_it(console, maria):
    client = console("support")
    start(client, maria)
    client.post(reverse("portal:logout"))
    assert AuditEvent.objects.get(action="customer.impersonation_ended").data["why"] == (
        "logged out"
    )


def test_technical_staff_may_not_open_a_customers_portal(console, maria):
    assert start(console("technical"), maria).status_code == 403
    assert not AuditEvent.objects.filter(action="customer.impersonation_started").exists()


def test_the_customer_sees_no_banner_in_their_own_session(client, console, maria):
    start(console("support"), maria)
    from django.test import Client

    own = Client()
    own.force_login(maria.user)
    assert BANNER not in own.get(reverse("portal:dashboard")).content.decode()
