"""The catalogue at today's prices per language, the cart's bad input, VAT and coupons."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.billing.models import Invoice
from kyklos.catalog.models import Coupon
from kyklos.lifecycle.models import Service
from kyklos.storefront import cart as carts
from kyklos.storefront import services
from kyklos.storefront.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


def language(client, code):
    client.cookies["django_language"] = code


def test_home_replaces_the_login_redirect_and_lists_products_by_type(client, shop, today):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Shared hosting" in page and "Web Starter hosting" in page
    assert "Daily backups" not in page  # add-ons are not sold alone


@pytest.mark.parametrize(
    ("code", "annual"),
    [("en", "€55.00"), ("el", "55,00\xa0€"), ("pl", "55,00\xa0€")],
)
def test_product_page_shows_the_price_in_force_today_in_each_language(
    client, shop, today, code, annual
):
    language(client, code)
    page = client.get(reverse("storefront:product", args=["web-starter"])).content.decode()
    assert annual in page
    assert "49.00" not in page and "49,00" not in page  # replaced on 1 February
    assert "60.00" not in page and "60,00" not in page  # from June
    assert "Daily backups" in page  # its add-ons


def test_greek_page_is_in_greek(client, shop, today):
    language(client, "el")
    page = client.get(reverse("storefront:product", args=["web-starter"])).content.decode()
    assert "Προσθήκη στο καλάθι" in page


def test_a_product_not_sold_is_not_found(client, shop, today):
    assert client.get(reverse("storefront:product", args=["nope"])).status_code == 404
    assert client.get(reverse("storefront:product", args=["addon-backup"])).status_code == 404


def add(client, **data):
    return client.post(reverse("storefront:cart_add"), data)


@pytest.mark.parametrize(
    "data",
    [
        {"product": "nope", "cycle": "annual"},
        {"product": "web-starter", "cycle": "weekly"},
        {"product": "web-starter", "cycle": "biennial"},  # no price for that cycle
        {"product": "addon-backup", "cycle": "annual"},
        {"product": "domain-gr", "cycle": "annual"},
        {},
    ],
)
def test_bad_cart_input_changes_nothing_and_says_why(client, shop, today, data):
    add(client, product="web-starter", cycle="annual")
    response = add(client, **data)
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert len(carts.load(client.session)["items"]) == 1


def test_removing_an_item_that_is_not_there_is_refused(client, shop, today):
    add(client, product="web-starter", cycle="annual")
    for index in ("7", "-1", "x", ""):
        response = client.post(reverse("storefront:cart_remove"), {"index": index})
        assert response.status_code == 400
    assert len(carts.load(client.session)["items"]) == 1
    client.post(reverse("storefront:cart_remove"), {"index": "0"})
    assert carts.load(client.session)["items"] == []


def test_cart_prices_come_from_the_price_list_not_the_session(client, shop, today):
    add(client, product="web-starter", cycle="annual")
    session = client.session
    session[carts.SESSION_KEY]["items"][0]["amount"] = "0.01"
    session.save()
    quote = carts.quote(carts.load(client.session))
    assert quote.net == Decimal("55.00")


def test_a_tampered_cart_item_is_left_out_with_a_message(shop, today):
    cart = {**carts.empty(), "items": [{"product": "ghost", "cycle": "annual"}, "junk"]}
    quote = carts.quote(cart)
    assert quote.lines == [] and len(quote.problems) == 2


def test_domain_search_adds_an_available_domain_at_its_price(client, shop, today):
    client.post(reverse("storefront:cart_domain"), {"domain": "Nowak-Shop.GR"})
    quote = carts.quote(carts.load(client.session))
    assert [(line.product.code, line.domain, line.amount) for line in quote.lines] == [
        ("domain-gr", "nowak-shop.gr", Decimal("15.00"))
    ]


def test_a_domain_held_by_a_service_of_ours_cannot_be_added(client, shop, today):
    factories.active_service(
        factories.customer(), shop["domain"], label="taken.gr", expires_on=date(2028, 1, 1)
    )
    response = client.post(reverse("storefront:cart_domain"), {"domain": "taken.gr"})
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert carts.load(client.session)["items"] == []


@pytest.mark.parametrize(
    ("country", "vat_id", "rate"),
    [("GR", "", "24"), ("DE", "", "19"), ("DE", "DE136695976", "0"), ("US", "", "0")],
)
def test_vat_is_shown_for_the_buyers_country_and_vat_id(client, shop, today, country, vat_id, rate):
    add(client, product="web-starter", cycle="annual")
    response = client.post(reverse("storefront:cart_buyer"), {"country": country, "vat_id": vat_id})
    assert response.status_code == 302
    quote = carts.quote(carts.load(client.session))
    assert quote.vat_rate == Decimal(rate)
    assert quote.total == quote.net + quote.vat


def test_a_bad_vat_id_or_country_is_refused_and_changes_nothing(client, shop, today):
    client.post(reverse("storefront:cart_buyer"), {"country": "GR"})
    for data in ({"country": "GR", "vat_id": "EL123"}, {"country": "XX"}):
        response = client.post(reverse("storefront:cart_buyer"), data)
        assert response.status_code == 400
        assert b'role="alert"' in response.content
    assert carts.load(client.session)["country"] == "GR"
    assert carts.load(client.session)["vat_id"] == ""


def test_the_cart_page_shows_the_vat_before_paying(client, shop, today):
    add(client, product="web-starter", cycle="annual")
    client.post(reverse("storefront:cart_buyer"), {"country": "GR"})
    page = client.get(reverse("storefront:cart")).content.decode()
    assert "VAT 24 %" in page and "€68.20" in page  # 55.00 + 24 %


def test_a_coupon_discounts_the_first_line_it_fits(client, shop, today):
    shop["coupon"].products.add(shop["hosting"])
    client.post(reverse("storefront:cart_domain"), {"domain": "nowak.gr"})
    add(client, product="web-starter", cycle="annual")
    response = client.post(reverse("storefront:cart_coupon"), {"coupon": "welcome20"})
    assert response.status_code == 302
    quote = carts.quote(carts.load(client.session))
    assert [line.discount for line in quote.lines] == [Decimal("0"), Decimal("11.00")]


@pytest.mark.parametrize("code", ["NOPE", "EXPIRED"])
def test_an_unknown_or_expired_coupon_is_refused(client, shop, today, code):
    Coupon.objects.create(
        code="EXPIRED",
        amount_off=Decimal("5"),
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
    )
    add(client, product="web-starter", cycle="annual")
    response = client.post(reverse("storefront:cart_coupon"), {"coupon": code})
    assert response.status_code == 400
    assert carts.load(client.session)["coupon"] == ""


def test_a_coupon_is_for_the_first_purchase_only(client, shop, today, django_user_model):
    """R2.4: a customer who has ordered before gets no coupon."""
    user = django_user_model.objects.create_user("maria", password="x")
    maria = factories.customer(user=user, language="en")
    factories.active_service(maria, shop["hosting"], expires_on=date(2027, 12, 1))
    client.force_login(user)
    add(client, product="web-starter", cycle="annual")
    response = client.post(reverse("storefront:cart_coupon"), {"coupon": "WELCOME20"})
    assert response.status_code == 400
    assert "first purchase" in response.content.decode()


def test_a_customer_places_the_order_in_one_go(client, shop, today, django_user_model):
    user = django_user_model.objects.create_user("maria", password="x")
    maria = factories.customer(user=user, language="en")
    client.force_login(user)
    add(client, product="web-starter", cycle="annual")
    client.post(reverse("storefront:cart_domain"), {"domain": "maria.gr"})
    client.post(reverse("storefront:cart_coupon"), {"coupon": "WELCOME20"})
    response = client.post(reverse("storefront:checkout"))
    order = Order.objects.get(customer=maria)
    assert response.url == reverse("portal:invoice", args=[order.invoice_id])
    services_ = Service.objects.filter(customer=maria).order_by("id")
    assert [(s.product.code, s.label, s.state) for s in services_] == [
        ("web-starter", "", "pending"),
        ("domain-gr", "maria.gr", "pending"),
    ]
    assert services_[0].coupon == shop["coupon"]
    # One proforma for the whole order: 55.00 − 20 % and 15.00.
    (proforma,) = Invoice.objects.filter(customer=maria)
    assert proforma == order.invoice and proforma.kind == "proforma"
    assert [line.net for line in proforma.lines.order_by("position")] == [
        Decimal("44.00"),
        Decimal("15.00"),
    ]
    assert carts.load(client.session)["items"] == []
    page = client.get(response.url).content.decode()
    assert "Pay this document" in page


def test_a_refused_order_writes_nothing(shop, today):
    maria = factories.customer(language="en")
    cart = {
        **carts.empty(),
        "items": [
            {"product": "web-starter", "cycle": "annual", "domain": ""},
            {"product": "domain-gr", "cycle": "annual", "domain": "taken.gr"},
        ],
    }
    factories.active_service(
        factories.customer(), shop["domain"], label="taken.gr", expires_on=date(2028, 1, 1)
    )
    with pytest.raises(Exception, match="already registered"):
        services.place_order(maria, cart)
    assert not Service.objects.filter(customer=maria).exists()
    assert not Invoice.objects.filter(customer=maria).exists()
    assert not Order.objects.exists()


def test_htmx_cart_changes_answer_with_the_cart_and_the_reason(client, shop, today):
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = client.post(reverse("storefront:cart_domain"), {"domain": "-bad.gr"}, **htmx)
    assert response.status_code == 200  # HTMX swaps only 2xx
    assert 'id="cart"' in response.content.decode() and 'role="alert"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert carts.load(client.session)["items"] == []


def test_add_ons_chosen_on_the_product_page_are_priced_and_ordered_with_it(client, shop, today):
    add(client, product="web-starter", cycle="annual", addons=["addon-backup"])
    quote = carts.quote(carts.load(client.session))
    assert [a.product.code for a in quote.lines[0].addons] == ["addon-backup"]
    assert quote.net == Decimal("75.00")  # 55.00 + 20.00
    maria = factories.customer(language="en")
    order = services.place_order(maria, carts.load(client.session))
    hosting, backup = Service.objects.filter(customer=maria).order_by("id")
    assert (backup.product.code, backup.parent, backup.cycle) == ("addon-backup", hosting, "annual")
    assert order.invoice.lines.count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"addons": ["web-starter"]},  # not an add-on
        {"addons": ["nope"]},
        {"addons": ["addon-backup"], "cycle": "monthly"},  # no monthly price for it
    ],
)
def test_an_add_on_that_does_not_fit_is_refused(client, shop, today, data):
    response = add(client, **{"product": "web-starter", "cycle": "annual", **data})
    assert response.status_code == 400
    assert carts.load(client.session)["items"] == []
