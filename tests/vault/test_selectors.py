"""The contracts the vault hands over (R10.3)."""

import base64
from datetime import date

import pytest

from kyklos.lifecycle.models import State
from kyklos.vault import selectors, services
from tests import factories

SECRET = services.Secret(username="admin", secret="s3cr3t")


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()


def customer_with(*states):
    customer = factories.customer()
    for state in states:
        factories.active_service(
            customer, factories.product(), expires_on=date(2027, 4, 1), state=state
        )
    services.store(customer, kind="other", label="site", secret=SECRET)
    return customer


@pytest.mark.django_db
def test_contract_ended_is_an_ended_service_and_none_running():
    ended = customer_with(State.TERMINATED, State.CANCELLED)
    customer_with(State.TERMINATED, State.SUSPENDED)  # one still runs
    customer_with(State.PENDING)  # nothing ended
    customer_with()  # no service at all

    assert list(selectors.contract_ended().values_list("customer_id", flat=True)) == [ended.pk]
