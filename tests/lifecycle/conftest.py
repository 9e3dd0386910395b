import pytest

from tests import factories


@pytest.fixture
def customer(db):
    return factories.customer()


@pytest.fixture
def hosting(db):
    return factories.product("shared_hosting")
