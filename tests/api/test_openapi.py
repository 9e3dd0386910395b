"""The published OpenAPI document describes what the endpoints really answer."""

import jsonschema_rs
import pytest
from django.core.exceptions import ImproperlyConfigured
from ninja import Schema

from kyklos.api.v1 import UniqueComponents, api
from kyklos.lifecycle import services
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def assert_valid(document: dict, path: str, method: str, response) -> None:
    """``response`` is one of those ``document`` declares for the operation, and its JSON
    body validates against the declared schema (references resolved in the document)."""
    operation = document["paths"][f"/api/v1/{path}"][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, (path, method, response.status_code, response.content[:200])
    schema = declared["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})
    errors = [str(e) for e in validator.iter_errors(response.json())]
    assert errors == [], (path, method, errors[:3])


def test_every_enum_has_its_own_component(document):
    schemas = document["components"]["schemas"]
    assert schemas["CustomerKind"]["enum"] == ["person", "company"]
    assert "active" in schemas["CustomerStatus"]["enum"]
    assert "paid" in schemas["InvoiceStatus"]["enum"]
    assert "sent" in schemas["NotificationStatus"]["enum"]
    assert "waiting_customer" in schemas["Status"]["enum"]  # the tickets' own
    refs = {
        name: schemas[name]["properties"]["status"]["$ref"].rsplit("/", 1)[-1]
        for name in ("CustomerOut", "InvoiceOut", "NotificationOut", "TicketOut")
    }
    assert refs == {
        "CustomerOut": "CustomerStatus",
        "InvoiceOut": "InvoiceStatus",
        "NotificationOut": "NotificationStatus",
        "TicketOut": "Status",
    }


def test_two_schemas_under_one_name_are_refused():
    class First(Schema):
        status: int

    class Second(Schema):
        status: str

    document = UniqueComponents.__new__(UniqueComponents)
    document.schemas = {}
    document.add_schema_definitions({"Status": First.model_json_schema()})
    document.add_schema_definitions({"Status": First.model_json_schema()})  # the same: fine
    with pytest.raises(ImproperlyConfigured, match="'Status'"):
        document.add_schema_definitions({"Status": Second.model_json_schema()})


def test_the_document_is_built_with_the_check(rf):
    assert isinstance(api.get_openapi_schema(path_prefix=""), UniqueComponents)


def test_real_responses_validate_against_the_published_document(api, document):
    customer = factories.customer()
    product = factories.product(code="web-basic", prices={"annual": "120.00"})
    service = services.order_service(customer=customer, product=product, cycle="annual")
    proforma = service.renewals.get().invoice
    record_payment(proforma, amount="148.80", method="card")
    services.order_service(customer=customer, product=product, cycle="annual")

    calls = [
        ("customers", "get", api.get("customers")),
        ("customers/{customer_id}", "get", api.get(f"customers/{customer.pk}")),
        ("customers/{customer_id}", "get", api.get("customers/999999")),
        ("products", "get", api.get("products")),
        ("services/{service_id}", "get", api.get(f"services/{service.pk}")),
        ("invoices", "get", api.get("invoices")),
        ("notifications", "get", api.get("notifications")),
        ("tickets", "get", api.get("tickets")),
        ("customers", "post", api.post("customers", {"kind": "person"})),
        (
            "services",
            "post",
            api.post(
                "services", {"customer": customer.pk, "product": "web-basic", "cycle": "annual"}
            ),
        ),
    ]
    for path, method, response in calls:
        assert_valid(document, path, method, response)
    statuses = {r.json()["items"][0]["status"] for p, m, r in calls if p == "invoices"}
    assert statuses == {"paid"}  # the value a single "Status" component used to refuse
