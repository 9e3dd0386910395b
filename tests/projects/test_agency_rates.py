"""Rates per kind of work and rush rates as dated data (R7.4, R7.7), and the yearly rise
announced ahead (R7.4: 30 days' notice, once a year). Amounts are worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.notifications.services import send_pending
from kyklos.projects import services
from kyklos.projects.models import HourlyRate, RateChange, RatePolicy, TimeEntry, WorkKind
from tests import factories


@pytest.fixture
def design(db):
    return WorkKind.objects.get(code="design")


@pytest.fixture
def rates(db, design):
    """From 1 January 2027: €60/h for all kinds, €75/h for design, €120/h rush design."""
    day = date(2027, 1, 1)
    HourlyRate.objects.create(amount=Decimal("60.00"), valid_from=day)
    HourlyRate.objects.create(kind=design, amount=Decimal("75.00"), valid_from=day)
    HourlyRate.objects.create(kind=design, rush=True, amount=Decimal("120.00"), valid_from=day)


def log(customer, minutes, **kwargs):
    kwargs.setdefault("description", "Work")
    return services.log_time(customer, minutes=minutes, actor="staff", **kwargs)


def test_the_kinds_of_work_and_the_policy_are_seeded(db):
    assert list(WorkKind.objects.values_list("code", flat=True)) == [
        "design",
        "development",
        "support",
        "training",
    ]
    assert WorkKind.objects.get(code="design").label("el") == "Σχεδιασμός"
    policy = RatePolicy.objects.get()
    assert (policy.notice_days, policy.days_between_rises, policy.rush_multiplier) == (
        30,
        365,
        Decimal("1.50"),
    )


def test_each_kind_of_work_is_billed_at_its_own_rate_in_force(customer, rates, today):
    # design has its own €75/h; support has none: the rate for all kinds, €60/h
    designed = log(customer, 30, kind="design")
    supported = log(customer, 30, kind="support")
    assert (designed.rate, designed.amount, designed.kind.code) == (
        Decimal("75.00"),
        Decimal("37.50"),
        "design",
    )
    assert (supported.rate, supported.amount) == (Decimal("60.00"), Decimal("30.00"))
    # before 1 January 2027 no dated row: KYKLOS_HOURLY_RATE (€50/h) for every kind
    assert log(customer, 60, kind="design", worked_on=date(2026, 12, 31)).amount == Decimal("50.00")


def test_a_rush_request_is_billed_at_the_higher_rush_rate(customer, rates, today):
    # design has a dated rush rate: 20 min at €120/h = €40.00
    rush = log(customer, 20, kind="design", rush=True)
    assert (rush.rate, rush.rate_source, rush.amount, rush.rush) == (
        Decimal("120.00"),
        "rush",
        Decimal("40.00"),
        True,
    )
    # development has none: €60/h × the policy's 1.5 = €90/h; 20 min = €30.00
    fallback = log(customer, 20, kind="development", rush=True)
    assert (fallback.rate, fallback.amount) == (Decimal("90.00"), Decimal("30.00"))
    invoice = services.bill_time(customer, actor="staff")
    assert [ln.description for ln in invoice.lines.all()] == [
        "2027-03-01 Work — 20 min at 120.00/h, rush",
        "2027-03-01 Work — 20 min at 90.00/h, rush",
    ]


def test_an_unknown_kind_of_work_is_refused_and_nothing_is_written(customer, rates, today):
    with pytest.raises(ValidationError, match="Unknown kind of work"):
        log(customer, 10, kind="astrology")
    assert TimeEntry.objects.count() == 0


def test_a_quote_prices_hours_of_a_kind_at_the_rate_in_force(customer, rates, today):
    quote = services.draft_quote(
        customer,
        title="Redesign",
        lines=[
            {"description": "Page design", "quantity": "12", "kind": "design"},
            {"description": "Launch weekend", "quantity": "2", "kind": "design", "rush": True},
            {"description": "Hosting setup", "unit_price": "80"},
        ],
        actor="staff",
    )
    lines = list(quote.lines.order_by("position"))
    # 12 h × €75 = 900; 2 h × €120 (rush) = 240; + 80 = 1,220
    assert [(ln.unit_price, ln.amount) for ln in lines] == [
        (Decimal("75.00"), Decimal("900.00")),
        (Decimal("120.00"), Decimal("240.00")),
        (Decimal("80.00"), Decimal("80.00")),
    ]
    assert quote.subtotal == Decimal("1220.00")


# --- the yearly rise, announced ahead (R7.4) ----------------------------------------------


@pytest.fixture
def billed_customers(rates, today):
    """Three customers billed at the standard rates (el, en, pl) and one with only an
    agreed rate, who does not hear of a rise."""
    greek = factories.customer(name="Eleni", email="eleni@example.gr", language="el")
    english = factories.customer(name="John", email="john@example.com", language="en")
    polish = factories.customer(name="Ola", email="ola@example.pl", language="pl")
    agreed = factories.customer(name="Agreed", email="agreed@example.com", language="en")
    for customer in (greek, english, polish):
        log(customer, 15, kind="design")
    log(agreed, 15, rate="40")
    return greek, english, polish


def test_a_rise_with_less_than_30_days_notice_is_refused_and_nothing_is_written(
    billed_customers,
):
    # announced 1 March 2027: 30 days' notice means 31 March at the earliest
    with pytest.raises(ValidationError, match="2027-03-31 at the earliest"):
        services.change_rates(
            effective_on=date(2027, 3, 30), rates=[{"kind": "design", "amount": "80"}], actor="x"
        )
    assert RateChange.objects.count() == 0 and HourlyRate.objects.count() == 3
    assert not Outbox.objects.filter(event="rate_rise_announced").exists()
    assert not AuditEvent.objects.filter(action="projects.rates.changed").exists()


def test_a_rise_announced_30_days_ahead_applies_from_its_date_and_is_announced(
    billed_customers, customer, mailoutbox
):
    greek, english, polish = billed_customers
    change = services.change_rates(
        effective_on=date(2027, 3, 31),
        rates=[
            services.NewRate(kind="design", amount=Decimal("80")),
            services.NewRate(amount=Decimal("65")),
        ],
        note="New tools and a larger team.",
        actor="staff",
    )
    assert (change.is_rise, change.announced_on, change.notified_count) == (
        True,
        date(2027, 3, 1),
        3,
    )
    notices = Outbox.objects.filter(event="rate_rise_announced")
    assert {(n.customer_id, n.language) for n in notices} == {
        (greek.pk, "el"),
        (english.pk, "en"),
        (polish.pk, "pl"),
    }
    send_pending()
    bodies = {m.to[0]: m.body for m in mailoutbox}
    assert "Design: €75.00 → €80.00 per hour" in bodies["john@example.com"]
    assert "All kinds of work: €60.00 → €65.00 per hour" in bodies["john@example.com"]
    assert "31 March 2027" in bodies["john@example.com"]
    assert "Σχεδιασμός" in bodies["eleni@example.gr"]
    assert "Projektowanie" in bodies["ola@example.pl"]
    # work before the date keeps the old rate, work from it gets the new one
    with clock.frozen(date(2027, 4, 1)):
        before = log(customer, 60, kind="design", worked_on=date(2027, 3, 30))
        after = log(customer, 60, kind="design", worked_on=date(2027, 3, 31))
        other = log(customer, 60, kind="training")
    assert (before.rate, after.rate, other.rate) == (
        Decimal("75.00"),
        Decimal("80.00"),
        Decimal("65.00"),
    )


def test_rates_rise_once_a_year(billed_customers):
    services.change_rates(
        effective_on=date(2027, 4, 1), rates=[{"kind": "design", "amount": "80"}], actor="x"
    )
    # a second rise within 365 days of 1 April 2027 is refused, whatever the kind
    with pytest.raises(ValidationError, match="once a year.*2028-03-31 at the earliest"):
        services.change_rates(
            effective_on=date(2027, 10, 1), rates=[{"kind": "training", "amount": "70"}], actor="x"
        )
    assert RateChange.objects.count() == 1
    # the same rise completed on its own date, and the next year's, are allowed
    services.change_rates(
        effective_on=date(2027, 4, 1), rates=[{"kind": "training", "amount": "70"}], actor="x"
    )
    services.change_rates(
        effective_on=date(2028, 3, 31), rates=[{"kind": "design", "amount": "85"}], actor="x"
    )
    assert RateChange.objects.filter(is_rise=True).count() == 3


def test_a_cut_needs_no_notice_and_is_not_announced(billed_customers):
    change = services.change_rates(
        effective_on=date(2027, 3, 2), rates=[{"kind": "design", "amount": "70"}], actor="x"
    )
    assert (change.is_rise, change.notified_count) == (False, 0)
    assert not Outbox.objects.filter(event="rate_rise_announced").exists()


def test_an_over_long_note_is_refused_not_cut(rates, today):
    with pytest.raises(ValidationError, match="at most 200 characters"):
        services.change_rates(
            effective_on=date(2027, 6, 1), rates=[{"amount": "40"}], note="n" * 201, actor="x"
        )
    assert RateChange.objects.count() == 0 and HourlyRate.objects.count() == 3


@pytest.mark.parametrize(
    ("effective_on", "new_rates", "message"),
    [
        (date(2027, 2, 28), [{"amount": "70"}], "cannot start in the past"),
        (date(2027, 6, 1), [], "at least one rate"),
        (date(2027, 6, 1), [{"amount": "-5"}], "greater than zero"),
        (date(2027, 6, 1), [{"kind": "astrology", "amount": "70"}], "Unknown kind"),
        (date(2027, 6, 1), [{"amount": "70"}, {"amount": "71"}], "once per change"),
        (date(2027, 1, 1), [{"kind": "design", "amount": "70"}], "past"),
        ("2027-06-01", [{"amount": "70"}], "Give the day"),
    ],
)
def test_bad_rate_changes_are_refused_and_write_nothing(
    rates, today, effective_on, new_rates, message
):
    with pytest.raises(ValidationError, match=message):
        services.change_rates(effective_on=effective_on, rates=new_rates, actor="x")
    assert RateChange.objects.count() == 0 and HourlyRate.objects.count() == 3
