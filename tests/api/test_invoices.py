"""/api/v1/invoices and their payments (R6.1, R6.4, R3.6)."""

from datetime import date

import pytest

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Service, State
from kyklos.payments.models import Payment
from kyklos.payments.services import record_payment
from tests import factories
from tests.api.conftest import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def hosting():
    return factories.product(code="web-basic", name="Web Basic", prices={"annual": "120.00"})


def ordered(customer, product) -> Service:
    return services.order_service(customer=customer, product=product, cycle="annual")


@pytest.fixture
def service(hosting):
    return ordered(factories.customer(), hosting)


@pytest.fixture
def proforma(service) -> Invoice:
    return service.renewals.get().invoice


def invoice_json(invoice: Invoice, **values) -> dict:
    return {
        "id": invoice.pk,
        "customer": invoice.customer_id,
        "currency": "EUR",
        "issued_on": "2027-03-01",
        "due_on": "2027-03-01",
        "related": None,
        **values,
    }


def test_list_a_customers_invoices_with_their_services(api, hosting, service, proforma):
    record_payment(proforma, amount="148.80", method="card")
    receipt = Invoice.objects.get(kind="receipt")
    second = ordered(service.customer, hosting)
    ordered(factories.customer(), hosting)  # someone else's

    response = api.get("invoices", customer=service.customer_id)

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            invoice_json(
                proforma,
                kind="proforma",
                number="PRO-2027-000001",
                paid_on="2027-03-01",
                total="148.80",
                status="paid",
                service_ids=[service.pk],
            ),
            invoice_json(
                receipt,
                kind="receipt",
                number="RCP-2027-000001",
                paid_on="2027-03-01",
                total="148.80",
                status="paid",
                related=proforma.pk,
                service_ids=[service.pk],
            ),
            invoice_json(
                second.renewals.get().invoice,
                kind="proforma",
                number="PRO-2027-000002",
                paid_on=None,
                total="148.80",
                status="open",
                service_ids=[second.pk],
            ),
        ],
        "count": 3,
    }
    assert api.get("invoices").json()["count"] == 4


@pytest.mark.parametrize("size", [1, 5])
def test_listing_invoices_takes_the_same_queries_at_any_size(
    api, hosting, size, django_assert_max_num_queries
):
    for _ in range(size):
        proforma = ordered(factories.customer(), hosting).renewals.get().invoice
        record_payment(proforma, amount=proforma.total, method="card")

    # token + its last use, the page with its count, the services billed, the access event
    with django_assert_max_num_queries(5):
        response = api.get("invoices")

    assert [len(i["service_ids"]) for i in response.json()["items"]] == [1] * 2 * size


def test_paying_a_proforma_in_full_issues_the_receipt_and_starts_the_service(api, staff, hosting):
    with clock.frozen(date(2027, 2, 20)):  # paid a week later, recorded today
        service = ordered(factories.customer(), hosting)
    proforma = service.renewals.get().invoice
    response = api.post(
        f"invoices/{proforma.pk}/payments",
        {
            "amount": "148.80",
            "method": "bank_transfer",
            "paid_on": "2027-02-27",
            "reference": "NBG 0042",
        },
    )

    assert response.status_code == 201
    payment = Payment.objects.get()
    receipt = Invoice.objects.get(kind="receipt")
    assert response.json() == {
        "payment": {
            "id": payment.pk,
            "invoice": proforma.pk,
            "amount": "148.80",
            "currency": "EUR",
            "method": "bank_transfer",
            "paid_on": "2027-02-27",
            "reference": "NBG 0042",
        },
        "invoice": invoice_json(
            proforma,
            kind="proforma",
            number="PRO-2027-000001",
            issued_on="2027-02-20",
            due_on="2027-02-20",
            paid_on="2027-02-27",
            total="148.80",
            status="paid",
            service_ids=[service.pk],
        ),
        "tax_document": invoice_json(
            receipt,
            kind="receipt",
            number="RCP-2027-000001",
            issued_on="2027-02-27",
            due_on="2027-02-27",
            paid_on="2027-02-27",
            total="148.80",
            status="paid",
            related=proforma.pk,
            service_ids=[service.pk],
        ),
    }
    service.refresh_from_db()
    assert (service.state, service.expires_on) == (State.ACTIVE, date(2028, 2, 20))
    assert AuditEvent.objects.get(action="payment.recorded").actor == staff


def test_a_part_payment_leaves_the_proforma_open_without_a_tax_document(api, proforma):
    response = api.post(
        f"invoices/{proforma.pk}/payments", {"amount": "48.80", "method": "card", "currency": "eur"}
    )

    assert response.status_code == 201
    assert response.json()["payment"]["amount"] == "48.80"
    assert (response.json()["invoice"]["status"], response.json()["tax_document"]) == ("open", None)


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"amount": "0"}, "The amount must be greater than zero.", "amount"),
        ({"amount": "-10.00"}, "The amount must be greater than zero.", "amount"),
        (
            {"amount": "ten"},
            "“ten” is not an amount; write it as text with at most two decimals, e.g. “120.00”.",
            "amount",
        ),
        ({"amount": 148.8}, "Input should be a valid string", "amount"),
        (
            {"amount": "148.81"},
            "148.81 is more than the 148.80 still owed on PRO-2027-000001.",
            "amount",
        ),
        ({"currency": "USD"}, "This document is in EUR; record the payment in EUR.", "currency"),
        (
            {"method": "cash"},
            "Input should be 'bank_transfer', 'card', 'paypal' or 'manual'",
            "method",
        ),
        ({"paid_on": "2027-03-02"}, "A payment cannot be dated in the future.", "paid_on"),
    ],
)
def test_a_bad_payment_is_a_422_and_writes_nothing(api, proforma, change, message, field):
    before = row_counts()

    response = api.post(
        f"invoices/{proforma.pk}/payments", {"amount": "148.80", "method": "card", **change}
    )

    assert response.status_code == 422
    assert response.json() == {"message": message, "field": field}
    assert row_counts() == before


def test_a_paid_invoice_cannot_be_paid_again(api, proforma):
    api.post(f"invoices/{proforma.pk}/payments", {"amount": "148.80", "method": "card"})
    before = row_counts()

    response = api.post(f"invoices/{proforma.pk}/payments", {"amount": "1.00", "method": "card"})

    assert response.status_code == 422
    assert response.json() == {"message": "PRO-2027-000001 is already paid.", "field": "invoice"}
    assert row_counts() == before


def test_a_cancelled_proforma_cannot_be_paid(api, service, proforma):
    services.request_cancellation(service, when="immediate")
    before = row_counts()

    response = api.post(f"invoices/{proforma.pk}/payments", {"amount": "148.80", "method": "card"})

    assert response.status_code == 422
    assert response.json() == {"message": "PRO-2027-000001 is cancelled.", "field": "invoice"}
    assert row_counts() == before


def test_paying_an_unknown_invoice_is_a_404(api):
    response = api.post("invoices/4040/payments", {"amount": "1.00", "method": "card"})

    assert response.status_code == 404
    assert response.json() == {"message": "There is no invoice 4040.", "field": None}


def _schema_json(invoice: Invoice) -> dict:
    """What ``InvoiceOut`` makes of the model instance (the schema the list answers by)."""
    from kyklos.api import selectors
    from kyklos.api.schemas import InvoiceOut

    return InvoiceOut.model_validate(selectors.invoices().get(pk=invoice.pk)).model_dump(
        mode="json"
    )


def test_every_page_of_the_list_is_the_schemas_json_with_the_right_count(api, hosting):
    maria, other = factories.customer(), factories.customer()
    for _ in range(3):  # 3 proformas, 2 paid: 2 receipts
        ordered(maria, hosting)
    ordered(other, hosting)
    for proforma in Invoice.objects.filter(customer=maria).order_by("id")[:2]:
        record_payment(proforma, amount=proforma.total, method="card")
    mine = list(Invoice.objects.filter(customer=maria).order_by("id"))
    everyone = list(Invoice.objects.order_by("id"))
    assert len(mine) == 5 and len(everyone) == 6

    for customer, rows in ((maria.pk, mine), (None, everyone)):
        asked = {"customer": customer} if customer else {}
        for limit, offset in ((2, 0), (2, 2), (2, 4), (5, 0), (50, 0), (2, 9)):
            page = api.get("invoices", limit=limit, offset=offset, **asked).json()
            assert page == {
                "items": [_schema_json(i) for i in rows[offset : offset + limit]],
                "count": len(rows),
            }, (customer, limit, offset)
    receipt = Invoice.objects.filter(customer=maria, kind="receipt").first()
    listed = api.get("invoices", customer=maria.pk).json()["items"]
    assert next(i for i in listed if i["id"] == receipt.pk)["service_ids"] == [
        receipt.related.renewals.get().service_id
    ]


def test_a_list_beyond_the_last_page_is_empty_and_still_counts(api, service):
    page = api.get("invoices", customer=service.customer_id, offset=3)
    assert page.status_code == 200 and page.json() == {"items": [], "count": 1}
    assert api.get("invoices", customer=service.customer_id + 1000).json() == {
        "items": [],
        "count": 0,
    }
