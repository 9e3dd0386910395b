"""The DNS records editor in the portal: the customer's own zones only, refusals shown on
their row with nothing written, HTMX answers with the editor alone."""

import pytest

from kyklos.dns import selectors, services


@pytest.fixture
def zone(customer):
    return services.ensure_zone("maria-nowak.gr", customer_id=customer.pk)


def post_rows(portal, zone, rows, **headers):
    data = {"rows": str(len(rows))}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{key}-{i}"] = value
    return portal.post(f"/portal/dns/{zone.name}/", data, **headers)


def test_zone_list_and_editor_show_the_records(portal, zone):
    page = portal.get("/portal/dns/")
    assert page.status_code == 200
    assert b"maria-nowak.gr" in page.content
    editor = portal.get("/portal/dns/maria-nowak.gr/")
    html = editor.content.decode()
    assert editor.status_code == 200
    assert 'value="192.0.2.10"' in html  # the template's A record
    assert "ns1.kyklos.localhost." in html
    assert 'hx-post="/portal/dns/maria-nowak.gr/"' in html


def test_saving_replaces_the_records(portal, zone):
    answer = post_rows(
        portal,
        zone,
        [
            {"name": "@", "type": "A", "ttl": "300", "content": "198.51.100.4"},
            {"name": "www", "type": "CNAME", "ttl": "3600", "content": "maria-nowak.gr."},
            {"name": "old", "type": "A", "ttl": "300", "content": "198.51.100.5", "delete": "on"},
            {"name": "", "type": "A", "ttl": "3600", "content": ""},
        ],
    )
    assert answer.status_code == 302
    assert [(s.name, s.type, s.records) for s in selectors.editable_records(zone)] == [
        ("maria-nowak.gr", "A", ["198.51.100.4"]),
        ("www.maria-nowak.gr", "CNAME", ["maria-nowak.gr."]),
    ]


def test_refused_row_is_marked_and_nothing_is_written(portal, zone):
    before = [(s.name, s.type, s.records) for s in selectors.records(zone)]
    answer = post_rows(
        portal,
        zone,
        [
            {"name": "@", "type": "A", "ttl": "300", "content": "198.51.100.4"},
            {"name": "shop", "type": "AAAA", "ttl": "300", "content": "not-an-address"},
        ],
        HTTP_HX_REQUEST="true",
    )
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "<html" not in html  # HTMX: only the editor
    assert "Nothing was saved" in html
    assert html.count('class="has-error"') == 1
    assert "not a valid AAAA value" in html
    assert 'value="not-an-address"' in html  # the customer's input is kept
    assert [(s.name, s.type, s.records) for s in selectors.records(zone)] == before


def test_errors_are_translated(portal, zone, customer):
    customer.language = "el"
    customer.save()
    answer = post_rows(
        portal, zone, [{"name": "x", "type": "A", "ttl": "5", "content": "198.51.100.4"}]
    )
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "Δεν αποθηκεύτηκε τίποτα" in html
    assert "Το TTL πρέπει να είναι από 60 έως 604800 δευτερόλεπτα." in html


def test_another_customers_zone_is_not_found(portal, other_customer):
    services.ensure_zone("nikos.gr", customer_id=other_customer.pk)
    assert portal.get("/portal/dns/nikos.gr/").status_code == 404
    assert portal.post("/portal/dns/nikos.gr/", {"rows": "0"}).status_code == 404
