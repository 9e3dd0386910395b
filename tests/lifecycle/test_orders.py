"""Orders, add-ons, coupons, renew-now and restores (R2.3–R2.5, R3.6)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.automation.services import run_range
from kyklos.billing.models import Invoice
from kyklos.catalog.models import Coupon, Price
from kyklos.core import clock
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return factories.customer()


def test_order_is_billed_at_order_time_price_and_renewal_at_renewal_time_price(customer):
    hosting = factories.product("shared_hosting", prices={"annual": "100.00"})
    Price.objects.create(
        product=hosting, cycle="annual", amount=Decimal("110.00"), valid_from=date(2027, 6, 1)
    )
    with clock.frozen(date(2027, 1, 10)):
        service = services.order_service(customer=customer, product=hosting, cycle="annual")
    order = service.renewals.get().invoice
    assert order.subtotal == Decimal("100.00")
    with clock.frozen(date(2027, 1, 10)):
        record_payment(order, amount=order.total, method="card")

    run_range(date(2027, 12, 11), date(2027, 12, 11))

    renewal = service.renewals.get(kind=Renewal.Kind.RENEWAL).invoice
    assert renewal.subtotal == Decimal("110.00")  # R2.3
    assert renewal.total == Decimal("136.40")


def test_coupon_applies_to_the_first_purchase_only(customer):
    hosting = factories.product("shared_hosting", prices={"annual": "100.00"})
    coupon = Coupon.objects.create(
        code="WELCOME20", percent_off=Decimal("20"), valid_from=date(2027, 1, 1)
    )
    with clock.frozen(date(2027, 1, 10)):
        service = services.order_service(
            customer=customer, product=hosting, cycle="annual", coupon=coupon
        )
        order = service.renewals.get().invoice
        record_payment(order, amount=order.total, method="card")
    line = order.lines.get()
    assert (line.discount, line.net, order.total) == (
        Decimal("20.00"),
        Decimal("80.00"),
        Decimal("99.20"),
    )

    run_range(date(2027, 12, 11), date(2027, 12, 11))

    renewal = service.renewals.get(kind=Renewal.Kind.RENEWAL).invoice
    assert renewal.lines.get().discount == Decimal("0.00")  # never on renewals (R2.4)
    assert renewal.total == Decimal("124.00")


def test_addon_shares_the_parent_cycle_and_is_renewed_on_its_proforma(customer):
    hosting = factories.product("shared_hosting", prices={"annual": "120.00"})
    storage = factories.product(
        "addon", prices={"annual": "24.00", "monthly": "2.00"}, name="Extra 10 GB"
    )
    storage.addon_for.add(hosting)
    parent = factories.active_service(
        customer, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10)
    )
    with clock.frozen(date(2027, 7, 10)):
        addon = services.order_service(
            customer=customer, product=storage, cycle="monthly", parent=parent
        )
    assert addon.cycle == "annual"  # R2.5
    first = addon.renewals.get()
    # 24.00 pro rata until the parent's expiry: 184 of the 366 days of a year from 10 July
    # 2027 (2028 is a leap year) = 12.066 → 12.07
    assert (first.period_end, first.amount) == (date(2028, 1, 10), Decimal("12.07"))
    with clock.frozen(date(2027, 7, 10)):
        record_payment(first.invoice, amount=first.invoice.total, method="card")

    run_range(date(2027, 12, 11), date(2027, 12, 11))

    proforma = parent.renewals.get().invoice
    assert [ln.unit_price for ln in proforma.lines.all()] == [Decimal("120.00"), Decimal("24.00")]
    with clock.frozen(date(2027, 12, 20)):
        record_payment(proforma, amount=proforma.total, method="card")
    addon.refresh_from_db()
    assert addon.expires_on == date(2029, 1, 10)

    run_range(date(2029, 1, 10), date(2029, 1, 10))  # unpaid: both suspended together
    assert set(Service.objects.values_list("state", flat=True)) == {State.SUSPENDED}


def test_addon_needs_a_matching_live_parent(customer):
    storage = factories.product("addon", prices={"annual": "24.00"})
    with clock.frozen(date(2027, 7, 10)), pytest.raises(ValidationError):
        services.order_service(customer=customer, product=storage, cycle="annual")
    assert not Service.objects.exists()


def test_renew_now_issues_the_proforma_at_once_and_only_once(customer):
    hosting = factories.product("shared_hosting", prices={"annual": "120.00"})
    service = factories.active_service(
        customer, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10)
    )
    with clock.frozen(date(2027, 9, 1)):
        first = services.renew_now(service)
        second = services.renew_now(service)
    assert first == second
    assert first.issued_on == date(2027, 9, 1)
    assert service.renewals.get().period_start == date(2028, 1, 10)
    run_range(date(2027, 12, 11), date(2027, 12, 11))
    assert service.renewals.count() == 1  # the daily run does not bill the period again


def test_terminated_service_cannot_be_paid_back_but_staff_can_restore_it(customer):
    hosting = factories.product("shared_hosting", prices={"annual": "120.00"})
    service = factories.active_service(
        customer, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10)
    )
    run_range(date(2027, 12, 11), date(2028, 2, 9))
    old = service.renewals.get().invoice
    with clock.frozen(date(2028, 2, 10)), pytest.raises(ValidationError, match="cancelled"):
        record_payment(old, amount=old.total, method="card")

    with clock.frozen(date(2028, 2, 10)):
        invoice = services.restore_service(service, actor=None)
        # 120.00 renewal + 25.00 restore fee of shared hosting, + 24 %
        assert invoice.total == Decimal("179.80")
        record_payment(invoice, amount=invoice.total, method="bank_transfer")
    service.refresh_from_db()
    assert (service.state, service.expires_on) == (State.ACTIVE, date(2029, 2, 10))


def test_locked_customer_cannot_order(customer):
    customer.status = customer.Status.LOCKED
    customer.save()
    with clock.frozen(date(2027, 1, 1)), pytest.raises(ValidationError, match="locked"):
        services.order_service(customer=customer, product=factories.product(), cycle="annual")
    assert not Invoice.objects.exists()


def test_restarting_terminated_social_media_management_carries_a_new_setup_fee(customer):
    social = factories.product("social_media", prices={"monthly": "300.00"})
    service = factories.active_service(
        customer, social, cycle="monthly", started_on=date(2027, 4, 1), expires_on=date(2027, 5, 1)
    )
    run_range(date(2027, 5, 1), date(2027, 5, 1))
    service.refresh_from_db()
    assert service.state == State.TERMINATED  # stops at expiry (R3.5)

    with clock.frozen(date(2027, 5, 20)):
        invoice = services.restore_service(service, actor=None)
    # 300.00 + 100.00 new setup fee, + 24 %
    assert [ln.net for ln in invoice.lines.all()] == [Decimal("300.00"), Decimal("100.00")]
    assert invoice.total == Decimal("496.00")
