import pytest
from django.contrib.auth import get_user_model

from kyklos.accounts import roles
from tests import factories

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, **fields):
    return get_user_model().objects.create_user(username, password=PASSWORD, **fields)


@pytest.fixture
def customer(db):
    return factories.customer(
        name="Maria Nowak", email="maria@example.gr", language="en", user=make_user("maria")
    )


@pytest.fixture
def other_customer(db):
    return factories.customer(name="Nikos Other", language="en", user=make_user("nikos"))


@pytest.fixture
def staff_user(db):
    def make(role: str, username: str | None = None):
        user = make_user(username or f"{role}-staff", is_staff=True)
        roles.assign(user, role)
        return user

    return make


def login_password(client, username: str, password: str = PASSWORD, **extra):
    return client.post("/portal/login/", {"username": username, "password": password, **extra})
