"""R5.8 withdrawal from sale and R5.9 prices in another currency, on the catalog's side."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kyklos.catalog import selectors, services
from kyklos.catalog.models import ExchangeRate, ForeignPrice, Price, Product
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2027, 3, 4)


@pytest.fixture(autouse=True)
def today():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def old_plan(db):
    return factories.product("shared_hosting", name="Hosting 2019")


@pytest.fixture
def new_plan(db):
    return factories.product("shared_hosting", name="Hosting 2027")


def test_a_product_withdrawn_today_is_off_sale_at_once(old_plan, new_plan):
    services.withdraw_product(old_plan, on=TODAY, notice_days=90, migration_target=new_plan)
    old_plan.refresh_from_db()
    assert old_plan.is_active is False
    assert not selectors.is_on_sale(old_plan, TODAY)
    assert old_plan.renewals_end_on == date(2027, 6, 2)
    assert AuditEvent.objects.filter(action="product.withdrawn").count() == 1


def test_a_future_withdrawal_leaves_it_on_sale_until_its_day(old_plan, new_plan):
    services.withdraw_product(
        old_plan, on=date(2027, 4, 1), notice_days=60, migration_target=new_plan
    )
    old_plan.refresh_from_db()
    assert old_plan.is_active and selectors.is_on_sale(old_plan, date(2027, 3, 31))
    assert not selectors.is_on_sale(old_plan, date(2027, 4, 1))
    assert services.take_off_sale(date(2027, 3, 31)) == []
    assert services.take_off_sale(date(2027, 4, 1)) == [old_plan.pk]
    assert services.take_off_sale(date(2027, 4, 2)) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on": date(2027, 3, 3)}, "A withdrawal cannot start in the past."),
        ({"notice_days": 10}, "The notice must be between 30 and 730 days."),
        ({"notice_days": "90"}, "The notice is a number of days."),
        ({"migration_target": None}, "Name the current product offered instead (R5.8)."),
        ({"migration_target": "itself"}, "must be another Shared hosting product on sale"),
        ({"migration_target": "domain"}, "must be another Shared hosting product on sale"),
    ],
)
def test_bad_withdrawals_write_nothing(old_plan, new_plan, kwargs, message):
    values = {"on": TODAY, "notice_days": 90, "migration_target": new_plan, **kwargs}
    if values["migration_target"] == "itself":
        values["migration_target"] = old_plan
    elif values["migration_target"] == "domain":
        values["migration_target"] = factories.product("domain")
    with pytest.raises(ValidationError) as refused:
        services.withdraw_product(old_plan, **values)
    assert message in " ".join(refused.value.messages)
    old_plan.refresh_from_db()
    assert (old_plan.withdrawn_on, old_plan.is_active) == (None, True)
    assert not AuditEvent.objects.filter(action="product.withdrawn").exists()


def test_a_product_is_withdrawn_once(old_plan, new_plan):
    services.withdraw_product(old_plan, on=TODAY, notice_days=90, migration_target=new_plan)
    with pytest.raises(ValidationError, match="already withdrawn from 2027-03-04"):
        services.withdraw_product(old_plan, on=TODAY, notice_days=30, migration_target=new_plan)


# --- R5.9 ---------------------------------------------------------------------------------


@pytest.fixture
def server(db):
    return factories.product("dedicated_server", name="DS-1", prices={"annual": "999.00"})


def test_a_foreign_price_sets_the_list_price_at_the_days_rate(server):
    services.record_rate("USD", date(2027, 3, 1), "0.900000")
    foreign = services.set_foreign_price(
        server, cycle="monthly", currency="usd", amount="100", valid_from=TODAY
    )
    assert (foreign.currency, foreign.rate_at_pricing) == ("USD", Decimal("0.900000"))
    assert selectors.price_on(server, "monthly", TODAY).amount == Decimal("90.00")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: services.record_rate("EUR", TODAY, "1"), "Prices in EUR need no exchange rate."),
        (lambda s: services.record_rate("US", TODAY, "1"), "three-letter ISO 4217 code"),
        (lambda s: services.record_rate("USD", TODAY, 0.9), "never as a float"),
        (lambda s: services.record_rate("USD", TODAY, "-1"), "greater than zero"),
        (lambda s: services.record_rate("USD", TODAY, "0.1234567"), "at most 8 digits and 6"),
        (lambda s: services.record_rate("USD", TODAY, "abc"), "'abc' is not a rate."),
        (
            lambda s: services.set_foreign_price(
                s, cycle="monthly", currency="GBP", amount="10", valid_from=TODAY
            ),
            "No GBP rate is recorded on or before 2027-03-04.",
        ),
        (
            lambda s: services.set_foreign_price(
                factories.product("shared_hosting"),
                cycle="monthly",
                currency="USD",
                amount="10",
                valid_from=TODAY,
            ),
            "Only dedicated servers are priced in another currency (R5.9).",
        ),
        (
            lambda s: services.set_foreign_price(
                s, cycle="weekly", currency="USD", amount="10", valid_from=TODAY
            ),
            "weekly is not a billing cycle",
        ),
    ],
)
def test_bad_rates_and_foreign_prices_write_nothing(server, call, message):
    if message != "'abc' is not a rate." and "ISO" not in message:
        ExchangeRate.objects.create(currency="USD", day=date(2027, 1, 1), rate=Decimal("0.9"))
    rates, prices = ExchangeRate.objects.count(), server.prices.count()
    with pytest.raises(ValidationError) as refused:
        call(server)
    assert message in " ".join(refused.value.messages)
    assert ExchangeRate.objects.count() == rates
    assert not ForeignPrice.objects.exists() and server.prices.count() == prices


def test_a_rate_is_recorded_once_a_day():
    services.record_rate("USD", TODAY, "0.9")
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_rate("USD", TODAY, "0.95")


def test_reprice_schedules_the_new_price_a_month_on_and_measures_from_the_new_rate(server):
    services.record_rate("USD", date(2027, 1, 1), "0.900000")
    services.set_foreign_price(
        server, cycle="monthly", currency="USD", amount="100", valid_from=date(2027, 1, 1)
    )
    services.record_rate("USD", date(2027, 1, 31), "1.080000")  # +20 % exactly
    [change] = services.reprice(date(2027, 1, 31))
    assert change.price.valid_from == date(2027, 2, 28)  # no 31 February
    assert change.price.amount == Decimal("108.00")
    assert selectors.price_on(server, "monthly", date(2027, 2, 27)).amount == Decimal("90.00")
    assert selectors.price_on(server, "monthly", date(2027, 2, 28)).amount == Decimal("108.00")
    assert services.reprice(date(2027, 2, 1)) == []  # measured from 1.08 now


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    old=st.decimals(min_value="0.01", max_value="100", places=6),
    bp=st.integers(min_value=-5000, max_value=5000),
)
def test_moved_enough_is_exactly_20_percent_either_way(old, bp):
    new = old * (1 + Decimal(bp) / 10000)
    if new <= 0:
        return
    assert selectors.moved_enough(old, new) is (abs(bp) >= 2000)


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bp=st.integers(min_value=1990, max_value=2010), up=st.booleans())
def test_reprice_around_the_boundary(server, bp, up):
    ExchangeRate.objects.all().delete()
    ForeignPrice.objects.all().delete()
    Price.objects.filter(product=server, cycle="monthly").delete()
    services.record_rate("USD", date(2027, 1, 1), "1.000000")
    services.set_foreign_price(
        server, cycle="monthly", currency="USD", amount="100", valid_from=date(2027, 1, 1)
    )
    moved = Decimal(1) + (Decimal(bp) / 10000 if up else -Decimal(bp) / 10000)
    services.record_rate("USD", date(2027, 2, 1), moved)
    changes = services.reprice(date(2027, 2, 1))
    assert bool(changes) is (bp >= 2000)
    if changes:
        assert changes[0].price.amount == (100 * moved).quantize(Decimal("0.01"))


def test_withdrawn_products_keep_their_prices(old_plan, new_plan):
    services.withdraw_product(old_plan, on=TODAY, notice_days=90, migration_target=new_plan)
    assert Product.objects.get(pk=old_plan.pk).prices.count() == 2


def test_staff_record_a_rate_in_the_admin_and_a_refused_one_writes_nothing(admin_client):
    refused = admin_client.post(
        "/admin/catalog/exchangerate/add/", {"currency": "EUR", "day": "2027-03-04", "rate": "1"}
    )
    assert refused.status_code == 200 and "Prices in EUR need no exchange rate." in refused.text
    done = admin_client.post(
        "/admin/catalog/exchangerate/add/", {"currency": "usd", "day": "2027-03-04", "rate": "0.9"}
    )
    assert done.status_code == 302
    assert ExchangeRate.objects.get().currency == "USD"
    assert AuditEvent.objects.filter(action="rate.recorded").count() == 1


def test_staff_withdraw_a_product_by_admin_action(admin_client, old_plan, new_plan):
    page = admin_client.post(
        "/admin/catalog/product/",
        {
            "action": "withdraw",
            "_selected_action": [old_plan.pk],
            "apply": "1",
            "withdrawn_on": "2027-04-01",
            "notice_days": "60",
            "migration_target": new_plan.pk,
        },
    )
    assert page.status_code == 302
    old_plan.refresh_from_db()
    assert (old_plan.withdrawn_on, old_plan.migration_target) == (date(2027, 4, 1), new_plan)
