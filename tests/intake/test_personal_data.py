"""Personal data in intake: quarantined raw messages are exported and erased per subject."""

import pytest

from kyklos.core.personal_data import Subject, personal_data
from kyklos.intake import services
from kyklos.intake.models import ContactThrottle, InboundMessage, QuarantinedMessage
from tests.intake.mails import build

pytestmark = pytest.mark.django_db


def test_quarantined_messages_are_registered_and_the_others_declared_exempt():
    entry = next(e for e in personal_data.all() if e.model is QuarantinedMessage)

    assert set(entry.fields) >= {"sender_email", "subject", "raw"}
    assert InboundMessage._meta.label in personal_data.exempt
    assert ContactThrottle._meta.label in personal_data.exempt


def test_export_and_erase_a_senders_quarantined_messages(
    customer, now, django_capture_on_commit_callbacks
):
    mine = services.receive(build(sender="jan@firma.example.pl", headers={"Precedence": "bulk"}))
    theirs = services.receive(
        build(sender="eva@example.com", message_id="<e@x>", headers={"Precedence": "bulk"})
    )
    entry = next(e for e in personal_data.all() if e.model is QuarantinedMessage)
    subject = Subject(email="JAN@firma.example.pl")

    (row,) = entry.exporter(subject)
    assert row["sender_email"] == "jan@firma.example.pl"
    assert (
        "From: Maria Nowak" not in row["raw_message"]
        and "jan@firma.example.pl" in row["raw_message"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        erased = entry.eraser(subject)

    assert erased.deleted == 1
    assert list(QuarantinedMessage.objects.all()) == [theirs.quarantine]
    assert not mine.quarantine.raw.storage.exists(mine.quarantine.raw.name)


def test_a_customers_quarantined_messages_are_found_by_any_of_their_addresses(customer, now):
    services.receive(build(sender="admin@maria.gr", headers={"Precedence": "bulk"}))
    entry = next(e for e in personal_data.all() if e.model is QuarantinedMessage)

    assert len(list(entry.exporter(Subject(customer_id=customer.pk)))) == 1
