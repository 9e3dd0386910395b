"""/api/v1/notifications: the outbox of notices (R3.9, R12.1)."""

import pytest

from kyklos.lifecycle import services
from kyklos.notifications.models import Outbox
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hosting():
    return factories.product(code="web-basic", name="Web Basic", prices={"annual": "120.00"})


def test_list_a_customers_notices(api, hosting):
    eleni = factories.customer(language="el")
    service = services.order_service(customer=eleni, product=hosting, cycle="annual")
    services.request_cancellation(service, when="immediate", reason="test order")
    services.order_service(customer=factories.customer(), product=hosting, cycle="annual")
    issued, cancelled = Outbox.objects.filter(customer=eleni).order_by("id")
    Outbox.objects.filter(pk=issued.pk).update(status=Outbox.Status.SENT, sent_at=issued.created_at)

    response = api.get("notifications", customer=eleni.pk)

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": issued.pk,
                "event": "invoice_issued",
                "customer": eleni.pk,
                "service": service.pk,
                "invoice": service.renewals.get().invoice_id,
                "for_date": "2027-03-01",
                "language": "el",
                "status": "sent",
                "sent_at": "2027-03-01T07:00:00Z",
            },
            {
                "id": cancelled.pk,
                "event": "service_cancelled",
                "customer": eleni.pk,
                "service": service.pk,
                "invoice": None,
                "for_date": "2027-03-01",
                "language": "el",
                "status": "queued",
                "sent_at": None,
            },
        ],
        "count": 2,
    }
    assert api.get("notifications").json()["count"] == 3


@pytest.mark.parametrize("size", [1, 6])
def test_listing_notices_takes_the_same_queries_at_any_size(
    api, hosting, size, django_assert_max_num_queries
):
    for _ in range(size):
        services.order_service(customer=factories.customer(), product=hosting, cycle="annual")

    # token + its last use, count, page
    with django_assert_max_num_queries(5):  # + the access log
        response = api.get("notifications", limit=3)

    assert response.json()["count"] == size
    assert len(response.json()["items"]) == min(size, 3)
