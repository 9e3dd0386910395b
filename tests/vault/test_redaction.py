"""Credentials out of mailboxes (R9.9): once a credential that arrived by e-mail or in a
ticket is stored in the vault, no copy of it remains in any ticket or mail table."""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.intake import services as intake
from kyklos.intake.models import QuarantinedMessage
from kyklos.support import services as support
from kyklos.support.models import Message
from kyklos.support.services import redaction
from kyklos.vault import services as vault
from kyklos.vault.models import Credential
from tests import factories
from tests.intake.mails import build
from tests.privacy.test_erasure_scan import text_columns

SECRET = "Tr0ub4dor&3-wp"
#: The apps that hold tickets and mail: support (tickets, messages), intake (the ledger and
#: the quarantine's raw mail) and notifications (the outbox's copies of what we send).
MAIL_APPS = ("support", "intake", "notifications")


def scan(needle: str) -> list[tuple[str, str, int]]:
    """(model, field, pk) of every ticket or mail row holding ``needle`` in a text column."""
    hits = []
    for label in MAIL_APPS:
        for model in apps.get_app_config(label).get_models():
            for field in text_columns(model):
                qs, column = model._default_manager.all(), field.name
                if isinstance(field, models.JSONField):
                    qs, column = qs.annotate(_scan=Cast(field.name, TextField())), "_scan"
                rows = qs.filter(Q(**{f"{column}__contains": needle}))
                hits += [
                    (model._meta.label, field.name, pk) for pk in rows.values_list("pk", flat=True)
                ]
    return hits


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
    # An attachment over the limit: the ticket gets the text, the quarantine the raw mail.
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_ATTACHMENT_BYTES": 10}
    with clock.frozen(datetime(2027, 3, 4, 10, tzinfo=ZoneInfo("Europe/Athens"))):
        yield


@pytest.fixture
def customer(db):
    return factories.customer(name="Maria Nowak", email="maria@example.gr", language="en")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("anna", is_staff=True, is_superuser=True)


@pytest.fixture
def mailed(customer, staff):
    """Maria mails her WordPress password with a large screenshot; staff reply quoting it."""
    receipt = intake.receive(
        build(
            subject="Access to my site",
            text=f"Hello,\nthe WordPress admin is maria / {SECRET}\nThanks\n",
            attachments=[("screen.png", b"x" * 20, "image/png")],
        )
    )
    message = receipt.ticket.messages.get(message_id="<m1@mail.example.gr>")
    support.add_message(
        receipt.ticket,
        body=f"> the WordPress admin is maria / {SECRET}\nThank you, we are logging in.",
        from_staff=True,
        actor=staff,
    )
    return message


def test_storing_a_mailed_credential_leaves_no_copy_in_any_ticket_or_mail_table(
    customer, staff, mailed, django_capture_on_commit_callbacks
):
    held = QuarantinedMessage.objects.get()
    storage, raw = held.raw.storage, held.raw.name
    assert {hit[0] for hit in scan(SECRET)} == {"support.Message", "notifications.Outbox"}
    assert SECRET.encode() in storage.open(raw).read()

    with django_capture_on_commit_callbacks(execute=True):
        credential = vault.store(
            customer,
            kind="site_admin",
            label="WordPress of maria.gr",
            secret=vault.Secret("maria", SECRET),
            actor=staff,
            source_message=mailed.pk,
        )

    assert scan(SECRET) == []
    assert not QuarantinedMessage.objects.exists() and not storage.exists(raw)
    mailed.refresh_from_db()
    assert mailed.body == f"Hello,\nthe WordPress admin is maria / {redaction.MARKER}\nThanks"
    event = AuditEvent.objects.get(action="vault.credential.source_redacted")
    assert event.data == {"message": mailed.pk, "copies": 4}  # 2 messages, 1 notice, 1 raw mail
    assert AuditEvent.objects.filter(action="support.message.credential_redacted").exists()
    assert AuditEvent.objects.filter(action="intake.message.deleted").exists()
    assert vault.handover_export(customer, actor=staff).count(SECRET.encode()) == 1
    assert credential.status == Credential.Status.ACTIVE


def test_a_message_that_carried_it_otherwise_written_is_removed_whole(customer, staff, mailed):
    vault.store(
        customer,
        kind="site_admin",
        label="WordPress of maria.gr",
        secret=vault.Secret("maria", "Tr0ub4dor&3-WP-new"),  # changed since, as staff typed it
        actor=staff,
        source_message=mailed.pk,
    )
    mailed.refresh_from_db()
    assert mailed.body == redaction.WHOLE


def test_another_customers_message_or_none_is_refused_and_nothing_is_stored(
    customer, staff, mailed
):
    other = factories.customer(name="Nikos Other", email="nikos@example.gr")
    with pytest.raises(ValidationError, match="another customer"):
        vault.store(
            other,
            kind="other",
            label="x",
            secret=vault.Secret("u", SECRET),
            actor=staff,
            source_message=mailed.pk,
        )
    with pytest.raises(ValidationError, match="not found"):
        vault.store(
            customer,
            kind="other",
            label="x",
            secret=vault.Secret("u", SECRET),
            actor=staff,
            source_message=mailed.pk + 1000,
        )
    assert not Credential.objects.exists()
    assert SECRET in Message.objects.get(pk=mailed.pk).body
    assert QuarantinedMessage.objects.count() == 1
