from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kyklos.core import clock
from tests import factories
from tests.intake import dovecot

ATHENS = ZoneInfo("Europe/Athens")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=ATHENS)


@pytest.fixture
def now():
    """Thursday 4 March 2027, 10:00 in Athens (a working day)."""
    with clock.frozen(at(2027, 3, 4, 10, 0)) as instant:
        yield instant


@pytest.fixture
def customer(db):
    """Maria: primary maria@example.gr, secondary m.nowak@work.example, notices to admin@."""
    return factories.customer(
        name="Maria Nowak",
        email="maria@example.gr",
        secondary_email="m.nowak@work.example",
        admin_email="admin@maria.gr",
        language="en",
    )


@pytest.fixture
def imap_server():
    """A real Dovecot IMAP server with an empty mailbox, for one test."""
    try:
        server = dovecot.start()
    except dovecot.Unavailable as exc:
        pytest.skip(f"No IMAP server for the test: {exc}")
    yield server
    server.stop()
