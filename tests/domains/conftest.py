import base64
from datetime import date

import pytest

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import RegistrarAccount, Tld
from kyklos.payments.services import record_payment
from tests import factories
from tests.certificates.pebble import pebble, pebble_server  # noqa: F401
from tests.dns.pdns import powerdns, powerdns_server  # noqa: F401
from tests.domains.epp_peer import EppPeer
from tests.payments.localstripe import localstripe, localstripe_server  # noqa: F401


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


DAY = date(2027, 3, 1)


@pytest.fixture
def registrar(db, peer):
    """Kyklos' registrar account at the peer (login in the vault), serving every seeded
    TLD; .gr, .com.gr and .com priced."""
    account = services.save_registrar(
        RegistrarAccount(code="test-registry", name="Test registry", settings=peer.settings()),
        credentials={"login": "kyklos", "password": "kyklos-pass-1"},
        actor="test",
    )
    Tld.objects.update(registrar=account)
    prices = {
        "gr": {"biennial": "28.00"},
        "com.gr": {"biennial": "28.00"},
        "com": {"annual": "14.00", "biennial": "27.00"},
        "eu": {"annual": "10.00", "biennial": "19.00"},
        "shop": {"annual": "30.00"},
    }
    for suffix, table in prices.items():
        product = factories.product("domain", prices=table, code=f"domain-{suffix}")
        Tld.objects.filter(suffix=suffix).update(product=product)
    peer.registry.today = lambda: DAY
    return account


@pytest.fixture
def customer(db):
    return factories.customer(
        name="Maria Papadopoulou",
        address="Egnatia 1",
        city="Thessaloniki",
        postal_code="54623",
        phone="+30 2310 000000",
    )


def proforma_of(domain) -> Invoice:
    from kyklos.lifecycle.models import Renewal

    return Renewal.objects.filter(service_id=domain.service_id).order_by("-pk").first().invoice


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """Pay a proforma in full on ``day``; the jobs enqueued after the commit run."""

    def paying(invoice, day=None):
        with clock.frozen(day or clock.today()):
            with django_capture_on_commit_callbacks(execute=True):
                record_payment(
                    invoice, amount=invoice.total, method="bank_transfer", reference="ref"
                )

    return paying


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run ``func`` and the jobs it enqueues after its commit."""

    def running(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return running
