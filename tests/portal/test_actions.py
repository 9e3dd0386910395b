""" "Renew now" (with and without HTMX) and "cancel at end of period" (R3.7, R3.8)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.billing.models import Invoice
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import Renewal, State
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def service(customer, hosting):
    return factories.active_service(
        customer,
        hosting,
        label="maria.gr",
        expires_on=date(2027, 3, 20),
        started_on=date(2026, 3, 20),
    )


def test_renew_now_through_htmx_swaps_the_row_with_the_proforma_number(portal, service, today):
    response = portal.post(reverse("portal:renew", args=[service.pk]), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tbody id="service-{service.pk}"')
    assert "<html" not in html
    assert "Proforma PRO-2027-000001 was issued for the next period" in html
    assert "Awaiting payment:" in html
    assert "Renew now" not in html
    assert "HX-Request" in response["Vary"]
    renewal = Renewal.objects.get(service=service)
    assert (renewal.period_start, renewal.period_end) == (date(2027, 3, 20), date(2028, 3, 20))
    assert renewal.invoice.total == Decimal("148.80")
    assert renewal.invoice.created_by == service.customer.user


def test_renew_now_without_javascript_redirects_and_says_the_proforma_number(
    portal, service, today
):
    response = portal.post(reverse("portal:renew", args=[service.pk]), follow=True)

    assert response.redirect_chain == [(reverse("portal:dashboard"), 302)]
    page = response.content.decode()
    assert "Proforma PRO-2027-000001 was issued for the next period; pay it to renew." in page
    assert Invoice.objects.filter(customer=service.customer, kind="proforma").count() == 1


def test_renew_now_twice_gives_the_same_proforma(portal, service, today):
    portal.post(reverse("portal:renew", args=[service.pk]))
    portal.post(reverse("portal:renew", args=[service.pk]))

    assert Invoice.objects.count() == 1


def test_renew_now_of_an_ended_service_shows_the_reason_and_writes_nothing(
    portal, customer, hosting, today
):
    ended = factories.active_service(
        customer, hosting, expires_on=date(2027, 1, 1), state=State.TERMINATED
    )

    with_js = portal.post(reverse("portal:renew", args=[ended.pk]), **HTMX)
    without_js = portal.post(reverse("portal:renew", args=[ended.pk]), follow=True)

    reason = "Only an active or suspended subscription can be renewed."
    assert with_js.status_code == 200
    assert f'<p class="message message-error" role="alert">{reason}</p>' in with_js.content.decode()
    assert reason in without_js.content.decode()
    assert not Invoice.objects.exists()
    assert not Renewal.objects.exists()


def test_renew_now_needs_a_post(portal, service, today):
    assert portal.get(reverse("portal:renew", args=[service.pk])).status_code == 405
    assert not Invoice.objects.exists()


def test_renew_now_is_protected_against_csrf(client, customer, service, today):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(customer.user)

    response = client.post(reverse("portal:renew", args=[service.pk]), **HTMX)

    assert response.status_code == 403
    assert not Invoice.objects.exists()


def test_another_customers_service_cannot_be_renewed_or_cancelled(
    portal, other_customer, hosting, today
):
    theirs = factories.active_service(other_customer, hosting, expires_on=date(2027, 3, 20))

    renew = portal.post(reverse("portal:renew", args=[theirs.pk]), **HTMX)
    confirm = portal.get(reverse("portal:cancel", args=[theirs.pk]))
    cancel = portal.post(reverse("portal:cancel", args=[theirs.pk]))

    assert (renew.status_code, confirm.status_code, cancel.status_code) == (404, 404, 404)
    theirs.refresh_from_db()
    assert theirs.cancel_effective_on is None
    assert not Invoice.objects.exists()


def test_cancel_asks_for_confirmation_and_says_when_the_service_stops(portal, service, today):
    response = portal.get(reverse("portal:cancel", args=[service.pk]))

    page = response.content.decode()
    assert "Cancel maria.gr?" in page
    assert "The service will stop on March 20, 2027" in page
    service.refresh_from_db()
    assert service.cancel_requested_on is None


def test_confirmed_cancel_stops_the_service_at_the_end_of_its_period(portal, service, today):
    response = portal.post(
        reverse("portal:cancel", args=[service.pk]),
        {"reason": "Moving to a new host"},
        follow=True,
    )

    service.refresh_from_db()
    assert (service.cancel_requested_on, service.cancel_effective_on) == (
        date(2027, 3, 1),
        date(2027, 3, 20),
    )
    assert service.cancel_reason == "Moving to a new host"
    assert service.state == State.ACTIVE
    page = response.content.decode()
    assert "maria.gr will stop on March 20, 2027." in page
    assert "Stops on March 20, 2027" in page
    assert AuditEvent.objects.filter(
        action="service.cancellation_requested", actor=service.customer.user
    ).exists()


def test_a_too_long_cancel_reason_is_refused_and_nothing_is_written(portal, service, today):
    response = portal.post(reverse("portal:cancel", args=[service.pk]), {"reason": "x" * 301})

    assert response.status_code == 200
    assert "Ensure this value has at most 300 characters" in response.content.decode()
    service.refresh_from_db()
    assert service.cancel_requested_on is None


def test_an_htmx_request_after_the_session_ended_sends_the_browser_to_the_login_page(
    client, service, today
):
    response = client.post(reverse("portal:renew", args=[service.pk]), **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/portal/login/?next=/portal/"
    assert response.content == b""
    assert not Invoice.objects.exists()


def test_cancel_without_a_reason_is_accepted(portal, service, today):
    portal.post(reverse("portal:cancel", args=[service.pk]))

    service.refresh_from_db()
    assert service.cancel_effective_on == date(2027, 3, 20)
    assert service.cancel_reason == ""
