"""Two senders at once never send a document twice (PostgreSQL: SKIP LOCKED claims)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from kyklos.billing.models import Transmission
from kyklos.core import clock
from kyklos.einvoicing import services
from kyklos.einvoicing.models import Attempt, ChannelConfig
from tests.einvoicing.conftest import DAY

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
DOCUMENTS, SENDERS = 40, 4


def test_concurrent_senders_send_each_document_exactly_once(fake_channel, issue, settings):
    settings.KYKLOS_EINVOICING = {**settings.KYKLOS_EINVOICING, "BATCH": 3}
    issue("invoice", DOCUMENTS)  # no channel enabled yet: nothing sent on commit
    with clock.frozen(DAY):
        services.save_config(
            ChannelConfig(channel="fake", country="GR", enabled=True, applies_from=DAY),
            credentials={"user": "u", "key": "k"},
        )
        assert services.catch_up() == DOCUMENTS
    fake_channel.delay = 0.005
    start, counts = threading.Barrier(SENDERS), []

    def sender():
        try:
            start.wait()
            with clock.frozen(clock.start_of_day(DAY) + timedelta(hours=12)):
                counts.append(services.send_due())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sum(c["sent"] for c in counts) == DOCUMENTS
    assert sum(1 for c in counts if c["sent"]) > 1  # the senders really shared the work
    assert len(fake_channel.received) == DOCUMENTS
    assert set(fake_channel.received.values()) == {1}
    assert set(Transmission.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert Attempt.objects.count() == DOCUMENTS
