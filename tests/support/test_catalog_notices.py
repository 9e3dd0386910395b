"""R5.8 and R5.9 told to the customers who hold the products, by the daily steps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.catalog import services as catalog
from kyklos.catalog.models import Product
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Service
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.support.daily import product_withdrawal, repricing
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(db):
    return (
        factories.product("shared_hosting", name="Hosting 2019"),
        factories.product("shared_hosting", name="Hosting 2027"),
    )


def test_withdrawal_tells_every_holder_once_and_ends_renewals_after_the_notice(
    customer, other_customer, plans
):
    old, new = plans
    held = factories.active_service(customer, old, label="maria.gr", expires_on=date(2027, 9, 1))
    other = factories.active_service(
        other_customer, old, label="nikos.gr", expires_on=date(2027, 12, 1)
    )
    gone = factories.active_service(
        other_customer, old, label="gone.gr", expires_on=date(2027, 1, 1), state="terminated"
    )
    with clock.frozen(date(2027, 3, 4)):
        catalog.withdraw_product(old, on=date(2027, 4, 1), notice_days=90, migration_target=new)
        first = product_withdrawal(date(2027, 3, 4), None)
        again = product_withdrawal(date(2027, 3, 4), None)
    assert first == {"products_off_sale": 0, "withdrawal_notices": 2, "renewals_ended": 0}
    assert again["withdrawal_notices"] == 0
    rows = {o.service_id: o for o in Outbox.objects.filter(event="product_withdrawn")}
    assert set(rows) == {held.pk, other.pk} and gone.pk not in rows
    english = render_notice("product_withdrawn", "en", rows[held.pk].context)
    assert english.subject == "Hosting 2019 is being withdrawn"
    assert "from 1 April 2027 it is no longer sold" in english.body
    assert "renewing as before until 30 June 2027" in english.body
    assert "a move to Hosting 2027" in english.body
    greek = render_notice("product_withdrawn", "el", rows[other.pk].context)
    assert "Hosting 2027" in greek.body

    with clock.frozen(date(2027, 4, 1)):
        assert product_withdrawal(date(2027, 4, 1), None)["products_off_sale"] == 1
        with pytest.raises(ValidationError, match="no longer sold"):
            lifecycle.order_service(
                customer=customer, product=Product.objects.get(pk=old.pk), cycle="annual"
            )
    held.refresh_from_db()
    assert held.auto_renew is True  # renews during the notice

    with clock.frozen(date(2027, 7, 1)):
        result = product_withdrawal(date(2027, 7, 1), None)
    assert result["renewals_ended"] == 2
    assert set(Service.objects.filter(auto_renew=False).values_list("pk", flat=True)) == {
        held.pk,
        other.pk,
    }
    assert AuditEvent.objects.filter(action="service.withdrawal_ended_renewal").count() == 2


def test_repricing_tells_the_holders_of_that_cycle_with_the_new_price(customer, other_customer):
    server = factories.product("dedicated_server", name="DS-1", prices={"annual": "900.00"})
    with clock.frozen(date(2027, 1, 1)):
        catalog.record_rate("USD", date(2027, 1, 1), "0.900000")
        catalog.set_foreign_price(
            server, cycle="monthly", currency="USD", amount="100", valid_from=date(2027, 1, 1)
        )
    monthly = factories.active_service(
        customer, server, cycle="monthly", label="ds1", expires_on=date(2027, 5, 1)
    )
    factories.active_service(other_customer, server, label="ds2", expires_on=date(2027, 9, 1))
    agreed = factories.active_service(
        other_customer,
        server,
        cycle="monthly",
        label="ds3",
        expires_on=date(2027, 5, 1),
        agreed_price=Decimal("80.00"),
    )
    with clock.frozen(date(2027, 3, 4)):
        catalog.record_rate("USD", date(2027, 3, 4), "0.710000")  # −21.1 %
        assert repricing(date(2027, 3, 4), None) == {"repriced": 1, "price_notices": 1}
        assert repricing(date(2027, 3, 4), None) == {"repriced": 0, "price_notices": 0}
    notice = Outbox.objects.get(event="price_change")
    assert notice.service_id == monthly.pk and agreed.pk != notice.service_id
    english = render_notice("price_change", "en", notice.context)
    assert english.subject == "New price for ds1 from 4 April 2027"
    assert "billed at €71.00 instead of €90.00" in english.body
    polish = render_notice("price_change", "pl", notice.context)
    assert polish.subject == "Nowa cena usługi ds1 od 4 kwietnia 2027"
    assert "po 71,00" in polish.body


def test_a_small_move_changes_nothing(customer):
    server = factories.product("dedicated_server", name="DS-1", prices={"annual": "900.00"})
    with clock.frozen(date(2027, 1, 1)):
        catalog.record_rate("USD", date(2027, 1, 1), "1.000000")
        catalog.set_foreign_price(
            server, cycle="monthly", currency="USD", amount="100", valid_from=date(2027, 1, 1)
        )
    factories.active_service(customer, server, cycle="monthly", expires_on=date(2027, 5, 1))
    with clock.frozen(date(2027, 3, 4)):
        catalog.record_rate("USD", date(2027, 3, 4), "1.199999")
        assert repricing(date(2027, 3, 4), None) == {"repriced": 0, "price_notices": 0}
    assert not Outbox.objects.filter(event="price_change").exists()
