import pytest

from tests.dns.pdns import powerdns, powerdns_server  # noqa: F401
from tests.dns.seed import seed_migrated_data


@pytest.fixture
def seeded(transactional_db):
    seed_migrated_data()
