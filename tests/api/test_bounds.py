"""Hostile and careless input: a clear 4xx in the documented JSON, nothing written, no 500."""

import json

import pytest
from django.test import Client, override_settings

from kyklos.lifecycle import services
from tests import factories
from tests.api.conftest import row_counts

pytestmark = pytest.mark.django_db

LISTS = ["customers", "products", "invoices", "notifications", "tickets"]
HUGE = 2**63


@pytest.fixture
def hosting():
    return factories.product(code="web-basic", name="Web Basic", prices={"annual": "120.00"})


@pytest.fixture
def customer():
    return factories.customer()


@pytest.fixture
def proforma(customer, hosting):
    service = services.order_service(customer=customer, product=hosting, cycle="annual")
    return service.renewals.get().invoice


def order(customer, **fields) -> dict:
    return {"customer": customer.pk, "product": "web-basic", "cycle": "annual", **fields}


def assert_refused(response, status: int, field=None, message=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "field"} and body["message"]
    assert body["field"] == field
    if message is not None:
        assert message in body["message"]


# --- pagination and ids -------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("param", ["offset", "limit"])
@pytest.mark.parametrize("value", [HUGE, 10**30, -1])
def test_an_absurd_offset_or_limit_is_a_422_on_every_list(api, path, param, value):
    assert_refused(api.get(path, **{param: value}), 422, param)


@pytest.mark.parametrize("path", ["invoices", "notifications"])
def test_a_customer_filter_beyond_64_bits_is_a_422(api, path):
    assert_refused(api.get(path, customer=HUGE), 422, "customer")


def test_an_id_beyond_64_bits_in_a_body_is_a_422(api, hosting):
    before = row_counts()
    response = api.post("services", {"customer": HUGE, "product": "web-basic", "cycle": "annual"})
    assert_refused(response, 422, "customer")
    assert row_counts() == before


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["web\x00.gr", "\ud800", "a\udfffb"])
def test_nul_or_a_lone_surrogate_in_a_body_is_a_422_naming_the_field(api, customer, hosting, bad):
    before = row_counts()
    # json.dumps writes a lone surrogate as the escape "\ud800": valid JSON.
    response = api.post("services", json.dumps(order(customer, label=bad)))
    assert_refused(response, 422, "label", "NUL")
    assert row_counts() == before


def test_nul_in_a_nested_text_names_the_top_level_field(api):
    response = api.post(
        "products",
        {"code": "x", "type": "domain", "name": "X", "prices": {"annual\x00": "1.00"}},
    )
    assert_refused(response, 422, "prices")


def test_nul_in_a_query_is_a_422_naming_the_parameter(api):
    assert_refused(api.get("tickets", department="tech\x00"), 422, "department")


def test_a_purpose_with_nul_is_logged_without_it(api, customer):
    response = api.client.get(
        f"/api/v1/customers/{customer.pk}?purpose=a%00b",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert response.status_code == 200
    from kyklos.core.models import AuditEvent

    assert AuditEvent.objects.get(action="personal_data.accessed").data["why"] == "ab"


def test_an_over_long_label_is_a_422_not_cut(api, customer, hosting):
    before = row_counts()
    response = api.post("services", order(customer, label="x" * 100_000))
    assert_refused(response, 422, "label", "200")
    assert row_counts() == before


def test_the_order_service_refuses_an_over_long_label_too(customer, hosting):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at most 200"):
        services.order_service(customer=customer, product=hosting, cycle="annual", label="x" * 201)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("customers", "name"),
        ("customers", "email"),
        ("customers", "address"),
        ("products", "name"),
    ],
)
def test_every_text_longer_than_its_column_is_a_422(api, path, field):
    body = {
        "customers": {"kind": "person", "name": "A", "email": "a@example.gr", "country": "GR"},
        "products": {"code": "x", "type": "domain", "name": "X", "prices": {"annual": "1.00"}},
    }[path] | {"language": "el", field: "y" * 100_000}
    before = row_counts()
    assert_refused(api.post(path, body), 422, field)
    assert row_counts() == before


# --- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["1e400", "1e-400", "NaN", "Infinity", "-Infinity", "0.005", "0", "0.00", "-1.00"]
)
def test_a_payment_amount_that_is_not_a_plain_positive_amount_is_a_422(api, proforma, amount):
    before = row_counts()
    response = api.post(
        f"invoices/{proforma.pk}/payments", {"amount": amount, "method": "bank_transfer"}
    )
    assert_refused(response, 422, "amount")
    assert row_counts() == before


@pytest.mark.parametrize("amount", ["1e400", "1e-400", "NaN", "Infinity", "0.005", "-1"])
def test_a_price_that_is_not_a_plain_amount_is_a_422(api, amount):
    before = row_counts()
    response = api.post(
        "products", {"code": "x", "type": "domain", "name": "X", "prices": {"annual": amount}}
    )
    assert_refused(response, 422, "prices")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e-400", "at most 2 decimals"),
        ("0.005", "at most 2 decimals"),
        ("1e400", "must not be more than"),
        ("NaN", "greater than zero"),
        ("Infinity", "greater than zero"),
    ],
)
def test_the_payments_service_refuses_them_too(proforma, amount, message):
    from django.core.exceptions import ValidationError

    from kyklos.payments.services import record_payment

    with pytest.raises(ValidationError, match=message):
        record_payment(proforma, amount=amount, method="bank_transfer")


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2038-01-01", "2010-01-01"])
def test_a_start_date_outside_the_window_is_a_422(api, customer, hosting, day):
    before = row_counts()
    assert_refused(api.post("services", order(customer, start_date=day)), 422, "start_date")
    assert row_counts() == before


def test_the_window_is_configurable(api, customer, hosting):
    with override_settings(KYKLOS_API_DATE_WINDOW_YEARS=1):
        response = api.post("services", order(customer, start_date="2029-03-01"))
    assert_refused(response, 422, "start_date", "2028-03-01")


def test_a_payment_dated_before_its_document_is_a_422(api, proforma):
    before = row_counts()
    response = api.post(
        f"invoices/{proforma.pk}/payments",
        {"amount": "1.00", "method": "bank_transfer", "paid_on": "2027-02-28"},
    )
    assert_refused(response, 422, "paid_on", "before PRO-2027-000001 was issued")
    assert row_counts() == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_absurd_payment_and_price_dates_are_a_422(api, proforma, day):
    response = api.post(
        f"invoices/{proforma.pk}/payments",
        {"amount": "1.00", "method": "bank_transfer", "paid_on": day},
    )
    assert_refused(response, 422, "paid_on")
    response = api.post(
        "products",
        {"code": "x", "type": "domain", "name": "X", "prices": {}, "valid_from": day},
    )
    assert_refused(response, 422, "valid_from")


# --- content types and sizes --------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_sent_as_json_is_a_415(api, customer, hosting, content_type):
    before = row_counts()
    response = api.client.post(
        "/api/v1/services",
        json.dumps(order(customer)),
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert_refused(response, 415)
    assert row_counts() == before


def test_a_body_over_the_limit_is_a_413(api, customer, hosting):
    before = row_counts()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = api.post("services", order(customer, label="x" * 2000))
    assert_refused(response, 413)
    assert row_counts() == before


# --- every error is JSON ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/customers/1/nothing", "/api/x"])
def test_an_unknown_route_under_the_api_is_a_json_404(api, path):
    response = api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert_refused(response, 404)


def test_a_method_an_endpoint_does_not_take_is_a_json_405(api):
    response = api.client.delete("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert_refused(response, 405, message="DELETE")
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_an_unexpected_error_is_a_json_500_and_logged(api, monkeypatch, caplog):
    from kyklos.api import selectors

    def broken():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(selectors, "customers", broken)
    response = Client(raise_request_exception=False).get(
        "/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )
    assert_refused(response, 500)
    assert "the disk is on fire" not in response.content.decode()
    assert any("the disk is on fire" in (r.exc_text or "") for r in caplog.records)
