"""Support packages (R7.10) and a training's 3 hours of support (R7.6).

Nikos has a package of 2 hours (120 minutes) a month from 1 March 2027; the standard rate
is €60/h, so a minute beyond the package costs €1.00 (net)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.projects import selectors, services
from kyklos.projects.models import PackageStatement, PackageUse, SupportPackage, TimeEntry
from tests.projects.test_time import _project

MARCH, APRIL, MAY = date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 1)


def log(customer, minutes, worked_on, reference, today=None):
    with clock.frozen(today or worked_on):
        return services.log_time(
            customer,
            minutes=minutes,
            description="Support",
            reference=reference,
            worked_on=worked_on,
            actor="support",
        )


def run_step(day):
    with clock.frozen(day):
        return services.bill_package_overage(day)


@pytest.fixture
def package(customer, rate_60, staff):
    with clock.frozen(MARCH):
        return services.create_package(
            customer, hours="2", starts_on=MARCH, price="100.00", actor=staff
        )


def balance(package, month, today):
    with clock.frozen(today):
        return selectors.package_balance(package, month)


def test_the_monthly_balance_is_correct_across_a_month_boundary(customer, package):
    log(customer, 90, date(2027, 3, 10), "T-1")
    log(customer, 45, date(2027, 3, 31), "T-2")  # 30 covered, 15 beyond
    log(customer, 20, date(2027, 4, 1), "T-3")  # a new month: a fresh 120

    march = balance(package, MARCH, APRIL)
    april = balance(package, APRIL, APRIL)
    assert (march.used, march.left, march.beyond) == (120, 0, 15)
    assert (april.used, april.left, april.beyond) == (20, 100, 0)  # March's overrun not carried


def test_unused_hours_do_not_roll_over(customer, package):
    log(customer, 30, date(2027, 3, 31), "T-1")  # 90 minutes of March unused
    log(customer, 130, date(2027, 4, 1), "T-2")
    april = balance(package, APRIL, APRIL)
    assert (april.used, april.left, april.beyond) == (120, 0, 10)


def test_the_hours_beyond_are_billed_once_on_a_proforma_after_the_month(customer, package):
    log(customer, 90, date(2027, 3, 10), "T-1")
    log(customer, 45, date(2027, 3, 31), "T-2")
    log(customer, 20, date(2027, 4, 1), "T-3")

    assert run_step(date(2027, 3, 31)) == {"package_overage_billed": 0}  # March not over yet
    assert run_step(APRIL) == {"package_overage_billed": 1}
    assert run_step(APRIL) == {"package_overage_billed": 0}  # a second run finds nothing
    assert run_step(date(2027, 4, 2)) == {"package_overage_billed": 0}

    statement = PackageStatement.objects.get()
    assert (statement.month, statement.minutes, statement.amount) == (MARCH, 15, Decimal("15.00"))
    proforma = statement.invoice
    assert proforma.kind == DocumentKind.PROFORMA and proforma.subtotal == Decimal("15.00")
    assert "2027-03: 15 min" in proforma.lines.get().description
    # The covered work is never billed hour by hour as well.
    with clock.frozen(APRIL):
        assert services.bill_time(customer, actor="staff") is None
    assert AuditEvent.objects.filter(action="projects.package.overage_billed").count() == 1


def test_time_logged_late_for_a_billed_month_goes_on_the_next_statement(customer, package):
    log(customer, 125, date(2027, 3, 10), "T-1")  # 5 beyond
    run_step(APRIL)
    log(customer, 10, date(2027, 3, 30), "T-4", today=date(2027, 4, 5))  # 15 min minimum
    assert run_step(date(2027, 4, 6)) == {"package_overage_billed": 0}
    assert run_step(MAY) == {"package_overage_billed": 1}
    may = PackageStatement.objects.get(month=APRIL)
    assert (may.minutes, may.amount) == (15, Decimal("15.00"))
    assert PackageStatement.objects.count() == 2


def test_the_package_overage_rate_applies_when_set(customer, rate_60, staff):
    with clock.frozen(MARCH):
        services.create_package(
            customer, hours="1", starts_on=MARCH, overage_rate="90", actor=staff
        )
    log(customer, 80, date(2027, 3, 2), "T-1")  # 20 beyond at €90/h = €30.00
    run_step(APRIL)
    assert PackageStatement.objects.get().amount == Decimal("30.00")


def test_project_work_is_not_taken_from_the_package(customer, package):
    project = _project(customer)
    with clock.frozen(date(2027, 3, 2)):
        services.log_time(customer, minutes=60, description="Build", project=project, actor="staff")
    assert not PackageUse.objects.exists()
    assert balance(package, MARCH, date(2027, 3, 2)).used == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": "0"}, "greater than zero"),
        ({"hours": "two"}, "as a number"),
        ({"hours": "1.004"}, "whole minutes"),
        ({"ends_on": date(2027, 2, 1)}, "cannot end before it starts"),
    ],
)
def test_bad_packages_are_refused_and_nothing_is_written(customer, staff, kwargs, message):
    arguments = {"hours": "2", "starts_on": MARCH, **kwargs}
    with clock.frozen(MARCH), pytest.raises(ValidationError, match=message):
        services.create_package(customer, actor=staff, **arguments)
    assert not SupportPackage.objects.exists()


def test_two_monthly_packages_cannot_overlap(customer, package, staff):
    with clock.frozen(MARCH), pytest.raises(ValidationError, match="already has a support"):
        services.create_package(customer, hours="5", starts_on=APRIL, actor=staff)
    assert SupportPackage.objects.count() == 1


# --- R7.6: a training's 3 hours of support ---------------------------------------------------


@pytest.fixture
def training(customer, rate_60, staff):
    project = _project(customer, title="WordPress training", number="P-2027-000003")
    with clock.frozen(MARCH):
        return services.grant_training_support(
            project, ended_on=MARCH, valid_until=date(2027, 5, 31), actor=staff
        )


def test_a_training_grants_3_hours_of_support_then_time_is_billed_hourly(customer, training):
    assert training.minutes == 180 and training.kind == SupportPackage.Kind.TRAINING
    log(customer, 100, date(2027, 3, 5), "T-1")
    log(customer, 100, date(2027, 3, 6), "T-2")  # 80 covered, 20 beyond
    log(customer, 30, date(2027, 3, 7), "T-3")  # none left: ordinary hourly work

    left = balance(training, None, date(2027, 3, 7))
    assert (left.used, left.left, left.beyond) == (180, 0, 20)
    with clock.frozen(date(2027, 3, 7)):
        hourly = services.bill_time(customer, actor="staff")
    assert hourly.subtotal == Decimal("30.00")  # T-3 only: 30 min at €60/h
    run_step(APRIL)
    assert PackageStatement.objects.get().amount == Decimal("20.00")  # T-2's 20 minutes


def test_a_training_is_used_before_the_monthly_package(customer, training, package):
    log(customer, 200, date(2027, 3, 5), "T-1")  # 180 from the training, 20 from March's
    assert balance(training, None, date(2027, 3, 5)).used == 180
    assert balance(package, MARCH, date(2027, 3, 5)).used == 20


def test_a_training_s_hours_expire_on_the_terms_date(customer, training):
    log(customer, 30, date(2027, 6, 1), "T-1")
    assert not PackageUse.objects.exists()
    assert TimeEntry.objects.get().amount == Decimal("30.00")  # billed hourly


def test_a_training_grants_its_hours_once(customer, training, staff):
    with clock.frozen(MARCH), pytest.raises(ValidationError, match="already granted"):
        services.grant_training_support(training.project, ended_on=MARCH, actor=staff)
    with clock.frozen(MARCH), pytest.raises(ValidationError, match="not ended yet"):
        services.grant_training_support(
            _project(customer, title="Later"), ended_on=APRIL, actor=staff
        )
    assert SupportPackage.objects.count() == 1


def test_the_balances_shown_list_this_month_and_the_ones_before(customer, package, training):
    log(customer, 200, date(2027, 3, 5), "T-1")
    with clock.frozen(date(2027, 4, 10)):
        rows = selectors.support_balances(customer.pk)
    assert [(r.package.kind, r.month, r.used) for r in rows] == [
        ("training", None, 180),
        ("monthly", APRIL, 0),
        ("monthly", MARCH, 20),
    ]
    assert Invoice.objects.count() == 0
