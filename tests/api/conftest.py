import json
from datetime import date

import pytest
from django.contrib.auth.models import User

from kyklos.accounts import roles
from kyklos.api import services
from kyklos.api.models import ApiToken
from kyklos.billing.models import Invoice, InvoiceLine
from kyklos.catalog.models import Price, Product
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.customers.models import Customer, TermsAcceptance
from kyklos.lifecycle.models import Renewal, Service
from kyklos.notifications.models import Outbox
from kyklos.payments.models import Payment

TODAY = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def today():
    with clock.frozen(TODAY) as now:
        yield now


@pytest.fixture
def staff(db):
    """A staff user in the admin role, which may call every operation (the roles matrix
    is in tests/accounts/test_authorisation.py)."""
    user = User.objects.create_user("nikos", is_staff=True)
    roles.assign(user, roles.ADMIN)
    return user


@pytest.fixture
def token(staff):
    return services.create_token(staff, name="tests")[1]


class ApiClient:
    """Django's test client speaking JSON to /api/v1/ with a bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1/{path}", params, **self._headers())

    def post(self, path: str, data=None):
        body = data if isinstance(data, str) else json.dumps(data)
        return self.client.post(
            f"/api/v1/{path}", body, content_type="application/json", **self._headers()
        )


@pytest.fixture
def api(client, token):
    return ApiClient(client, token)


MODELS = (
    Customer,
    TermsAcceptance,
    Product,
    Price,
    Service,
    Renewal,
    Invoice,
    InvoiceLine,
    Payment,
    Outbox,
    AuditEvent,
    ApiToken,
)


def row_counts() -> dict[str, int]:
    """How many rows each table the API writes to holds (to prove a refusal wrote nothing)."""
    return {model.__name__: model.objects.count() for model in MODELS}
