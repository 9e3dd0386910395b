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
        name="Maria Nowak",
        email="maria@example.gr",
        phone="+30 2310 555 123",
        language="en",
        user=make_login("maria"),
    )


@pytest.fixture
def other_customer(db):
    return factories.customer(name="Nikos Other", language="el", user=make_login("nikos"))


@pytest.fixture
def staff(db):
    return make_login("dpo", is_staff=True, is_superuser=True)


@pytest.fixture
def portal(client, customer):
    client.force_login(customer.user)
    return client
