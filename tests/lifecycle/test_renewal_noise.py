"""Renewal timing and noise (R3.3, R3.4), through the real daily run."""

from collections import Counter
from datetime import date, timedelta

import pytest

from kyklos.billing.models import Invoice
from kyklos.catalog.models import LifecyclePolicy
from kyklos.core import clock
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def monthly(db):
    customer = factories.customer(name="Nikos Georgiou", email="nikos@example.gr")
    product = factories.product("shared_hosting")
    with clock.frozen(date(2027, 1, 10)):
        service = services.order_service(
            customer=customer, product=product, cycle="monthly", label="nikos.gr"
        )
        order = Invoice.objects.get(renewals__service=service)
        record_payment(order, amount=order.total, method="bank_transfer", reference="order")
    return service


def pay_open_proformas(day):
    with clock.frozen(day):
        for proforma in Invoice.objects.filter(kind="proforma", status="open"):
            record_payment(proforma, amount=proforma.total, method="bank_transfer", reference="r")


def mail_between(start, end):
    """The e-mails that will really go out (queued), by event, for days in [start, end)."""
    rows = Outbox.objects.filter(for_date__gte=start, for_date__lt=end, status=Outbox.Status.QUEUED)
    return Counter(rows.values_list("event", flat=True))


def test_a_paid_monthly_service_gets_two_emails_a_month(monthly, run_day):
    """R3.4: the proforma and the receipt — no "expires in 30 days" the day after it was
    renewed, no reminder with its proforma, no separate "payment received" or "renewed"."""
    day = date(2027, 1, 11)
    while day < date(2027, 4, 11):
        run_day(day)
        pay_open_proformas(day)  # the customer pays on the day the proforma comes
        day += timedelta(days=1)

    for start in (date(2027, 1, 11), date(2027, 2, 11), date(2027, 3, 11)):
        month = mail_between(start, start.replace(month=start.month + 1))
        assert month == {"renewal_invoice": 1, "receipt_issued": 1}, start
    # The notices that would have been noise are recorded as skipped, never sent.
    skipped = Counter(
        Outbox.objects.filter(status=Outbox.Status.SKIPPED).values_list("event", flat=True)
    )
    assert skipped["expiry_warning"] >= 3 and skipped["payment_reminder"] >= 3


def test_a_renewal_proforma_falls_due_five_days_before_expiry(monthly, run_day):
    run_day(date(2027, 2, 5))
    renewal = Renewal.objects.get(service=monthly, kind=Renewal.Kind.RENEWAL)
    assert (renewal.invoice.issued_on, renewal.invoice.due_on, renewal.period_start) == (
        date(2027, 2, 5),
        date(2027, 2, 5),  # 5 days before the 2027-02-10 expiry (R3.4)
        date(2027, 2, 10),
    )


def test_the_due_days_are_policy_data(monthly, run_day):
    policy = LifecyclePolicy.objects.get(pk=monthly.product.policy_id)
    policy.lead_days_monthly = 10
    policy.payment_due_days = 3
    policy.save()
    run_day(date(2027, 1, 31))
    invoice = Renewal.objects.get(service=monthly, kind=Renewal.Kind.RENEWAL).invoice
    assert (invoice.issued_on, invoice.due_on) == (date(2027, 1, 31), date(2027, 2, 7))


def test_a_queued_reminder_is_withdrawn_when_the_document_is_paid_before_it_is_sent(
    monthly, run_day
):
    run_day(date(2027, 2, 5))  # the proforma
    run_day(date(2027, 2, 9))  # the 1-day reminder, queued, not yet sent
    reminder = Outbox.objects.get(event="payment_reminder", status=Outbox.Status.QUEUED)
    assert reminder.offset_days == 1

    pay_open_proformas(date(2027, 2, 9))

    reminder.refresh_from_db()
    assert reminder.status == Outbox.Status.SKIPPED
    assert "paid" in reminder.last_error
    run_day(date(2027, 2, 10))  # no on-the-day reminder for a paid document
    assert not Outbox.objects.filter(event="payment_reminder", status=Outbox.Status.QUEUED)


def test_a_service_that_does_not_renew_by_itself_still_hears_it_expires(monthly, run_day):
    type(monthly).objects.filter(pk=monthly.pk).update(auto_renew=False)
    run_day(date(2027, 1, 11))
    run_day(date(2027, 2, 3))
    warnings = Outbox.objects.filter(event="expiry_warning", status=Outbox.Status.QUEUED)
    assert sorted(warnings.values_list("offset_days", flat=True)) == [7, 30]
