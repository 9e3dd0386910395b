"""Schemathesis over every operation of the published OpenAPI, against the Django app
through WSGI (no network), as an admin: no 5xx, every response as documented.

Path ids that come out as integers are replaced by those of real rows (a customer, a
service, an invoice, a ticket), so the operations behind them run rather than answer 404.
Bounded to :data:`MAX_EXAMPLES` per operation and derandomised (the same cases on every
run): the whole file takes about a minute on two cores.
"""

import pytest
import schemathesis
from django.db import connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kyklos.config.wsgi import application
from kyklos.lifecycle import services
from kyklos.support import services as support
from tests import factories

pytestmark = pytest.mark.django_db

#: Examples per operation: fewer on PostgreSQL, where each costs about three times as much
#: (the suite's time budget); its own failures (integer and text limits) show within these.
MAX_EXAMPLES = 100 if connection.vendor == "sqlite" else 35
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    """The WSGI handler closes the database connection after each request; inside a test
    that would end the test's transaction (PostgreSQL). Django's test client turns this
    off during its requests; requests sent straight to the WSGI application need the same."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    customer = factories.customer()
    product = factories.product(code="web-basic", prices={"annual": "120.00"})
    service = services.order_service(customer=customer, product=product, cycle="annual")
    ticket = support.open_ticket(
        support.NewTicket(
            subject="Checkout broken",
            body="Card payments fail.",
            department="technical",
            customer=customer,
        )
    )
    return {
        "customer_id": customer.pk,
        "service_id": service.pk,
        "invoice_id": service.renewals.get().invoice_id,
        "ticket_id": ticket.pk,
    }


#: The document as served (its view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_documented(case, world, token):
    for name, value in (case.path_parameters or {}).items():
        if name in world and isinstance(value, int):
            case.path_parameters[name] = world[name]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
