import base64

import pytest

from tests.domains.epp_peer import EppPeer


@pytest.fixture(autouse=True)
def _vault_key(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()


@pytest.fixture
def peer():
    """A TLS EPP registry on 127.0.0.1 (a free port) with two registrar logins: Kyklos'
    (``kyklos``) and another registrar's (``gainer``)."""
    server = EppPeer().start()
    server.registry.accounts.update({"kyklos": "kyklos-pass-1", "gainer": "gainer-pass-1"})
    yield server
    server.stop()
