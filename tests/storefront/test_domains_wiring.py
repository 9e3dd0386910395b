"""The shop's domain search and orders go through the domains app: a name held or taken is
refused, a .gr is sold for its 2-year term, and a paid cart registers the name (R4.1)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.domains import services as domains
from kyklos.domains.models import Domain, Tld
from kyklos.lifecycle import services as lifecycle
from kyklos.storefront import cart as carts
from kyklos.storefront import domain_search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def gr_product():
    product = factories.product(
        "domain", code="domain-gr", prices={"annual": "15.00", "biennial": "28.00"}
    )
    Tld.objects.filter(suffix="gr").update(product=product)
    return product


def test_a_gr_name_is_offered_for_its_two_year_term(gr_product):
    found = domain_search.availability("kyklos-shop.gr")
    assert found.available and found.cycle == "biennial"
    assert found.price == Decimal("28.00")
    cart = carts.add_domain(carts.empty(), "kyklos-shop.gr")
    assert cart["items"][-1] == {
        "product": "domain-gr",
        "cycle": "biennial",
        "domain": "kyklos-shop.gr",
    }


def test_a_name_the_domains_app_holds_is_refused(gr_product):
    customer = factories.customer()
    domains.order_domain(customer=customer, name="taken-here.gr", years=2)
    Domain.objects.filter(name="taken-here.gr").update(state="active")
    found = domain_search.availability("taken-here.gr")
    assert not found.available
    assert "taken-here.gr" in found.reason


def test_a_shop_order_of_a_domain_waits_for_payment_then_registers(gr_product):
    customer = factories.customer()
    with clock.frozen(clock.today()):
        services, invoice = lifecycle.order_services(
            customer=customer,
            items=[lifecycle.OrderItem(product=gr_product, cycle="biennial", label="neo-onoma.gr")],
        )
        domain = domains.attach_order(services[0])
    assert domain.state == "pending" and domain.years == 2
    assert domain.service_id == services[0].pk


def test_a_shop_order_of_a_gr_for_one_year_is_refused_and_writes_no_domain(gr_product):
    customer = factories.customer()
    services, _ = lifecycle.order_services(
        customer=customer,
        items=[lifecycle.OrderItem(product=gr_product, cycle="annual", label="ena-etos.gr")],
    )
    with pytest.raises(ValidationError, match="2 years only"):
        domains.attach_order(services[0])
    assert not Domain.objects.filter(name="ena-etos.gr").exists()
