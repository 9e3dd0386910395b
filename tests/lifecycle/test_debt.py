"""Suspension for an unpaid debt and reactivation when it is settled (R6.6, R3.6)."""

from datetime import date

import pytest

from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from tests import factories

pytestmark = pytest.mark.django_db


def test_suspend_for_debt_takes_active_main_services_and_their_addons(customer, hosting):
    main = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    addon = factories.active_service(
        customer, factories.product("addon"), expires_on=date(2028, 1, 10), parent=main
    )
    pending = factories.active_service(
        customer, hosting, state=State.PENDING, expires_on=date(2028, 1, 10)
    )
    other = factories.active_service(factories.customer(), hosting, expires_on=date(2028, 1, 10))

    found = services.suspend_for_debt({customer.pk}, day=date(2027, 4, 1))

    assert dict(found) == {customer.pk: [main]}
    for service in (main, addon, pending, other):
        service.refresh_from_db()
    assert [s.state for s in (main, addon, pending, other)] == [
        State.SUSPENDED,
        State.SUSPENDED,
        State.PENDING,
        State.ACTIVE,
    ]
    audit = AuditEvent.objects.get(action="service.suspended", object_id=str(main.pk))
    assert audit.data["reason"] == "collections"
    assert services.suspend_for_debt({customer.pk}, day=date(2027, 4, 2)) == {}


def test_reactivate_after_debt_brings_back_the_service_and_tells_the_customer(customer, hosting):
    main = factories.active_service(customer, hosting, expires_on=date(2028, 1, 10))
    addon = factories.active_service(
        customer, factories.product("addon"), expires_on=date(2028, 1, 10), parent=main
    )
    services.suspend_for_debt({customer.pk}, day=date(2027, 4, 1))

    moved = services.reactivate_after_debt([main.pk], day=date(2027, 4, 20), actor="staff")

    assert sorted(moved) == sorted([main.pk, addon.pk])
    main.refresh_from_db()
    addon.refresh_from_db()
    assert (main.state, addon.state) == (State.ACTIVE, State.ACTIVE)
    notices = Outbox.objects.filter(event="service_reactivated")
    assert list(notices.values_list("service_id", flat=True)) == [main.pk]


def test_an_expired_service_stays_suspended_until_renewed(customer, hosting):
    service = factories.active_service(customer, hosting, expires_on=date(2027, 4, 10))
    services.suspend_for_debt({customer.pk}, day=date(2027, 4, 1))

    # The debt is paid after the service's period ended: paying it renews nothing.
    assert services.reactivate_after_debt([service.pk], day=date(2027, 4, 10)) == []
    service.refresh_from_db()
    assert service.state == State.SUSPENDED
    assert not Outbox.objects.filter(event="service_reactivated").exists()
