"""/api/v1/products: products with list prices per cycle (R2.2, R2.3)."""

from datetime import date
from decimal import Decimal

import pytest

from kyklos.catalog.models import Price, Product
from tests import factories
from tests.api.conftest import row_counts

pytestmark = pytest.mark.django_db

HOSTING = {
    "code": "web-basic",
    "type": "shared_hosting",
    "name": "Web Basic",
    "prices": {"annual": "120.00", "monthly": "12"},
}


def test_create_a_product_with_prices_per_cycle(api):
    response = api.post("products", HOSTING)

    assert response.status_code == 201
    product = Product.objects.get()
    assert response.json() == {
        "id": product.pk,
        "code": "web-basic",
        "type": "shared_hosting",
        "name": "Web Basic",
        "is_active": True,
        "refundable": True,  # R6.9: basic shared hosting
        "prices": {"annual": "120.00", "monthly": "12.00"},
    }
    assert sorted(product.prices.values_list("cycle", "amount", "valid_from")) == [
        ("annual", Decimal("120.00"), date(2027, 3, 1)),
        ("monthly", Decimal("12.00"), date(2027, 3, 1)),
    ]


def test_prices_from_a_later_date_are_not_shown_before_then(api):
    response = api.post("products", {**HOSTING, "valid_from": "2027-04-01"})

    assert response.status_code == 201
    assert response.json()["prices"] == {}
    assert Price.objects.filter(valid_from=date(2027, 4, 1)).count() == 2


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        (
            {"prices": {"annual": "120.00", "weekly": "3.00"}},
            "Input should be 'monthly', 'quarterly', 'semiannual', 'annual', 'biennial' or "
            "'one_off'",
            "prices",
        ),
        ({"prices": {"annual": "-1.00"}}, "A price cannot be negative.", "prices"),
        (
            {"prices": {"annual": "cheap"}},
            "“cheap” is not an amount; write it as text with at most two decimals, e.g. “120.00”.",
            "prices",
        ),
        ({"prices": {"annual": 120.0}}, "Input should be a valid string", "prices"),
        ({"prices": {}}, "Give at least one price.", "prices"),
        (
            {"type": "fridge"},
            "Input should be 'shared_hosting', 'email_hosting', 'domain', 'ssl', "
            "'dedicated_server', 'web_development', 'maintenance', 'social_media', 'ads', 'seo', "
            "'iptv', 'chat_saas', 'support_package' or 'addon'",
            "type",
        ),
        (
            {"code": "web basic!"},
            "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
            "code",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(api, change, message, field):
    before = row_counts()

    response = api.post("products", {**HOSTING, **change})

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["message"] == message
    assert row_counts() == before


def test_a_code_already_taken_is_refused(api):
    factories.product(code="web-basic")
    before = row_counts()

    response = api.post("products", HOSTING)

    assert response.status_code == 422
    assert response.json() == {"message": "Product with this Code already exists.", "field": "code"}
    assert row_counts() == before


def test_list_products_by_id_with_the_prices_in_force_today(api):
    old = factories.product(code="old", name="Old", prices={"annual": "100.00"})
    Price.objects.create(
        product=old, cycle="annual", amount=Decimal("110.00"), valid_from=date(2027, 2, 1)
    )
    Price.objects.create(
        product=old, cycle="annual", amount=Decimal("130.00"), valid_from=date(2027, 6, 1)
    )
    new = factories.product(
        "domain", code="gr-domain", name=".gr domain", prices={"annual": "15.00"}
    )

    response = api.get("products")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": old.pk,
                "code": "old",
                "type": "shared_hosting",
                "name": "Old",
                "is_active": True,
                "refundable": False,
                "prices": {"annual": "110.00"},
            },
            {
                "id": new.pk,
                "code": "gr-domain",
                "type": "domain",
                "name": ".gr domain",
                "is_active": True,
                "refundable": False,
                "prices": {"annual": "15.00"},
            },
        ],
        "count": 2,
    }


@pytest.mark.parametrize("size", [1, 6])
def test_listing_products_takes_the_same_queries_at_any_size(
    api, size, django_assert_max_num_queries
):
    for _ in range(size):
        factories.product()

    # token + its last use, count, page, prices
    with django_assert_max_num_queries(5):
        response = api.get("products")

    assert [len(p["prices"]) for p in response.json()["items"]] == [2] * size
