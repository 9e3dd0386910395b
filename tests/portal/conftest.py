from datetime import date

import pytest
from django.contrib.auth import get_user_model

from kyklos.core import clock
from tests import factories

TODAY = date(2027, 3, 1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield TODAY


def make_login(username: str, **fields):
    return get_user_model().objects.create_user(username, password=PASSWORD, **fields)


@pytest.fixture
def customer(db):
    """Maria, an English-speaking customer with a login."""
    return factories.customer(
        name="Maria Nowak", email="maria@example.gr", language="en", user=make_login("maria")
    )


@pytest.fixture
def other_customer(db):
    return factories.customer(name="Nikos Other", language="en", user=make_login("nikos"))


@pytest.fixture
def hosting(db):
    return factories.product(
        "shared_hosting", name="Web Hosting Pro", prices={"annual": "120.00", "monthly": "12.00"}
    )


@pytest.fixture
def portal(client, customer):
    """A browser session logged in as ``customer``."""
    client.force_login(customer.user)
    return client
