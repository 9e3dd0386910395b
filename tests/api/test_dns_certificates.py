"""/api/v1/dns/zones/{name}/records and /api/v1/certificates."""

import base64
import json

import pytest

from kyklos.accounts import roles
from kyklos.api import services as api_services
from kyklos.certificates.models import Certificate
from kyklos.dns import selectors, services
from tests import factories
from tests.accounts.conftest import make_user


@pytest.fixture(autouse=True)
def _vault_key(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()


@pytest.fixture
def zone(db):
    return services.ensure_zone("api-zone.gr", customer_id=factories.customer().pk)


def put(client, path, data, token):
    return client.put(
        f"/api/v1/{path}",
        json.dumps(data),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_read_and_replace_records(api, client, token, zone):
    answer = api.get("dns/zones/api-zone.gr/records")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["zone"] == "api-zone.gr" and body["publication"] == "pending"
    assert body["nameservers"] == ["ns1.kyklos.localhost.", "ns2.kyklos.localhost."]
    assert {"name": "api-zone.gr.", "type": "A", "ttl": 3600, "records": ["192.0.2.10"]} in body[
        "rrsets"
    ]
    replaced = put(
        client,
        "dns/zones/api-zone.gr/records",
        {"rrsets": [{"name": "@", "type": "A", "ttl": 300, "records": ["198.51.100.7"]}]},
        token,
    )
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["rrsets"] == [
        {"name": "api-zone.gr.", "type": "A", "ttl": 300, "records": ["198.51.100.7"]}
    ]


def test_refused_records_name_the_record_and_write_nothing(client, token, zone):
    before = [(s.name, s.type, s.records) for s in selectors.records(zone)]
    refused = put(
        client,
        "dns/zones/api-zone.gr/records",
        {
            "rrsets": [
                {"name": "@", "type": "A", "ttl": 300, "records": ["198.51.100.7"]},
                {"name": "www", "type": "MX", "ttl": 300, "records": ["nopriority."]},
            ]
        },
        token,
    )
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("Record 2: ")
    assert [(s.name, s.type, s.records) for s in selectors.records(zone)] == before
    too_short = put(
        client,
        "dns/zones/api-zone.gr/records",
        {"rrsets": [{"name": "@", "type": "A", "ttl": 1, "records": ["198.51.100.7"]}]},
        token,
    )
    assert too_short.status_code == 422


def test_unknown_zone_is_404(api, client, token, db):
    assert api.get("dns/zones/nowhere.gr/records").status_code == 404
    assert put(client, "dns/zones/nowhere.gr/records", {"rrsets": []}, token).status_code == 404


def test_support_reads_zones_but_may_not_change_them(client, zone):
    support = make_user("support-1", is_staff=True)
    roles.assign(support, roles.SUPPORT)
    token = api_services.create_token(support)[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/dns/zones/api-zone.gr/records", **headers).status_code == 200
    assert put(client, "dns/zones/api-zone.gr/records", {"rrsets": []}, token).status_code == 403


def test_order_list_and_read_certificates(api, db):
    customer = factories.customer()
    ordered = api.post(
        "certificates", {"customer": customer.pk, "names": ["shop.example.org"], "kind": "dv"}
    )
    assert ordered.status_code == 201, ordered.json()
    body = ordered.json()
    assert body["state"] == "pending" and body["key_custody"] == "shown_once"
    assert "BEGIN PRIVATE KEY" in body["private_key_pem"]
    listed = api.get("certificates", customer=customer.pk).json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]
    read = api.get(f"certificates/{body['id']}").json()
    assert "private_key_pem" not in read  # shown once, at the order only
    ov = api.post("certificates", {"customer": customer.pk, "names": ["org.example"], "kind": "ov"})
    assert ov.json()["state"] == "awaiting_org"


def test_refused_order_writes_nothing(api, db):
    customer = factories.customer()
    refused = api.post("certificates", {"customer": customer.pk, "names": ["bad name"]})
    assert refused.status_code == 422
    assert "not a domain name" in refused.json()["message"]
    assert api.post("certificates", {"customer": 999999, "names": ["a.gr"]}).status_code == 422
    assert not Certificate.objects.exists()
