"""Several services ordered at once (a shop's cart): one proforma for them all (R2.3, R2.4)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import Invoice
from kyklos.catalog.models import Coupon
from kyklos.core import clock
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db
DAY = date(2027, 3, 1)


@pytest.fixture
def catalogue():
    hosting = factories.product("shared_hosting", prices={"annual": "100.00"})
    domain = factories.product("domain", prices={"annual": "15.00"})
    return hosting, domain


def test_one_proforma_bills_every_service_of_the_order_and_paying_it_starts_them(catalogue):
    hosting, domain = catalogue
    customer = factories.customer()
    coupon = Coupon.objects.create(code="TEN", amount_off=Decimal("10"), valid_from=DAY)
    with clock.frozen(DAY):
        ordered, invoice = services.order_services(
            customer=customer,
            items=[
                services.OrderItem(hosting, "annual", coupon=coupon),
                services.OrderItem(domain, "annual", label="example.gr"),
            ],
        )
    assert Invoice.objects.filter(customer=customer).count() == 1
    assert [(line.description.split(",")[0], line.net) for line in invoice.lines.all()] == [
        (hosting.name, Decimal("90.00")),
        (f"{domain.name} — example.gr", Decimal("15.00")),
    ]
    assert Renewal.objects.filter(invoice=invoice, kind=Renewal.Kind.ORDER).count() == 2
    assert Outbox.objects.filter(invoice_id=invoice.pk).count() == 1
    with clock.frozen(DAY):
        record_payment(invoice, amount=invoice.total, method="card")
    assert {s.state for s in Service.objects.filter(pk__in=[s.pk for s in ordered])} == {
        State.ACTIVE
    }


def test_one_refused_item_refuses_the_whole_order(catalogue):
    hosting, domain = catalogue
    customer = factories.customer()
    with clock.frozen(DAY), pytest.raises(ValidationError):
        services.order_services(
            customer=customer,
            items=[
                services.OrderItem(hosting, "annual"),
                services.OrderItem(domain, "monthly", label="example.gr"),  # no price
            ],
        )
    assert not Service.objects.exists() and not Invoice.objects.exists()


def test_an_empty_order_is_refused():
    with pytest.raises(ValidationError):
        services.order_services(customer=factories.customer(), items=[])


def test_add_ons_ordered_with_their_parent_share_its_cycle_and_start_with_it(catalogue):
    hosting, _domain = catalogue
    backup = factories.product("addon", prices={"annual": "20.00", "monthly": "2.00"})
    backup.addon_for.add(hosting)
    customer = factories.customer()
    with clock.frozen(DAY):
        ordered, invoice = services.order_services(
            customer=customer, items=[services.OrderItem(hosting, "annual", addons=(backup,))]
        )
    parent, addon = ordered
    assert (addon.parent, addon.cycle, addon.state) == (parent, "annual", State.PENDING)
    assert [line.net for line in invoice.lines.all()] == [Decimal("100.00"), Decimal("20.00")]
    with clock.frozen(DAY):
        record_payment(invoice, amount=invoice.total, method="card")
    addon.refresh_from_db()
    parent.refresh_from_db()
    assert addon.state == State.ACTIVE and addon.expires_on == parent.expires_on


def test_an_add_on_that_does_not_fit_refuses_the_order(catalogue):
    hosting, domain = catalogue
    other = factories.product("addon", prices={"annual": "5.00"})
    customer = factories.customer()
    for addon in (other, domain):
        with clock.frozen(DAY), pytest.raises(ValidationError):
            services.order_services(
                customer=customer, items=[services.OrderItem(hosting, "annual", addons=(addon,))]
            )
    assert not Service.objects.exists() and not Invoice.objects.exists()
