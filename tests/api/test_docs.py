"""The OpenAPI document and the docs page, which work offline and under the site's CSP."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get"},
    "/api/v1/products": {"get", "post"},
    "/api/v1/services": {"post"},
    "/api/v1/services/{service_id}": {"get"},
    "/api/v1/services/{service_id}/cancel": {"post"},
    "/api/v1/services/{service_id}/plan": {"post"},
    "/api/v1/invoices": {"get"},
    "/api/v1/invoices/{invoice_id}/payments": {"post"},
    "/api/v1/invoices/{invoice_id}.pdf": {"get"},
    "/api/v1/invoices/{invoice_id}.xml": {"get"},
    "/api/v1/notifications": {"get"},
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{ticket_id}": {"get", "patch"},
    "/api/v1/tickets/{ticket_id}/messages": {"get", "post"},
    "/api/v1/domains": {"get", "post"},
    "/api/v1/domains/availability": {"get"},
    "/api/v1/domains/{domain_id}": {"get"},
    "/api/v1/domains/{domain_id}/nameservers": {"put"},
    "/api/v1/domains/{domain_id}/lock": {"put"},
    "/api/v1/domains/{domain_id}/transfer-out": {"post"},
    "/api/v1/domains/transfer-quote": {"get"},
    "/api/v1/domains/transfers": {"post"},
    "/api/v1/domains/{domain_id}/owner-change": {"post"},
    "/api/v1/domains/{domain_id}/refund": {"post"},
    "/api/v1/domains/{domain_id}/transfer-in": {"post"},
    "/api/v1/domains/{domain_id}/jobs": {"get"},
    "/api/v1/dns/zones/{name}/records": {"get", "put"},
    "/api/v1/certificates": {"get", "post"},
    "/api/v1/certificates/{certificate_id}": {"get"},
}


def test_the_openapi_document_lists_every_endpoint_behind_bearer_auth(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert {path: set(ops) for path, ops in document["paths"].items()} == PATHS
    assert document["components"]["securitySchemes"] == {
        "StaffToken": {"type": "http", "scheme": "bearer"}
    }
    order = document["paths"]["/api/v1/services"]["post"]
    assert order["operationId"] == "order_service"
    assert order["security"] == [{"StaffToken": []}]
    assert set(order["responses"]) == {"201", "400", "401", "403", "422"}


def test_the_docs_page_loads_only_local_assets_that_exist(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == [
        "/static/ninja/favicon.png",
        "/static/ninja/favicon.svg",
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
        "/static/ninja/swagger-ui.css",
    ]
    assert all(finders.find(asset.removeprefix("/static/")) for asset in assets)
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    assert "https://" not in html


def test_the_docs_page_runs_no_inline_script_so_the_csp_holds(client):
    response = client.get("/api/v1/docs")

    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts == [' type="application/json" id="swagger-settings"']  # data only
