"""The shop's cart takes a transfer in: the code's form is checked, what the transfer gains
is shown on the line (R4.8), and the placed order's payment asks the registry (R4.1)."""

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.domains.models import Domain, DomainState
from kyklos.storefront import cart as carts
from kyklos.storefront import services as shop
from tests.domains.conftest import DAY

pytestmark = pytest.mark.django_db


def test_a_cart_transfer_is_asked_of_the_registry_once_paid(peer, registrar, customer, pay):
    peer.registry.held_elsewhere("shop-move.gr", auth_code="Their-7!x")
    peer.registry.auto_approve = True
    with clock.frozen(DAY):
        with pytest.raises(ValidationError, match="non-alphanumeric"):
            carts.add_transfer(carts.empty(), "shop-move.gr", "plaincode1")
        with pytest.raises(ValidationError, match="not registered"):
            carts.add_transfer(carts.empty(), "nobody-kyklos.gr", "Their-7!x")
        cart = carts.add_transfer(carts.empty(), "shop-move.gr", "Their-7!x")
        (line,) = carts.quote(cart, customer=customer).lines
        assert line.transfer and line.cycle == "biennial"
        assert any("adds no year" in note for note in line.notes)
        order = shop.place_order(customer, cart, actor="test")
    domain = Domain.objects.get(name="shop-move.gr")
    assert domain.origin == "transfer" and domain.state == DomainState.PENDING
    assert peer.registry.count("transfer") == 0
    pay(order.invoice, DAY)
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
    assert peer.registry.domains["shop-move.gr"].sponsor == "kyklos"


def test_a_name_registered_elsewhere_points_to_the_transfer(peer, registrar):
    peer.registry.held_elsewhere("shop-held.com", auth_code="Their-7!x")
    with clock.frozen(DAY), pytest.raises(ValidationError, match="transfer it here"):
        carts.add_domain(carts.empty(), "shop-held.com")
