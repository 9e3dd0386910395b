"""The domain search's stand-in: syntax (IDNA), TLDs the shop sells, names we hold."""

from datetime import date
from decimal import Decimal

import pytest

from kyklos.lifecycle.models import State
from kyklos.storefront.domain_search import availability
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_free_name_is_available_at_the_tlds_price(shop, today):
    found = availability(" Nowak-Shop.GR. ")
    assert (found.name, found.available, found.tld, found.price, found.reason) == (
        "nowak-shop.gr",
        True,
        "gr",
        Decimal("15.00"),
        "",
    )


def test_an_internationalised_name_is_kept_in_its_a_label_form(shop, today):
    found = availability("ελληνικά.gr")
    assert found.available and found.name.startswith("xn--")
    assert found.display_name == "ελληνικά.gr"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "Enter a domain name"),
        ("-bad.gr", "not a valid domain name"),
        ("bad-.gr", "not a valid domain name"),
        ("under_score.gr", "not a valid domain name"),
        ("a" * 64 + ".gr", "not a valid domain name"),
        ("www.example.gr", "one name and its ending"),
        ("example", "one name and its ending"),
        ("example.xyz", "We do not register .xyz"),
    ],
)
def test_bad_names_say_why(shop, today, name, reason):
    found = availability(name)
    assert not found.available and found.price is None
    assert reason in found.reason


def test_a_name_held_by_a_live_or_pending_service_is_taken_but_not_an_ended_one(shop, today):
    customer = factories.customer()
    factories.active_service(
        customer,
        shop["domain"],
        label="held.gr",
        expires_on=date(2028, 1, 1),
        state=State.PENDING,
    )
    factories.active_service(
        customer,
        shop["domain"],
        label="gone.gr",
        expires_on=date(2026, 1, 1),
        state=State.TERMINATED,
    )
    assert "already registered" in availability("HELD.gr").reason
    assert availability("gone.gr").available
