"""The dashboard's figures against known data: monthly recurring revenue and its change,
renewals due in 30 days, receivables by age, SLA health, new and lost customers; and
the page shows them as charts (SVG with a title) with a table of the figures."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.console import selectors
from kyklos.core import clock
from kyklos.customers import services as customers
from kyklos.lifecycle import selectors as lifecycle
from kyklos.lifecycle.models import State
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(db, today):
    """Services whose monthly value is known (list prices: annual 120, monthly 12)."""
    customer = factories.customer(name="Book Keeper")
    hosting = factories.product("shared_hosting", prices={"annual": "120.00", "monthly": "12.00"})
    big = factories.product("shared_hosting", prices={"annual": "240.00", "quarterly": "90.00"})
    addon = factories.product("addon", prices={"annual": "24.00"})
    start = date(2026, 6, 1)
    main = factories.active_service(
        customer, hosting, expires_on=date(2027, 3, 20), started_on=start
    )  # 120 / 12 = 10
    factories.active_service(
        customer, hosting, cycle="monthly", expires_on=date(2027, 3, 12), started_on=start
    )  # 12
    factories.active_service(
        customer,
        big,
        cycle="quarterly",
        agreed_price=Decimal("60.00"),
        expires_on=date(2027, 5, 1),
        started_on=start,
    )  # agreed 60 / 3 = 20
    factories.active_service(
        customer, big, expires_on=date(2027, 8, 1), started_on=start, state=State.SUSPENDED
    )  # 240 / 12 = 20
    factories.active_service(
        customer, addon, parent=main, expires_on=date(2027, 3, 20), started_on=start
    )  # 2
    factories.active_service(
        customer,
        hosting,
        cycle="monthly",
        expires_on=date(2027, 3, 10),
        started_on=date(2027, 2, 10),
    )  # 12, only since February
    ended = factories.active_service(
        customer,
        hosting,
        cycle="monthly",
        expires_on=date(2027, 2, 1),
        started_on=start,
        state=State.CANCELLED,
    )  # 12 until it ended on 15 February
    ended.state_changed_on = date(2027, 2, 15)
    ended.save()
    factories.active_service(
        customer, hosting, expires_on=date(2027, 3, 5), started_on=start, state=State.PENDING
    )  # pending: not revenue
    factories.active_service(
        customer, hosting, cycle="one_off", expires_on=date(2027, 3, 5), started_on=start
    )  # one-off: not recurring
    return customer


def test_monthly_recurring_revenue_counts_what_recurs_on_the_day(book, today):
    assert lifecycle.monthly_recurring_revenue(today) == {"EUR": Decimal("76.00")}
    # On 31 January: the cancelled one still ran, February's had not started.
    assert lifecycle.monthly_recurring_revenue(date(2027, 1, 31)) == {"EUR": Decimal("76.00")}
    assert lifecycle.monthly_recurring_revenue(date(2027, 2, 14)) == {"EUR": Decimal("88.00")}
    assert lifecycle.monthly_recurring_revenue(date(2026, 5, 31)) == {}


def test_the_dashboard_gives_the_change_from_last_month(book, today):
    figures = selectors.dashboard(today)
    assert [day for day, _v in figures["mrr"]][-2:] == [date(2027, 2, 28), today]
    assert figures["mrr_now"] == Decimal("76.00")
    assert figures["mrr_change"] == Decimal("0.00")  # +12 started, -12 ended in February
    assert figures["mrr"][0] == (date(2026, 10, 31), {"EUR": Decimal("76.00")})


def test_renewals_due_in_the_next_30_days_per_week(book, today):
    weeks = lifecycle.renewals_due(today, 30)
    assert [w["services"] for w in weeks] == [0, 2, 1, 0, 0]
    # 10 March (monthly 12); 12 March (12) and the main annual service on 20 March (120):
    assert weeks[1]["amount"] == {"EUR": Decimal("24.00")}
    assert weeks[2]["amount"] == {"EUR": Decimal("120.00")}


def test_receivables_by_age(today):
    customer = factories.customer(name="Late Payer", kind="company", company_name="Late SA")
    for issued, price in ((date(2027, 1, 10), "100.00"), (date(2027, 2, 25), "50.00")):
        issue_document(
            DocumentSpec(
                customer=customer,
                kind=DocumentKind.INVOICE,
                lines=[LineSpec(description="Work", unit_price=Decimal(price))],
                issued_on=issued,
            )
        )
    aging = selectors.dashboard(today)["aging"]
    assert aging.amounts["31-60"] == Decimal("124.00")  # 50 days past due
    assert aging.amounts["0-30"] == Decimal("62.00")


def test_new_and_lost_customers_per_month(db, staff):
    with clock.frozen(date(2027, 1, 15)):
        gone = factories.customer(name="Gone")
    with clock.frozen(date(2027, 2, 20)):
        factories.customer(name="New One")
        factories.customer(name="New Two")
        customers.lock_customer(gone, actor=staff("admin"), reason="Moved away")
    with clock.frozen(date(2027, 3, 1)):
        rows = selectors.dashboard(date(2027, 3, 1))["customers"]
    by_month = {row["month"]: (row["new"], row["lost"]) for row in rows}
    assert by_month[date(2027, 1, 1)] == (1, 0)
    assert by_month[date(2027, 2, 1)] == (2, 1)
    assert by_month[date(2027, 3, 1)] == (0, 0)
    assert len(rows) == 6


def test_the_page_shows_charts_with_titles_and_the_figures(console, book, maria):
    response = console("billing").get(reverse("console:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<svg class="chart"') == 5
    assert '<title id="chart-mrr-t">Monthly recurring revenue</title>' in html
    assert "€76.00" in html  # the figure, in the table too
    assert "SLA health" in html and "New and lost customers" in html
    assert "style=" not in html  # strict CSP: no inline styles


def test_technical_staff_do_not_see_the_money(console, db):
    assert console("technical").get(reverse("console:dashboard")).status_code == 403
