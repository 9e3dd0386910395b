"""Dated scenarios of the service lifecycle (R3), driven by the real daily run.

Expected dates and amounts are written by hand from the rules in domain-rules.md.
"""

from datetime import date
from decimal import Decimal

import pytest

from kyklos.automation.services import run_range
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal, State
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


def notices(service):
    return [
        (o.event, o.for_date.isoformat(), o.offset_days, o.status)
        for o in Outbox.objects.filter(service_id=service.pk).order_by("for_date", "id")
    ]


def pay(invoice, on):
    with clock.frozen(on):
        return record_payment(
            invoice, amount=invoice.total, method="bank_transfer", reference="bank ref"
        )


@pytest.fixture
def hosting():
    return factories.product("shared_hosting", prices={"annual": "120.00", "monthly": "12.00"})


@pytest.fixture
def eleni():
    return factories.customer(name="Eleni Papadopoulou", email="eleni@example.gr")


def test_annual_hosting_from_order_to_termination(eleni, hosting):
    with clock.frozen(date(2027, 1, 10)):
        service = services.order_service(
            customer=eleni, product=hosting, cycle="annual", label="eleni.gr"
        )
    assert service.state == State.PENDING
    order = Invoice.objects.get(renewals__service=service)
    # 120.00 + 24 % Greek VAT
    assert (order.kind, order.number, order.total) == (
        "proforma",
        "PRO-2027-000001",
        Decimal("148.80"),
    )

    pay(order, date(2027, 1, 12))
    service.refresh_from_db()
    assert (service.state, service.started_on, service.expires_on) == (
        State.ACTIVE,
        date(2027, 1, 10),
        date(2028, 1, 10),
    )
    receipt = Invoice.objects.get(related=order)
    assert (receipt.kind, receipt.number, receipt.status) == ("receipt", "RCP-2027-000001", "paid")

    run_range(date(2027, 12, 1), date(2028, 2, 15))

    service.refresh_from_db()
    assert service.state == State.TERMINATED
    assert service.state_changed_on == date(2028, 2, 9)  # 30 days after expiry (R3.5)
    renewal = Renewal.objects.get(service=service, kind=Renewal.Kind.RENEWAL)
    assert (renewal.period_start, renewal.period_end, renewal.status) == (
        date(2028, 1, 10),
        date(2029, 1, 10),
        Renewal.Status.VOID,
    )
    assert (renewal.invoice.number, renewal.invoice.issued_on, renewal.invoice.status) == (
        "PRO-2027-000002",
        date(2027, 12, 11),
        Invoice.Status.CANCELLED,
    )
    assert notices(service) == [
        ("invoice_issued", "2027-01-10", 0, "queued"),
        ("renewal_invoice", "2027-12-11", 0, "queued"),  # 30 days ahead (R3.2)
        # R3.3/R3.4: the proforma and its reminders stand in for an auto-renewing
        # service's "expires soon" warnings (recorded, never sent)
        ("expiry_warning", "2027-12-11", 30, "skipped"),
        ("payment_reminder", "2028-01-03", 7, "queued"),
        ("expiry_warning", "2028-01-03", 7, "skipped"),
        ("payment_reminder", "2028-01-09", 1, "queued"),
        ("payment_reminder", "2028-01-10", 0, "queued"),
        ("service_suspended", "2028-01-10", 0, "queued"),
        ("service_terminated", "2028-02-09", 0, "queued"),
    ]
    actions = list(
        AuditEvent.objects.filter(object_type="lifecycle.service", object_id=str(service.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "service.ordered",
        "service.active",
        "service.suspended",
        "service.terminated",
    ]


def test_monthly_service_gets_its_proforma_five_days_ahead(eleni, hosting):
    service = factories.active_service(
        eleni, hosting, cycle="monthly", started_on=date(2027, 2, 15), expires_on=date(2027, 3, 15)
    )
    run_range(date(2027, 3, 8), date(2027, 4, 20))

    renewal = Renewal.objects.get(service=service)
    assert (renewal.invoice.issued_on, renewal.period_start, renewal.period_end) == (
        date(2027, 3, 10),
        date(2027, 3, 15),
        date(2027, 4, 15),
    )
    assert renewal.invoice.total == Decimal("14.88")  # 12.00 + 24 %
    assert notices(service) == [
        ("expiry_warning", "2027-03-08", 30, "skipped"),  # its moment passed on 03-08
        ("expiry_warning", "2027-03-08", 7, "skipped"),  # before the proforma (R3.4)
        ("renewal_invoice", "2027-03-10", 0, "queued"),
        ("payment_reminder", "2027-03-10", 7, "skipped"),  # not with its proforma (R3.4)
        ("payment_reminder", "2027-03-14", 1, "queued"),
        ("payment_reminder", "2027-03-15", 0, "queued"),
        ("service_suspended", "2027-03-15", 0, "queued"),
        ("service_terminated", "2027-04-14", 0, "queued"),
    ]


def test_payment_before_expiry_renews_from_the_previous_expiry(eleni, hosting):
    service = factories.active_service(
        eleni, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10)
    )
    run_range(date(2027, 12, 11), date(2027, 12, 11))
    proforma = Renewal.objects.get(service=service).invoice

    pay(proforma, date(2027, 12, 20))

    service.refresh_from_db()
    assert service.expires_on == date(2029, 1, 10)  # not 2028-12-20
    assert service.state == State.ACTIVE
    receipt = Invoice.objects.get(related=proforma)
    assert (receipt.kind, receipt.issued_on, receipt.total) == (
        "receipt",
        date(2027, 12, 20),
        Decimal("148.80"),
    )
    run_range(date(2027, 12, 21), date(2028, 1, 20))
    service.refresh_from_db()
    assert service.state == State.ACTIVE
    assert notices(service) == [
        ("renewal_invoice", "2027-12-11", 0, "queued"),
        ("expiry_warning", "2027-12-11", 30, "skipped"),
        # renewed while running: the receipt says so, no "renewed" e-mail (R3.4)
    ]


def test_payment_after_suspension_reactivates(eleni, hosting):
    service = factories.active_service(
        eleni, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10)
    )
    run_range(date(2027, 12, 11), date(2028, 1, 12))
    service.refresh_from_db()
    assert service.state == State.SUSPENDED

    pay(Renewal.objects.get(service=service).invoice, date(2028, 1, 20))

    service.refresh_from_db()
    assert (service.state, service.expires_on) == (State.ACTIVE, date(2029, 1, 10))
    assert notices(service)[-1] == ("service_reactivated", "2028-01-20", 0, "queued")
    run_range(date(2028, 1, 21), date(2028, 3, 1))
    service.refresh_from_db()
    assert service.state == State.ACTIVE  # never terminated


def test_running_a_day_twice_does_nothing_the_second_time(eleni, hosting, run_day):
    factories.active_service(eleni, hosting, expires_on=date(2028, 1, 10))
    first = run_day(date(2027, 12, 11))
    before = (Outbox.objects.count(), Invoice.objects.count(), AuditEvent.objects.count())

    again = run_day(date(2027, 12, 11))

    assert first.actions == {"expiry_warning_skipped": 1, "renewal_invoice": 1}
    assert again.actions == {} and again.previous_run_at is not None
    assert (Outbox.objects.count(), Invoice.objects.count(), AuditEvent.objects.count()) == before


def test_a_run_after_missed_days_catches_up_and_skips_stale_notices(eleni, hosting, run_day):
    service = factories.active_service(eleni, hosting, expires_on=date(2028, 1, 10))

    result = run_day(date(2028, 1, 5))  # nothing ran since December

    assert Renewal.objects.get(service=service).invoice.issued_on == date(2028, 1, 5)
    assert notices(service) == [
        ("renewal_invoice", "2028-01-05", 0, "queued"),
        ("payment_reminder", "2028-01-05", 7, "skipped"),  # never with its proforma
        ("expiry_warning", "2028-01-05", 30, "skipped"),
        ("expiry_warning", "2028-01-05", 7, "skipped"),
    ]
    assert result.actions == {
        "renewal_invoice": 1,
        "payment_reminder_skipped": 1,
        "expiry_warning_skipped": 2,
    }


def test_a_run_long_after_expiry_terminates_without_stale_mail(eleni, hosting, run_day):
    service = factories.active_service(eleni, hosting, expires_on=date(2027, 6, 1))

    run_day(date(2027, 8, 1))

    service.refresh_from_db()
    assert service.state == State.TERMINATED
    assert not Renewal.objects.filter(service=service).exists()  # past its grace: no proforma
    assert notices(service) == [
        ("expiry_warning", "2027-08-01", 30, "skipped"),
        ("expiry_warning", "2027-08-01", 7, "skipped"),
        ("service_suspended", "2027-08-01", 0, "skipped"),
        ("service_terminated", "2027-08-01", 0, "queued"),
    ]
