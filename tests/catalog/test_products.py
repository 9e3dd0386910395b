"""Products with dated list prices (R2.2, R2.3)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kyklos.catalog import selectors, services
from kyklos.catalog.models import LifecyclePolicy, Price, Product
from kyklos.catalog.selectors import PriceNotFound
from kyklos.core import clock
from kyklos.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def hosting():
    return services.create_product(
        code="web-basic",
        type="shared_hosting",
        name="Web Basic",
        prices={"annual": Decimal("60.00"), "monthly": (Decimal("6.00"), Decimal("10.00"))},
        valid_from=date(2027, 1, 1),
    )


def test_a_product_gets_its_types_policy_refund_rule_and_prices(hosting):
    assert hosting.policy == LifecyclePolicy.objects.get(code="shared_hosting")
    assert selectors.policy_for(hosting) == hosting.policy
    assert hosting.refundable is True  # R6.9: basic shared hosting
    rows = sorted(
        hosting.prices.values_list("cycle", "amount", "setup_fee", "valid_from", "currency")
    )
    assert rows == [
        ("annual", Decimal("60.00"), Decimal("0.00"), date(2027, 1, 1), "EUR"),
        ("monthly", Decimal("6.00"), Decimal("10.00"), date(2027, 1, 1), "EUR"),
    ]
    assert AuditEvent.objects.get(action="product.created").data == {
        "prices": {"annual": "60.00", "monthly": "6.00"},
        "valid_from": "2027-01-01",
    }


def test_a_server_is_not_refundable_and_prices_start_today_by_default():
    with clock.frozen(date(2027, 5, 4)):
        server = services.create_product(
            code="srv-1", type="dedicated_server", name="Server", prices={"monthly": "89"}
        )
    assert server.refundable is False
    assert server.prices.get().valid_from == date(2027, 5, 4)


@pytest.mark.parametrize(
    ("prices", "field"),
    [
        ({"annual": Decimal("60.00"), "monthly": Decimal("-1.00")}, "amount"),
        ({"annual": Decimal("60.00"), "weekly": Decimal("2.00")}, "cycle"),
        ({"annual": 60.0}, "amount"),
        ({"annual": ("60.00", "-5")}, "setup_fee"),
        ({"annual": "sixty"}, "amount"),
        ({}, "prices"),
    ],
)
def test_bad_prices_are_refused_and_nothing_is_written(prices, field):
    with pytest.raises(ValidationError) as refused:
        services.create_product(
            code="bad", type="ssl", name="Bad", prices=prices, valid_from=date(2027, 1, 1)
        )
    assert field in refused.value.message_dict
    assert not Product.objects.exists()
    assert not Price.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_unknown_type_or_a_taken_code_is_refused(hosting):
    with pytest.raises(ValidationError) as unknown:
        services.create_product(code="x", type="toaster", name="X", prices={"annual": "1"})
    assert list(unknown.value.message_dict) == ["type"]
    with pytest.raises(ValidationError) as taken:
        services.create_product(code="web-basic", type="seo", name="X", prices={"annual": "1"})
    assert list(taken.value.message_dict) == ["code"]
    assert Product.objects.count() == 1


def test_order_time_and_renewal_time_prices(hosting):
    services.set_price(
        hosting, cycle="annual", amount=Decimal("72.00"), valid_from=date(2027, 6, 1)
    )
    # Ordered in March: pays 60. Renewed in the following March: pays the price then, 72.
    assert selectors.price_on(hosting, "annual", date(2027, 3, 15)).amount == Decimal("60.00")
    assert selectors.price_on(hosting, "annual", date(2027, 5, 31)).amount == Decimal("60.00")
    assert selectors.price_on(hosting, "annual", date(2027, 6, 1)).amount == Decimal("72.00")
    assert selectors.price_on(hosting, "annual", date(2028, 3, 15)).amount == Decimal("72.00")
    assert selectors.price_on(hosting, "monthly", date(2028, 3, 15)).setup_fee == Decimal("10.00")
    event = AuditEvent.objects.get(action="product.price_set")
    assert event.data == {
        "cycle": "annual",
        "amount": "72.00",
        "setup_fee": "0.00",
        "valid_from": "2027-06-01",
    }


def test_no_price_in_force_is_a_clear_error(hosting):
    with pytest.raises(PriceNotFound) as before:
        selectors.price_on(hosting, "annual", date(2026, 12, 31))
    assert before.value.messages == ["Web Basic has no Annual price in force on 2026-12-31."]
    with pytest.raises(ValidationError, match="no Biennial price"):
        selectors.price_on(hosting, "biennial", date(2027, 3, 1))


def test_two_prices_for_the_same_day_are_refused(hosting):
    with pytest.raises(ValidationError):
        services.set_price(hosting, cycle="annual", amount="70", valid_from=date(2027, 1, 1))
    assert hosting.prices.filter(cycle="annual").count() == 1


def test_price_table_holds_the_price_in_force_for_every_product_in_one_query(
    hosting, django_assert_num_queries
):
    mail = services.create_product(
        code="mail-5",
        type="email_hosting",
        name="Mail 5",
        prices={"annual": "20"},
        valid_from=date(2027, 2, 1),
    )
    services.set_price(hosting, cycle="annual", amount="72", valid_from=date(2027, 6, 1))
    services.set_price(hosting, cycle="annual", amount="80", valid_from=date(2028, 1, 1))
    services.set_price(mail, cycle="annual", amount="24", valid_from=date(2027, 3, 1))

    with django_assert_num_queries(1):
        table = selectors.price_table(date(2027, 7, 1))

    assert {key: price.amount for key, price in table.items()} == {
        (hosting.pk, "annual"): Decimal("72.00"),
        (hosting.pk, "monthly"): Decimal("6.00"),
        (mail.pk, "annual"): Decimal("24.00"),
    }
    assert (mail.pk, "annual") not in selectors.price_table(date(2027, 1, 31))
