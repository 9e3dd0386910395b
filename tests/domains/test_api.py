"""/api/v1/domains: availability with prices, ordering, a domain's facts, name servers,
lock, transfer away, jobs; refusals are one-line errors and write nothing."""

import json

import pytest
from django.contrib.auth.models import User

from kyklos.accounts import roles
from kyklos.api import services as api_services
from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import Domain
from tests.domains.conftest import DAY, proforma_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, registrar):
    user = User.objects.create_user("nikos", is_staff=True)
    roles.assign(user, roles.ADMIN)
    token = api_services.create_token(user, name="tests")[1]

    class Api:
        def get(self, path, **params):
            return client.get(f"/api/v1/{path}", params, HTTP_AUTHORIZATION=f"Bearer {token}")

        def send(self, method, path, body=None):
            return getattr(client, method)(
                f"/api/v1/{path}",
                json.dumps(body or {}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

    return Api()


def test_availability_with_prices(api, peer):
    peer.registry.take("taken.com")
    with clock.frozen(DAY):
        response = api.get("domains/availability", names="free.com,taken.com")
    assert response.status_code == 200
    free, taken = response.json()
    assert free["available"] is True and free["prices"] == {"1": "14.00", "2": "27.00"}
    assert taken["available"] is False and taken["reason"] == "Already registered."


def test_order_then_read(api, customer):
    with clock.frozen(DAY):
        made = api.send("post", "domains", {"customer": customer.pk, "name": "api.gr", "years": 2})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == "pending" and body["years"] == 2
    got = api.get(f"domains/{body['id']}")
    assert got.json()["name"] == "api.gr"
    assert api.get("domains", customer=customer.pk).json()["items"][0]["id"] == body["id"]


def test_refused_order_is_a_one_line_error(api, customer):
    with clock.frozen(DAY):
        refused = api.send(
            "post", "domains", {"customer": customer.pk, "name": "api.gr", "years": 1}
        )
    assert refused.status_code == 422 and refused.json()["field"] == "years"
    assert "2 years only" in refused.json()["message"]
    assert not Domain.objects.exists()


def test_name_servers_lock_and_jobs(api, customer, pay, peer, django_capture_on_commit_callbacks):
    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name="api-ns.com", years=1)
    pay(proforma_of(domain), DAY)
    with django_capture_on_commit_callbacks(execute=True):
        changed = api.send(
            "put",
            f"domains/{domain.pk}/nameservers",
            {"nameservers": ["ns1.a.example", "ns2.a.example"]},
        )
    assert changed.status_code == 200
    assert peer.registry.domains["api-ns.com"].nameservers == ["ns1.a.example", "ns2.a.example"]
    jobs = api.get(f"domains/{domain.pk}/jobs").json()
    assert {j["operation"] for j in jobs} >= {"register", "lock", "nameservers"}
    assert api.get("domains/999999").status_code == 404


def test_transfer_in_through_the_api(api, customer, peer, pay):
    peer.registry.held_elsewhere("api-move.com", auth_code="Their-7!x", renewed_days_ago=10)
    with clock.frozen(DAY):
        quote = api.get("domains/transfer-quote", name="api-move.com")
        refused = api.send(
            "post",
            "domains/transfers",
            {"customer": customer.pk, "name": "api-move.com", "auth_code": "abc12345"},
        )
        made = api.send(
            "post",
            "domains/transfers",
            {"customer": customer.pk, "name": "api-move.com", "auth_code": "Wrong-7!x"},
        )
    assert quote.status_code == 200 and quote.json()["adds_year"] is False
    assert quote.json()["price"] == "14.00" and quote.json()["years"] == 1
    assert refused.status_code == 422 and refused.json()["field"] == "auth_code"
    assert "non-alphanumeric" in refused.json()["message"]
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["origin"]) == ("pending", "transfer")
    domain = Domain.objects.get(pk=body["id"])
    pay(proforma_of(domain), DAY)
    assert api.get(f"domains/{domain.pk}").json()["state"] == "refused"
    peer.registry.auto_approve = True
    with clock.frozen(DAY):
        again = api.send("post", f"domains/{domain.pk}/transfer-in", {"auth_code": "Their-7!x"})
    assert again.status_code == 200 and again.json()["state"] == "transferring"


def test_refund_and_owner_change_through_the_api(api, customer, peer, pay):
    with clock.frozen(DAY):
        wanted = services.order_domain(customer=customer, name="api-wanted.gr", years=2)
        owned = services.order_domain(customer=customer, name="api-owned.gr", years=2)
    peer.registry.take("api-wanted.gr")
    pay(proforma_of(wanted), DAY)
    pay(proforma_of(owned), DAY)
    with clock.frozen(DAY):
        refund = api.send("post", f"domains/{wanted.pk}/refund", {"to_credit": False})
        bad = api.send(
            "post",
            f"domains/{owned.pk}/owner-change",
            {"name": "Eleni", "street": "x", "city": "y", "country": "G1", "email": "e@x.gr"},
        )
        change = api.send(
            "post",
            f"domains/{owned.pk}/owner-change",
            {
                "name": "Eleni",
                "street": "Tsimiski 1",
                "city": "Thessaloniki",
                "country": "GR",
                "email": "eleni@example.gr",
            },
        )
    assert refund.status_code == 200 and refund.json()["status"] == "payout_pending"
    assert change.status_code == 201 and change.json()["status"] == "awaiting_payment"
    assert change.json()["fee"] == "10.00" and change.json()["invoice"]
    assert bad.status_code == 422 and bad.json()["field"] == "country"
