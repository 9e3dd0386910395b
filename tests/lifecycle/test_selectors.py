"""What other apps read about services: renew and cancel rules, running services."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.lifecycle import selectors, services
from kyklos.lifecycle.models import State
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("state", "cycle", "renewable", "cancellable"),
    [
        (State.ACTIVE, "annual", True, True),
        (State.SUSPENDED, "monthly", True, True),
        (State.PENDING, "annual", False, True),
        (State.ACTIVE, "one_off", False, True),
        (State.TERMINATED, "annual", False, False),
        (State.CANCELLED, "annual", False, False),
        (State.FRAUD, "annual", False, False),
    ],
)
def test_renew_and_cancel_follow_the_state_and_cycle(
    customer, hosting, state, cycle, renewable, cancellable
):
    service = factories.active_service(
        customer, hosting, cycle=cycle, state=state, expires_on=date(2028, 1, 10)
    )
    assert selectors.can_renew(service) is renewable
    assert selectors.can_cancel(service) is cancellable
    assert (selectors.cancel_refusal(service) is None) is cancellable


def test_an_addon_is_renewed_and_cancelled_with_its_main_service(customer, hosting):
    main = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    addon = factories.active_service(
        customer, factories.product("addon"), expires_on=date(2028, 1, 10), parent=main
    )
    assert not selectors.can_renew(addon)
    assert not selectors.can_cancel(addon)
    assert selectors.cancel_refusal(addon) == "Cancel the main service; its add-ons end with it."


def test_the_guards_refuse_what_the_selectors_refuse(customer, hosting):
    ended = factories.active_service(
        customer, hosting, state=State.CANCELLED, expires_on=date(2028, 1, 10)
    )
    with pytest.raises(ValidationError, match="can be renewed"):
        services.renew_now(ended)
    with pytest.raises(ValidationError, match="already ended"):
        services.request_cancellation(ended)


def test_what_the_customer_is_offered(customer, hosting):
    service = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    assert selectors.renewal_offered(service, open_invoice_id=None)
    assert selectors.cancellation_offered(service)
    # A proforma is waiting: the customer pays that one instead of renewing again.
    assert not selectors.renewal_offered(service, open_invoice_id=1)

    with clock.frozen(date(2027, 11, 1)):
        services.request_cancellation(service, when="end_of_period")
    service.refresh_from_db()
    # A stop is scheduled: neither is offered, though staff may still act.
    assert selectors.can_renew(service) and selectors.can_cancel(service)
    assert not selectors.renewal_offered(service, open_invoice_id=None)
    assert not selectors.cancellation_offered(service)


def test_cancellation_effective_on_is_the_date_the_request_gets(customer, hosting):
    today = date(2027, 12, 20)
    service = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    assert selectors.cancellation_effective_on(service, today=today) == date(2028, 1, 10)
    assert selectors.cancellation_effective_on(service, today=today, when="immediate") == today
    # Written notice (R3.7): the end of the first month at least 30 days ahead.
    server = factories.product("dedicated_server")
    service = factories.active_service(customer, server, expires_on=date(2028, 1, 10))
    expected = selectors.cancellation_effective_on(service, today=today)
    assert expected == date(2028, 2, 1)
    with clock.frozen(today):
        assert services.request_cancellation(service, when="end_of_period") == expected


def test_running_services(customer, hosting):
    other = factories.customer()
    assert not selectors.has_running_services(customer)
    factories.active_service(customer, hosting, state=State.CANCELLED, expires_on=date(2028, 1, 1))
    assert not selectors.has_running_services(customer)
    assert selectors.ended_services(customer).count() == 1
    factories.active_service(customer, hosting, state=State.PENDING, expires_on=date(2028, 1, 1))
    assert selectors.has_running_services(customer)
    assert selectors.has_running_services(customer.pk)
    assert not selectors.has_running_services(other)
