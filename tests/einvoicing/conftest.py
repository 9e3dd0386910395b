import base64
from datetime import date
from decimal import Decimal

import pytest

from kyklos.billing.services import DocumentSpec, LineSpec, issue_documents
from kyklos.core import clock
from kyklos.einvoicing import services
from kyklos.einvoicing.models import ChannelConfig
from kyklos.einvoicing.registry import channels
from tests import factories
from tests.einvoicing.fake import FakeChannel

DAY = date(2027, 5, 3)


@pytest.fixture(autouse=True)
def _vault_key(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()


@pytest.fixture
def fake_channel():
    """The fake channel registered under its code for the test, and forgotten after."""
    FakeChannel.reset()
    channels.register("fake", FakeChannel)
    yield FakeChannel
    channels.unregister("fake")
    FakeChannel.reset()


def configure(channel: str, country: str, settings: dict, credentials: dict) -> ChannelConfig:
    """An enabled configuration of ``channel`` for ``country`` from DAY, saved as staff save
    it (settings checked, credentials sealed in the vault)."""
    with clock.frozen(DAY):
        return services.save_config(
            ChannelConfig(
                channel=channel,
                country=country,
                enabled=True,
                environment="test",
                applies_from=DAY,
                settings=settings,
            ),
            credentials=credentials,
            actor="test",
        )


def staff(role):
    """A client logged in as a staff user with ``role``."""
    from django.test import Client

    from kyklos.accounts import roles
    from tests.accounts.conftest import make_user

    user = make_user(f"{role}-staff", is_staff=True)
    roles.assign(user, role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def config(db, fake_channel):
    """The fake channel enabled for Greek sellers (the provider's country) from DAY."""
    return configure("fake", "GR", {"branch": "0"}, {"user": "kyklos", "key": "s3cret"})


@pytest.fixture
def issue(db):
    """Issue documents of ``kind`` for a customer on DAY; returns them."""

    def make(kind="invoice", n=1, *, customer=None, day=DAY):
        customer = customer or factories.customer()
        with clock.frozen(day):
            return issue_documents(
                [
                    DocumentSpec(
                        customer=customer,
                        kind=kind,
                        issued_on=day,
                        lines=[LineSpec("Hosting", Decimal("120.00"))],
                    )
                    for _ in range(n)
                ]
            )

    return make
