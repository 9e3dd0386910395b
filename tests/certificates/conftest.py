import base64

import pytest

from tests.certificates.pebble import pebble, pebble_server  # noqa: F401
from tests.dns.pdns import powerdns, powerdns_server  # noqa: F401


@pytest.fixture(autouse=True)
def _vault_key(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
