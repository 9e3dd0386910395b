"""/api/v1/services: order (R2.3, R6.3), read, cancel (R3.7, R3.8)."""

from datetime import date

import pytest

from kyklos.billing.models import Invoice
from kyklos.core.models import AuditEvent
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Renewal, Service, State
from tests import factories
from tests.api.conftest import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def hosting():
    return factories.product(code="web-basic", name="Web Basic", prices={"annual": "120.00"})


@pytest.fixture
def eleni():
    return factories.customer(name="Eleni Papadopoulou", country="GR", language="el")


def order(api, who: Customer, **fields):
    return api.post(
        "services", {"customer": who.pk, "product": "web-basic", "cycle": "annual", **fields}
    )


def test_a_greek_person_orders_and_gets_a_proforma_with_24_percent_vat(api, staff, eleni, hosting):
    response = order(api, eleni, label="eleni.gr")

    assert response.status_code == 201
    service = Service.objects.get()
    proforma = Invoice.objects.get()
    assert response.json() == {
        "service": {
            "id": service.pk,
            "customer": eleni.pk,
            "product": "web-basic",
            "label": "eleni.gr",
            "cycle": "annual",
            "state": "pending",
            "ordered_on": "2027-03-01",
            "started_on": None,
            "expires_on": None,
            "auto_renew": True,
            "parent": None,
            "cancel_requested_on": None,
            "cancel_effective_on": None,
        },
        "proforma": {
            "id": proforma.pk,
            "kind": "proforma",
            "number": "PRO-2027-000001",
            "customer": eleni.pk,
            "issued_on": "2027-03-01",
            "due_on": "2027-03-01",
            "paid_on": None,
            "total": "148.80",  # 120.00 + 24% VAT
            "currency": "EUR",
            "status": "open",
            "related": None,
            "service_ids": [service.pk],
        },
    }
    renewal = Renewal.objects.get()
    assert (renewal.period_start, renewal.period_end) == (date(2027, 3, 1), date(2028, 3, 1))
    assert AuditEvent.objects.get(action="service.ordered").actor == staff


@pytest.mark.parametrize(
    ("particulars", "total"),
    [
        ({"country": "PL", "language": "pl"}, "147.60"),  # a Polish consumer: 23% (R6.3)
        ({"country": "CY"}, "142.80"),  # a Cypriot consumer: 19%
        (
            {
                "kind": Customer.Kind.COMPANY,
                "company_name": "Kowalski sp. z o.o.",
                "country": "PL",
                "vat_id": "PL5260250274",
            },
            "120.00",
        ),  # reverse charge
    ],
)
def test_the_proforma_total_follows_the_customers_vat_case(api, hosting, particulars, total):
    customer = factories.customer(**particulars)

    response = order(api, customer)

    assert response.status_code == 201
    assert response.json()["proforma"]["total"] == total


def test_a_later_start_date_is_the_first_period(api, eleni, hosting):
    response = order(api, eleni, start_date="2027-03-15")

    assert response.status_code == 201
    renewal = Renewal.objects.get()
    assert (renewal.period_start, renewal.period_end) == (date(2027, 3, 15), date(2028, 3, 15))


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"product": "nope"}, "There is no product with the code “nope”.", "product"),
        ({"customer": 999}, "There is no customer 999.", "customer"),
        (
            {"cycle": "weekly"},
            "Input should be 'monthly', 'quarterly', 'semiannual', 'annual', 'biennial' or "
            "'one_off'",
            "cycle",
        ),
        ({"cycle": "monthly"}, "Web Basic has no Monthly price in force on 2027-03-01.", None),
        (
            {"start_date": "soon"},
            "Input should be a valid date or datetime, input is too short",
            "start_date",
        ),
    ],
)
def test_a_bad_order_is_a_422_and_writes_nothing(api, eleni, hosting, change, message, field):
    before = row_counts()

    response = order(api, eleni, **change)

    assert response.status_code == 422
    assert response.json() == {"message": message, "field": field}
    assert row_counts() == before


def test_a_locked_customer_cannot_order(api, hosting):
    locked = factories.customer(status=Customer.Status.LOCKED)
    before = row_counts()

    response = order(api, locked)

    assert response.status_code == 422
    assert response.json() == {
        "message": "This account is locked; it cannot order.",
        "field": "customer",
    }
    assert row_counts() == before


def test_get_a_service(api, eleni, hosting):
    service = factories.active_service(
        eleni, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10), label="eleni.gr"
    )

    response = api.get(f"services/{service.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "id": service.pk,
        "customer": eleni.pk,
        "product": "web-basic",
        "label": "eleni.gr",
        "cycle": "annual",
        "state": "active",
        "ordered_on": "2027-01-10",
        "started_on": "2027-01-10",
        "expires_on": "2028-01-10",
        "auto_renew": True,
        "parent": None,
        "cancel_requested_on": None,
        "cancel_effective_on": None,
    }


@pytest.mark.parametrize("path", ["services/4040", "services/4040/cancel"])
def test_an_unknown_service_is_a_404(api, path):
    response = api.post(path, {}) if path.endswith("cancel") else api.get(path)

    assert response.status_code == 404
    assert response.json() == {"message": "There is no service 4040.", "field": None}


@pytest.fixture
def active(eleni, hosting):
    return factories.active_service(
        eleni, hosting, started_on=date(2027, 1, 10), expires_on=date(2028, 1, 10)
    )


def test_cancel_at_the_end_of_the_period(api, active):
    response = api.post(
        f"services/{active.pk}/cancel", {"when": "end_of_period", "reason": "moving to a new host"}
    )

    assert response.status_code == 200
    assert {
        k: response.json()[k]
        for k in ("state", "expires_on", "cancel_requested_on", "cancel_effective_on")
    } == {
        "state": "active",
        "expires_on": "2028-01-10",
        "cancel_requested_on": "2027-03-01",
        "cancel_effective_on": "2028-01-10",
    }
    active.refresh_from_db()
    assert active.cancel_reason == "moving to a new host"


def test_cancel_immediately(api, active):
    response = api.post(f"services/{active.pk}/cancel", {"when": "immediate"})

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["cancel_effective_on"]) == (
        "cancelled",
        "2027-03-01",
    )
    active.refresh_from_db()
    assert (active.state, active.state_changed_on) == (State.CANCELLED, date(2027, 3, 1))


def test_cancel_needs_a_known_moment_and_a_live_service(api, active):
    before = row_counts()
    bad_when = api.post(f"services/{active.pk}/cancel", {"when": "tomorrow"})
    assert row_counts() == before

    api.post(f"services/{active.pk}/cancel", {"when": "immediate"})
    before = row_counts()
    again = api.post(f"services/{active.pk}/cancel", {"when": "immediate"})

    assert (bad_when.status_code, bad_when.json()) == (
        422,
        {"message": "Input should be 'immediate' or 'end_of_period'", "field": "when"},
    )
    assert (again.status_code, again.json()) == (
        422,
        {"message": "This service has already ended.", "field": None},
    )
    assert row_counts() == before


# --- plan change (PC-1 … PC-4) ------------------------------------------------------------


def test_upgrade_returns_the_prorated_proforma_and_keeps_the_plan_until_paid(api, active):
    factories.product(code="web-pro", name="Web Pro", prices={"annual": "240.00"})

    response = api.post(f"services/{active.pk}/plan", {"product": "web-pro"})

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "from_product", "to_product", "amount")} == {
        "status": "open",
        "from_product": "web-basic",
        "to_product": "web-pro",
        "amount": "103.56",  # 315 / 365 × 120
    }
    assert (body["days_left"], body["days_in_period"]) == (315, 365)
    assert body["proforma"]["total"] == "128.41"  # with 24 % VAT
    assert body["service"]["product"] == "web-basic"


def test_downgrade_moves_now_and_says_what_was_credited(api, active):
    factories.product(code="web-mini", name="Web Mini", prices={"annual": "60.00"})

    response = api.post(f"services/{active.pk}/plan", {"product": "web-mini"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["amount"], body["proforma"]) == ("done", "-51.78", None)
    assert body["service"]["product"] == "web-mini"


def test_a_refused_plan_change_is_one_message_and_writes_nothing(api, active):
    factories.product("email_hosting", code="mail-1", prices={"annual": "30.00"})
    before = row_counts()

    other_type = api.post(f"services/{active.pk}/plan", {"product": "mail-1"})
    unknown = api.post(f"services/{active.pk}/plan", {"product": "nope"})
    no_service = api.post("services/4040/plan", {"product": "web-basic"})

    assert other_type.status_code == 422
    assert other_type.json()["message"] == (
        "A service can move only to another plan of the same kind."
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "product")
    assert no_service.status_code == 404
    assert row_counts() == before
