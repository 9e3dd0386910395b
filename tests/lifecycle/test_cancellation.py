"""Cancellation rules (R3.7, R3.8)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kyklos.automation.services import run_range
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal, State
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return factories.customer()


def test_immediate_cancellation_ends_the_service_and_voids_its_proforma(customer):
    hosting = factories.product("shared_hosting")
    service = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    run_range(date(2027, 12, 11), date(2027, 12, 11))
    proforma = Renewal.objects.get(service=service).invoice

    with clock.frozen(date(2027, 12, 15)):
        effective = services.request_cancellation(service, when="immediate", reason="closing")

    service.refresh_from_db()
    proforma.refresh_from_db()
    assert effective == date(2027, 12, 15)
    assert (service.state, service.state_changed_on) == (State.CANCELLED, date(2027, 12, 15))
    assert proforma.status == Invoice.Status.CANCELLED
    run_range(date(2027, 12, 16), date(2028, 1, 12))
    # Only the confirmation of the request; nothing after it (R3.8).
    later = Outbox.objects.filter(service_id=service.pk, for_date__gt=date(2027, 12, 15))
    assert not later.exists()


def test_end_of_period_cancellation_stops_renewal_and_ends_at_expiry(customer):
    hosting = factories.product("shared_hosting")
    service = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    with clock.frozen(date(2027, 11, 1)):
        effective = services.request_cancellation(service, when="end_of_period")
    assert effective == date(2028, 1, 10)

    run_range(date(2027, 12, 1), date(2028, 1, 12))

    service.refresh_from_db()
    assert (service.state, service.state_changed_on) == (State.CANCELLED, date(2028, 1, 10))
    assert not Renewal.objects.filter(service=service).exists()
    events = set(Outbox.objects.filter(service_id=service.pk).values_list("event", flat=True))
    assert events == {"service_cancelled"}


@pytest.mark.parametrize(
    ("requested_on", "effective_on", "billed_periods"),
    [
        # 30 days before the end of March: ends with March; the period from 15 March is owed.
        (date(2027, 3, 1), date(2027, 4, 1), [date(2027, 3, 15)]),
        # Too late for March: April renews and is owed, ends with April.
        (date(2027, 3, 5), date(2027, 5, 1), [date(2027, 3, 15), date(2027, 4, 15)]),
    ],
)
def test_dedicated_server_needs_thirty_days_before_month_end(
    customer, requested_on, effective_on, billed_periods
):
    server = factories.product("dedicated_server", prices={"monthly": "89.00"})
    service = factories.active_service(
        customer,
        server,
        cycle="monthly",
        started_on=date(2027, 2, 15),
        expires_on=date(2027, 3, 15),
    )
    with clock.frozen(requested_on):
        assert services.request_cancellation(service, when="immediate") == effective_on
    service.refresh_from_db()
    assert service.state == State.ACTIVE  # still runs until the effective day

    # Pay every proforma that is issued, as the customer owes them.
    day = date(2027, 3, 2)
    while day <= date(2027, 5, 20):
        run_range(day, day)
        for renewal in Renewal.objects.filter(service=service, status=Renewal.Status.OPEN):
            with clock.frozen(day):
                record_payment(renewal.invoice, amount=renewal.invoice.total, method="card")
        day = date.fromordinal(day.toordinal() + 1)

    service.refresh_from_db()
    assert (service.state, service.state_changed_on) == (State.CANCELLED, effective_on)
    assert (
        list(
            Renewal.objects.filter(service=service)
            .values_list("period_start", flat=True)
            .order_by("period_start")
        )
        == billed_periods
    )


def test_an_ended_service_cannot_be_cancelled_again(customer):
    service = factories.active_service(
        customer,
        factories.product("shared_hosting"),
        expires_on=date(2028, 1, 10),
        state=State.TERMINATED,
    )
    with clock.frozen(date(2028, 3, 1)), pytest.raises(ValidationError, match="already ended"):
        services.request_cancellation(service, when="immediate")


def test_unknown_cancellation_mode_is_refused_and_changes_nothing(customer):
    service = factories.active_service(
        customer, factories.product("shared_hosting"), expires_on=date(2028, 1, 10)
    )
    with clock.frozen(date(2027, 6, 1)), pytest.raises(ValidationError):
        services.request_cancellation(service, when="tomorrow")
    service.refresh_from_db()
    assert service.cancel_effective_on is None
