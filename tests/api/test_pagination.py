"""A page of customers' rows writes one access event, which each customer still finds."""

import pytest
from django.contrib.auth import get_user_model

from kyklos.core import audit
from kyklos.core.models import AuditEvent
from kyklos.core.personal_data import Subject, personal_data
from kyklos.customers.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db


def accesses():
    return AuditEvent.objects.filter(action=audit.ACCESSED)


def test_a_500_item_page_writes_one_event_that_every_customer_on_it_finds(api, staff):
    for _ in range(501):
        factories.customer()
    ids = list(Customer.objects.order_by("id").values_list("pk", flat=True))

    response = api.client.get(
        "/api/v1/customers?limit=500",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        HTTP_X_KYKLOS_PURPOSE="yearly check",
    )

    assert response.status_code == 200 and len(response.json()["items"]) == 500
    event = accesses().get()
    assert (event.actor, event.object_type, event.object_id, event.customer_id) == (
        staff,
        "customers.customer",
        "list",
        None,
    )
    assert event.data["what"] == "customers (list)"
    assert event.data["why"] == "yearly check"
    assert event.data["shown"] == {str(pk): [pk] for pk in ids[:500]}
    for shown in (ids[0], ids[250], ids[499]):
        seen = list(audit.staff_accesses(shown))
        assert [row["data"]["what"] for row in seen] == ["customers (list)"]
        exported = personal_data.export(Subject(customer_id=shown))["core.AuditEvent"]
        assert [(r["who"], r["what"], r["why"], r["object"]) for r in exported] == [
            ("nikos", "customers (list)", "yearly check", f"customers.customer#{shown}")
        ]
    assert list(audit.staff_accesses(ids[500])) == []  # on the next page


def test_a_page_of_one_customers_rows_carries_their_id(api):
    maria, other = factories.customer(), factories.customer()
    product = factories.product(prices={"annual": "10.00"})
    from kyklos.lifecycle import services

    for who in (maria, maria, other):
        services.order_service(customer=who, product=product, cycle="annual")

    api.get("invoices", customer=maria.pk)
    api.get("invoices")

    mine, everyone = accesses().order_by("id")
    assert mine.customer_id == maria.pk and everyone.customer_id is None
    invoices = list(maria.invoices.order_by("id").values_list("pk", flat=True))
    assert mine.data["shown"] == {str(maria.pk): invoices}
    assert set(everyone.data["shown"]) == {str(maria.pk), str(other.pk)}
    exported = personal_data.export(Subject(customer_id=maria.pk))["core.AuditEvent"]
    objects = [r["object"] for r in exported]
    assert objects == [f"billing.invoice#{','.join(map(str, invoices))}"] * 2  # only hers


def test_a_list_read_by_a_customer_or_the_system_is_not_logged():
    customer = factories.customer()
    user = get_user_model().objects.create_user("maria")
    assert audit.log_list_access(user, Customer, [(customer.pk, customer.pk)], what="x") == 0
    assert audit.log_list_access(None, Customer, [(customer.pk, customer.pk)], what="x") == 0
    assert not accesses().exists()
