"""Hourly work (R7.4): the standard or an agreed rate, at least 15 minutes per request,
then in 1-minute steps. Amounts below are worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core.models import AuditEvent
from kyklos.customers.models import Customer
from kyklos.notifications.models import Outbox
from kyklos.projects import services
from kyklos.projects.models import AgreedRate, HourlyRate, Project, TimeEntry
from tests import factories


def log(customer, minutes, **kwargs):
    kwargs.setdefault("description", "Fix the contact form")
    kwargs.setdefault("actor", "support")
    return services.log_time(customer, minutes=minutes, **kwargs)


def test_a_short_request_is_billed_15_minutes_at_the_standard_rate(customer, rate_60, today):
    entry = log(customer, 5, reference="T-1")

    assert (entry.minutes, entry.billable_minutes) == (5, 15)
    assert entry.rate == Decimal("60.00") and entry.rate_source == "standard"
    assert entry.amount == Decimal("15.00")  # 15 min at €60/h
    assert entry.worked_on == date(2027, 3, 1)
    assert AuditEvent.objects.filter(action="projects.time.logged").count() == 1


def test_beyond_15_minutes_every_minute_counts(customer, rate_60, today):
    assert log(customer, 17).amount == Decimal("17.00")  # 17 min at €1/min
    assert log(customer, 15).amount == Decimal("15.00")
    assert log(customer, 16).amount == Decimal("16.00")


def test_the_rate_in_force_on_the_day_of_the_work_applies(customer, rate_60, today):
    # 31 Dec 2026: before the €60 row, the configured default €50 (KYKLOS_HOURLY_RATE);
    # 61 min = 50 × 61 / 60 = 50.8333… → €50.83
    entry = log(customer, 61, worked_on=date(2026, 12, 31))
    assert entry.rate == Decimal("50.00")
    assert entry.amount == Decimal("50.83")


def test_entries_of_one_request_share_its_15_minute_minimum(customer, rate_60, today):
    first = log(customer, 5, reference="T-9")
    second = log(customer, 5, reference="T-9")
    third = log(customer, 20, reference="T-9")
    other = log(customer, 5, reference="T-10")
    unreferenced = [log(customer, 5), log(customer, 5)]  # each its own request

    # T-9: 30 minutes in all, billed 30: 15 + 0 + 15
    assert [e.billable_minutes for e in (first, second, third)] == [15, 0, 15]
    assert [e.amount for e in (first, second, third)] == [
        Decimal("15.00"),
        Decimal("0.00"),
        Decimal("15.00"),
    ]
    assert other.billable_minutes == 15
    assert [e.billable_minutes for e in unreferenced] == [15, 15]


def test_an_agreed_rate_wins_over_the_standard_one(customer, rate_60, today):
    project_customer = factories.customer(name="Other")
    AgreedRate.objects.create(customer=customer, amount=Decimal("45.00"), valid_from=today)

    assert log(customer, 30).amount == Decimal("22.50")  # customer's €45/h
    assert log(customer, 10, rate="80").amount == Decimal("20.00")  # given: 15 min at €80/h
    assert log(project_customer, 30).amount == Decimal("30.00")  # standard €60/h


def test_a_projects_agreed_rate_applies_to_its_hours(customer, rate_60, today):
    project = _project(customer, hourly_rate=Decimal("90.00"))
    entry = log(customer, 20, project=project)
    assert (entry.rate, entry.rate_source, entry.amount) == (
        Decimal("90.00"),
        "project",
        Decimal("30.00"),
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes": 0}, "between 1 and 1440"),
        ({"minutes": -5}, "between 1 and 1440"),
        ({"minutes": "-5"}, "whole minutes"),
        ({"minutes": 2.5}, "whole minutes"),
        ({"minutes": "abc"}, "whole minutes"),
        ({"minutes": True}, "whole minutes"),
        ({"minutes": 1441}, "between 1 and 1440"),
        ({"description": " "}, "Describe the work"),
        ({"rate": "-1"}, "greater than zero"),
        ({"rate": 60.0}, "as a number"),
        ({"worked_on": date(2027, 3, 2)}, "future day"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(customer, rate_60, today, kwargs, message):
    args = {"minutes": 10, "description": "Work"}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        services.log_time(customer, actor="support", **args)
    assert TimeEntry.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_time_for_another_customers_project_or_a_locked_account_is_refused(
    customer, rate_60, today
):
    other = factories.customer(name="Other")
    project = _project(other)
    with pytest.raises(ValidationError, match="another customer"):
        log(customer, 10, project=project)
    Customer.objects.filter(pk=customer.pk).update(status=Customer.Status.LOCKED)
    with pytest.raises(ValidationError, match="locked"):
        log(customer, 10)
    assert TimeEntry.objects.count() == 0


def test_before_any_dated_rate_the_configured_standard_rate_applies(customer, settings, today):
    settings.KYKLOS_HOURLY_RATE = "48.00"
    assert HourlyRate.objects.count() == 0
    entry = log(customer, 25)
    assert (entry.rate, entry.amount) == (Decimal("48.00"), Decimal("20.00"))  # 48 × 25 / 60


def test_without_a_standard_rate_time_cannot_be_priced(customer, settings, today):
    settings.KYKLOS_HOURLY_RATE = ""
    with pytest.raises(ValidationError, match="No standard hourly rate"):
        log(customer, 10)
    assert TimeEntry.objects.count() == 0


def _project(customer, **fields) -> Project:
    quote = services.draft_quote(
        customer, title="Site", lines=[{"description": "Build", "unit_price": "1000"}], actor="x"
    )
    defaults = dict(
        customer=customer,
        quote=quote,
        title="Site",
        status=Project.Status.IN_PROGRESS,
        plan="deposit",
        deposit_percent=Decimal("50"),
        contract_amount=Decimal("1000"),
        accepted_on=date(2027, 3, 1),
        created_at=quote.created_at,
    )
    defaults.update(fields)
    return Project.objects.create(**defaults)


def test_billing_hours_issues_one_document_with_a_line_per_charged_entry(customer, rate_60, today):
    log(customer, 5, reference="T-1", description="Fix the form")
    log(customer, 5, reference="T-1", description="Test the form")  # inside T-1's 15 min
    log(customer, 17, reference="T-2", description="Update plugins")

    invoice = services.bill_time(customer, actor="staff")

    # 15 min + 17 min at €60/h = 15.00 + 17.00 = 32.00 net; 24% VAT 7.68; 39.68
    assert (invoice.kind, invoice.subtotal, invoice.vat_total, invoice.total) == (
        "receipt",
        Decimal("32.00"),
        Decimal("7.68"),
        Decimal("39.68"),
    )
    assert [ln.description for ln in invoice.lines.all()] == [
        "2027-03-01 Fix the form — 15 min at 60.00/h (T-1)",
        "2027-03-01 Update plugins — 17 min at 60.00/h (T-2)",
    ]
    assert TimeEntry.objects.filter(invoice=invoice).count() == 3
    assert list(Outbox.objects.filter(invoice_id=invoice.pk).values_list("event", flat=True)) == [
        "receipt_issued"  # billing's notice, one per document
    ]
    assert services.bill_time(customer, actor="staff") is None  # nothing left, nothing issued
