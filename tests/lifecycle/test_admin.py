"""Staff work services, invoices and payments in the admin, through the services."""

from datetime import date

import pytest
from django.urls import reverse

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.lifecycle.models import Service, State
from kyklos.lifecycle.services import order_service
from kyklos.payments.models import Payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client):
    return admin_client


@pytest.fixture
def customer():
    return factories.customer()


def test_staff_order_a_service_which_issues_its_proforma(staff, customer):
    product = factories.product("shared_hosting", prices={"annual": "120.00"})
    with clock.frozen(date(2027, 2, 1)):
        response = staff.post(
            reverse("admin:lifecycle_service_add"),
            {
                "customer": customer.pk,
                "product": product.pk,
                "cycle": "annual",
                "label": "shop.gr",
                "start_date": "2027-02-01",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get()
    assert (service.state, service.label) == (State.PENDING, "shop.gr")
    assert service.renewals.get().invoice.total.to_eng_string() == "148.80"


def test_an_order_without_a_price_for_the_cycle_shows_the_error_and_writes_nothing(staff, customer):
    product = factories.product("shared_hosting", prices={"annual": "120.00"})
    with clock.frozen(date(2027, 2, 1)):
        response = staff.post(
            reverse("admin:lifecycle_service_add"),
            {
                "customer": customer.pk,
                "product": product.pk,
                "cycle": "monthly",
            },
        )
    assert response.status_code == 200
    assert "no Monthly price" in response.content.decode()
    assert not Service.objects.exists() and not Invoice.objects.exists()


def test_cancel_action_goes_through_the_lifecycle(staff, customer):
    service = factories.active_service(customer, factories.product(), expires_on=date(2028, 1, 10))
    with clock.frozen(date(2027, 6, 1)):
        staff.post(
            reverse("admin:lifecycle_service_changelist"),
            {"action": "cancel_immediately", "_selected_action": [service.pk]},
        )
    service.refresh_from_db()
    assert (service.state, service.state_changed_on) == (State.CANCELLED, date(2027, 6, 1))


def test_staff_record_a_payment_and_an_overpayment_is_refused(staff, customer):
    with clock.frozen(date(2027, 2, 1)):
        service = order_service(customer=customer, product=factories.product(), cycle="annual")
        invoice = service.renewals.get().invoice
        url = reverse("admin:payments_payment_add")
        too_much = staff.post(
            url,
            {
                "invoice": invoice.pk,
                "amount": "500.00",
                "method": "bank_transfer",
                "paid_on": "2027-02-01",
            },
        )
        assert too_much.status_code == 200
        assert "more than the 148.80 still owed" in too_much.content.decode()
        assert not Payment.objects.exists()

        ok = staff.post(
            url,
            {
                "invoice": invoice.pk,
                "amount": "148.80",
                "method": "bank_transfer",
                "paid_on": "2027-02-01",
                "reference": "RF18 0001",
            },
        )
    assert ok.status_code == 302
    service.refresh_from_db()
    assert service.state == State.ACTIVE


def test_invoices_cannot_be_changed_or_deleted_in_the_admin(staff, customer):
    with clock.frozen(date(2027, 2, 1)):
        invoice = (
            order_service(customer=customer, product=factories.product(), cycle="annual")
            .renewals.get()
            .invoice
        )
    change = staff.post(
        reverse("admin:billing_invoice_change", args=[invoice.pk]), {"status": "cancelled"}
    )
    delete = staff.post(reverse("admin:billing_invoice_delete", args=[invoice.pk]), {"post": "yes"})
    assert change.status_code == 403 and delete.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
