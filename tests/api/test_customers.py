"""/api/v1/customers: open accounts (R1.1, R1.2), list them, read one."""

import pytest

from kyklos.core.models import AuditEvent
from kyklos.customers.models import Customer, TermsAcceptance
from tests import factories
from tests.api.conftest import row_counts

pytestmark = pytest.mark.django_db

COMPANY = {
    "kind": "company",
    "name": "Maria Papadopoulou",
    "company_name": "Papadopoulou IKE",
    "email": "maria@example.gr",
    "country": "gr",
    "language": "el",
    "vat_id": "094 014 201",
    "terms_version": "2027-01",
    "city": "Thessaloniki",
}


def test_create_a_company_customer(api, staff):
    response = api.post("customers", COMPANY)

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response.json() == {
        "id": customer.pk,
        "kind": "company",
        "status": "active",
        "name": "Maria Papadopoulou",
        "company_name": "Papadopoulou IKE",
        "email": "maria@example.gr",
        "secondary_email": "",
        "admin_email": "",
        "billing_email": "",
        "phone": "",
        "address": "",
        "city": "Thessaloniki",
        "postal_code": "",
        "country": "GR",
        "vat_id": "EL094014201",
        "tax_office": "",
        "language": "el",
        "adult_confirmed": False,
        "created_at": "2027-03-01T07:00:00Z",  # 09:00 in Athens
    }
    terms = TermsAcceptance.objects.get()
    assert (terms.customer, terms.version, terms.channel) == (customer, "2027-01", "api")
    created = AuditEvent.objects.get(action="customer.created")
    assert (created.actor, created.data) == (staff, {"kind": "company", "channel": "api"})


def test_create_a_person_who_confirmed_being_an_adult(api):
    response = api.post(
        "customers",
        {
            "kind": "person",
            "name": "Jan Kowalski",
            "email": "jan@example.pl",
            "country": "PL",
            "language": "pl",
            "vat_id": "",
            "adult_confirmed": True,
        },
    )

    assert response.status_code == 201
    assert response.json()["adult_confirmed"] is True
    assert Customer.objects.get().language == "pl"


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        (
            {"vat_id": "EL094014202"},
            "The VAT id EL094014202 is not valid: its check digit is wrong.",
            "vat_id",
        ),
        ({"country": "XX"}, "XX is not a country code; use the ISO code, e.g. GR.", "country"),
        (
            {"kind": "person", "company_name": ""},
            "Customers must be 18 or older; please confirm your age.",
            "adult_confirmed",
        ),
        ({"company_name": ""}, "A company needs its legal name.", "company_name"),
        ({"email": "maria@"}, "Enter a valid email address.", "email"),
        ({"terms_version": " "}, "Give the version of the terms accepted.", "terms_version"),
        ({"kind": "robot"}, "Input should be 'person' or 'company'", "kind"),
        ({"language": "de"}, "Input should be 'el', 'en' or 'pl'", "language"),
        ({"name": None}, "Input should be a valid string", "name"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(api, change, message, field):
    before = row_counts()

    response = api.post("customers", {**COMPANY, **change})

    assert response.status_code == 422
    assert response.json() == {"message": message, "field": field}
    assert row_counts() == before


def test_a_missing_field_is_named(api):
    body = dict(COMPANY)
    del body["email"]

    response = api.post("customers", body)

    assert response.status_code == 422
    assert response.json() == {"message": "Field required", "field": "email"}


def test_list_customers_in_pages_by_id(api):
    first, second, third = (factories.customer(name=n) for n in ("Anna", "Babis", "Chloe"))

    page = api.get("customers", limit=2)
    rest = api.get("customers", limit=2, offset=2)

    assert page.status_code == rest.status_code == 200
    assert [(c["id"], c["name"]) for c in page.json()["items"]] == [
        (first.pk, "Anna"),
        (second.pk, "Babis"),
    ]
    assert rest.json() == {"items": [api.get(f"customers/{third.pk}").json()], "count": 3}
    assert page.json()["count"] == 3


@pytest.mark.parametrize("limit", [0, 501])
def test_a_page_size_out_of_range_is_refused(api, limit):
    response = api.get("customers", limit=limit)

    assert response.status_code == 422
    assert response.json()["field"] == "limit"


@pytest.mark.parametrize("size", [1, 6])
def test_listing_customers_takes_the_same_queries_at_any_size(
    api, size, django_assert_max_num_queries
):
    for _ in range(size):
        factories.customer()

    # token + its last use, count, page
    with django_assert_max_num_queries(5):  # + the access log
        response = api.get("customers")

    assert len(response.json()["items"]) == size


def test_get_one_customer(api):
    customer = factories.customer(name="Eleni Papadopoulou", email="eleni@example.gr")

    response = api.get(f"customers/{customer.pk}")

    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("id", "kind", "name", "email", "country")} == {
        "id": customer.pk,
        "kind": "person",
        "name": "Eleni Papadopoulou",
        "email": "eleni@example.gr",
        "country": "GR",
    }


def test_an_unknown_customer_is_a_404(api):
    response = api.get("customers/4040")

    assert response.status_code == 404
    assert response.json() == {"message": "There is no customer 4040.", "field": None}
