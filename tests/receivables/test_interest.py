"""Late interest on project balances (R6.7): 20% a year, per day, Actual/365, invoiced on
request or at month end. Expected amounts are worked out by hand below."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kyklos.core import clock
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from kyklos.projects import services as projects
from kyklos.projects.models import Channel
from kyklos.receivables import interest, services
from kyklos.receivables.models import InterestCharge
from tests import factories
from tests.portal.conftest import make_login


@pytest.fixture
def final_invoice(db):
    """A €10,000 final invoice (a US customer: outside EU VAT, so the total is 10,000)
    delivered and due on 1 January 2027: interest from 1 February (30 free days)."""
    return make_final_invoice("acme")


def make_final_invoice(login: str):
    customer = factories.customer(
        name=f"{login} Inc", country="US", language="en", user=make_login(login)
    )
    with clock.frozen(date(2026, 12, 1)):
        quote = projects.draft_quote(
            customer,
            title="Platform",
            lines=[{"description": "Build", "unit_price": "10000"}],
            plan="monthly",
            final_due_days=0,
            actor="staff",
        )
        projects.send_quote(quote, actor="staff")
        project = projects.accept_quote(
            quote,
            version=1,
            consent=projects.Consent(
                channel=Channel.PORTAL,
                signer_name="Ann Acme",
                ip_address="192.0.2.1",
                user=customer.user,
            ),
        )
    with clock.frozen(date(2027, 1, 1)):
        invoice = projects.deliver_project(project, actor="staff")
    assert (invoice.total, invoice.due_on) == (Decimal("10000.00"), date(2027, 1, 1))
    return invoice


def test_45_days_on_10000_at_20_percent(final_invoice):
    # 1 Feb – 17 Mar 2027 = 28 + 17 = 45 days; 10,000 × 0.20 × 45 / 365 = 246.5753… → 246.58
    with clock.frozen(date(2027, 3, 17)):
        (document,) = services.charge_interest(
            through=date(2027, 3, 17), customer=final_invoice.customer, actor="staff"
        )
    assert document.subtotal == Decimal("246.58") and document.total == Decimal("246.58")
    assert list(Outbox.objects.filter(invoice_id=document.pk).values_list("event", flat=True)) == [
        "receipt_issued"
    ]
    (line,) = document.lines.all()
    assert line.description == (
        f"Late interest 20% a year on {final_invoice.number}, 2027-02-01 to 2027-03-17 (45 days)"
    )
    charge = InterestCharge.objects.get()
    assert (charge.first_day, charge.last_day, charge.days) == (
        date(2027, 2, 1),
        date(2027, 3, 17),
        45,
    )
    # Asked again the same day: every day is charged once.
    with clock.frozen(date(2027, 3, 17)):
        assert services.charge_interest(through=date(2027, 3, 17), actor="staff") == []


def test_month_end_charges_each_month_once_and_catches_up(final_invoice):
    with clock.frozen(date(2027, 2, 27)):
        assert services.month_end_interest(date(2027, 2, 27)) == {"interest_invoice": 0}
    with clock.frozen(date(2027, 2, 28)):
        assert services.month_end_interest(date(2027, 2, 28)) == {"interest_invoice": 1}
    with clock.frozen(date(2027, 3, 1)):  # the next day: nothing more up to 28 February
        assert services.month_end_interest(date(2027, 3, 1)) == {"interest_invoice": 0}
    with clock.frozen(date(2027, 4, 2)):  # the run of 31 March was missed
        assert services.month_end_interest(date(2027, 4, 2)) == {"interest_invoice": 1}
    # February: 28 days → 153.4246… → 153.42; March: 31 days → 169.8630… → 169.86
    assert list(InterestCharge.objects.values_list("days", "amount")) == [
        (28, Decimal("153.42")),
        (31, Decimal("169.86")),
    ]


def test_a_part_payment_lowers_the_balance_from_the_next_day(final_invoice):
    with clock.frozen(date(2027, 2, 28)):
        services.month_end_interest(date(2027, 2, 28))
    with clock.frozen(date(2027, 3, 10)):
        record_payment(final_invoice, amount="4000.00", method="bank_transfer", actor="staff")
    with clock.frozen(date(2027, 3, 31)):
        services.month_end_interest(date(2027, 3, 31))
    march = InterestCharge.objects.get(first_day=date(2027, 3, 1))
    # 1–10 March at 10,000: 54.7945…; 11–31 March (21 days) at 6,000: 69.0410…
    # = 123.8356… → 123.84
    assert march.amount == Decimal("123.84")
    assert march.segments == [
        {"from": "2027-03-01", "to": "2027-03-10", "days": 10, "balance": "10000.00"},
        {"from": "2027-03-11", "to": "2027-03-31", "days": 21, "balance": "6000.00"},
    ]


def test_interest_runs_to_the_day_of_payment_and_then_stops(final_invoice):
    with clock.frozen(date(2027, 2, 10)):
        record_payment(final_invoice, amount="10000.00", method="bank_transfer", actor="staff")
    with clock.frozen(date(2027, 2, 28)):
        services.month_end_interest(date(2027, 2, 28))
    # 1–10 February: 10 days × 10,000 × 0.20 / 365 = 54.7945… → 54.79
    assert list(InterestCharge.objects.values_list("days", "amount")) == [(10, Decimal("54.79"))]
    with clock.frozen(date(2027, 3, 31)):
        assert services.month_end_interest(date(2027, 3, 31)) == {"interest_invoice": 0}


def test_nothing_accrues_within_the_interest_free_days(final_invoice):
    with clock.frozen(date(2027, 1, 31)):
        assert services.charge_interest(through=date(2027, 1, 31), actor="staff") == []
        assert services.accrued_interest(final_invoice, through=date(2027, 1, 31)) == 0
    with clock.frozen(date(2027, 2, 1)):
        # one day: 10,000 × 0.20 / 365 = 5.4794… → 5.48
        assert services.accrued_interest(final_invoice, through=date(2027, 2, 1)) == Decimal("5.48")


def test_interest_cannot_be_charged_for_future_days(final_invoice):
    with clock.frozen(date(2027, 3, 1)):
        with pytest.raises(ValidationError, match="future days"):
            services.charge_interest(through=date(2027, 3, 2), actor="staff")
    assert not InterestCharge.objects.exists()


def test_the_day_count_is_actual_365_also_in_a_leap_year():
    # 366 days of 2028 on 1,000 at 20%: 1,000 × 0.20 × 366 / 365 = 200.5479…
    found = interest.segments(
        total=Decimal("1000"), payments=[], first_day=date(2028, 1, 1), last_day=date(2028, 12, 31)
    )
    assert found[0].days == 366
    assert interest.amount(found, Decimal("20")).quantize(Decimal("0.0001")) == Decimal("200.5479")


def test_month_end_interest_costs_the_same_statements_for_one_or_many_customers(final_invoice):
    with clock.frozen(date(2027, 2, 28)), CaptureQueriesContext(connection) as one:
        assert services.month_end_interest(date(2027, 2, 28)) == {"interest_invoice": 1}
    for login in ("beta", "gamma", "delta"):
        make_final_invoice(login)
    with clock.frozen(date(2027, 3, 31)), CaptureQueriesContext(connection) as four:
        assert services.month_end_interest(date(2027, 3, 31)) == {"interest_invoice": 4}
    assert len(four) == len(one)  # nothing per customer or per document
    # March for the first customer (31 days): 169.86; February and March for the others:
    # 59 days, 10,000 × 0.20 × 59 / 365 = 323.2876… → 323.29
    assert sorted(InterestCharge.objects.values_list("amount", flat=True)) == [
        Decimal("153.42"),
        Decimal("169.86"),
        Decimal("323.29"),
        Decimal("323.29"),
        Decimal("323.29"),
    ]
