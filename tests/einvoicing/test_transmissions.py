"""The transmission framework with a fake national system: every tax document reported
once per channel, after the commit, retried with backoff, failed to the staff queue."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command

from kyklos.billing import reports
from kyklos.billing.documents import render_html
from kyklos.billing.models import Transmission
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.einvoicing import services
from kyklos.einvoicing.models import Attempt, ChannelConfig
from kyklos.einvoicing.registry import ChannelRegistry, ChannelUnavailable, channels
from kyklos.vault.models import ProviderSecret
from tests.einvoicing.conftest import DAY
from tests.einvoicing.fake import FakeChannel

pytestmark = pytest.mark.django_db
Status = Transmission.Status
NOON = clock.start_of_day(DAY) + timedelta(hours=12)


def send(at=NOON, **kwargs):
    with clock.frozen(at):
        return services.send_due(**kwargs)


# --- creating -------------------------------------------------------------------------------


def test_each_tax_document_gets_one_pending_transmission_and_a_proforma_none(config, issue):
    invoices = issue("invoice", 3)
    receipt = issue("receipt")[0]
    proforma = issue("proforma")[0]
    rows = Transmission.objects.all()
    assert sorted(rows.values_list("invoice_id", flat=True)) == sorted(
        [i.pk for i in invoices] + [receipt.pk]
    )
    assert set(rows.values_list("authority", "status", "environment")) == {
        ("fake", "pending", "test")
    }
    assert not proforma.transmissions.exists()


def test_issuing_many_documents_costs_the_same_statements_as_issuing_few(
    config, issue, django_assert_max_num_queries
):
    issue("invoice", 2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # both above KYKLOS_COPY_ROWS (10): on PostgreSQL, rows from there on go by COPY
    with CaptureQueriesContext(connection) as few:
        issue("invoice", 12)
    with CaptureQueriesContext(connection) as many:
        issue("invoice", 60)
    assert len(many) == len(few)
    assert Transmission.objects.count() == 74


def test_without_an_enabled_channel_nothing_is_made(db, fake_channel, issue):
    ChannelConfig.objects.create(channel="fake", country="GR", enabled=False, applies_from=DAY)
    issue("invoice")
    assert not Transmission.objects.exists()


def test_a_credit_note_is_reported_too(config, issue):
    from kyklos.billing.services import issue_credit_note

    invoice = issue("invoice")[0]
    with clock.frozen(DAY):
        note = issue_credit_note(invoice, reason="Wrong plan")
    assert note.transmissions.get().status == Status.PENDING


def test_the_send_job_runs_after_the_commit_never_inside_it(
    config, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as jobs:
        invoice = issue("invoice")[0]
    # Inside the issuing transaction nothing was sent; one job waits for the commit.
    assert FakeChannel.received[invoice.pk] == 0
    assert len(jobs) == 1
    with clock.frozen(NOON):
        jobs[0]()
    t = invoice.transmissions.get()
    assert (t.status, t.mark, t.uid) == ("sent", f"4000{invoice.pk:08d}", f"UID{invoice.pk}")
    assert t.qr_url.startswith("https://tax.example/verify")
    assert FakeChannel.received[invoice.pk] == 1


def test_documents_issued_before_the_channel_applies_are_not_reported(config, issue):
    issue("invoice", day=DAY - timedelta(days=1))
    assert not Transmission.objects.exists()


def test_catch_up_makes_what_a_channel_enabled_later_lacks(db, fake_channel, issue):
    config = ChannelConfig.objects.create(
        channel="fake", country="GR", enabled=False, applies_from=DAY
    )
    early, late = issue("invoice", 2)
    assert services.catch_up() == 0
    ChannelConfig.objects.filter(pk=config.pk).update(enabled=True)
    assert services.catch_up() == 2
    assert services.catch_up() == 0  # idempotent
    assert set(Transmission.objects.values_list("invoice_id", flat=True)) == {early.pk, late.pk}


# --- sending --------------------------------------------------------------------------------


def test_a_temporary_failure_is_retried_with_backoff_then_succeeds(config, issue):
    invoice = issue("invoice")[0]
    FakeChannel.script = ["temporary"]
    assert send() == {"retry": 1}
    t = invoice.transmissions.get()
    assert (t.status, t.attempts, t.error) == ("retry", 1, "503 Service Unavailable")
    assert t.next_attempt_at == NOON + timedelta(seconds=60)

    assert send(NOON + timedelta(seconds=59)) == {}  # not due yet
    assert send(NOON + timedelta(seconds=61)) == {"sent": 1}
    t.refresh_from_db()
    assert (t.status, t.attempts, t.error) == ("sent", 2, "")
    attempts = list(Attempt.objects.filter(transmission=t).order_by("number"))
    assert [(a.number, a.result) for a in attempts] == [(1, "temporary"), (2, "sent")]
    assert attempts[0].response == "<busy/>" and invoice.number in attempts[0].request
    assert attempts[1].response.startswith("<ok mark=")


def test_backoff_doubles_up_to_its_cap(settings):
    settings.KYKLOS_EINVOICING = {
        **settings.KYKLOS_EINVOICING,
        "BACKOFF_SECONDS": 60,
        "MAX_BACKOFF_SECONDS": 3600,
    }
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [
        60,
        120,
        240,
        1920,
        3600,
        3600,
    ]


def test_too_many_temporary_failures_end_in_the_staff_queue(config, issue, settings):
    settings.KYKLOS_EINVOICING = {**settings.KYKLOS_EINVOICING, "MAX_ATTEMPTS": 2}
    invoice = issue("invoice")[0]
    FakeChannel.script = ["temporary", "crash"]
    send()
    assert send(NOON + timedelta(hours=1)) == {"failed": 1}
    t = invoice.transmissions.get()
    assert t.status == "failed"
    assert t.error == "Gave up after 2 attempts: RuntimeError: connection reset by peer"


def test_a_refusal_fails_at_once_with_the_systems_answer_and_staff_send_it_again(
    config, issue, django_capture_on_commit_callbacks
):
    invoice = issue("invoice")[0]
    FakeChannel.script = ["permanent"]
    assert send() == {"failed": 1}
    t = invoice.transmissions.get()
    assert (t.status, t.error, t.error_code) == (
        "failed",
        "VAT number of the buyer is invalid",
        "102",
    )
    assert Attempt.objects.get(transmission=t).response == "<error code='102'/>"
    assert AuditEvent.objects.filter(action="einvoicing.transmission_failed").count() == 1

    with django_capture_on_commit_callbacks(execute=True), clock.frozen(NOON):
        services.resend(t, actor="staff")
    t.refresh_from_db()
    assert (t.status, t.attempts) == ("sent", 1)
    assert Attempt.objects.filter(transmission=t).count() == 2
    assert AuditEvent.objects.filter(action="einvoicing.transmission_resent").exists()


def test_only_a_failed_transmission_is_sent_again(config, issue):
    invoice = issue("invoice")[0]
    send()
    with pytest.raises(ValidationError, match="Only failed transmissions"):
        services.resend(invoice.transmissions.get(), actor="staff")


def test_a_duplicate_answer_counts_as_reported_with_the_earlier_identifiers(config, issue):
    invoice = issue("invoice")[0]
    FakeChannel.script = ["duplicate"]
    assert send() == {"sent": 1}
    t = invoice.transmissions.get()
    assert t.duplicate and t.mark == f"4000{invoice.pk:08d}"
    assert Attempt.objects.get(transmission=t).result == "duplicate"


def test_a_sender_that_crashed_while_sending_is_taken_over_once_it_is_stale(config, issue):
    """The system accepted the document but the sender died before writing the answer:
    after STALE_SECONDS another sender sends it again and the system's duplicate answer
    gives the identifiers; nothing is reported twice on Kyklos' side."""
    invoice = issue("invoice")[0]
    with clock.frozen(NOON):
        _token, held = services.claim()
        services._attempt(held[0], {("fake", "GR"): config})  # sent, then the crash
    assert FakeChannel.received[invoice.pk] == 1
    assert invoice.transmissions.get().status == "sending"

    assert send(NOON + timedelta(minutes=5)) == {}  # the sender may still be alive
    assert send(NOON + timedelta(minutes=16)) == {"sent": 1}
    t = invoice.transmissions.get()
    assert (t.status, t.duplicate, t.attempts) == ("sent", True, 2)


def test_a_late_answer_of_a_superseded_sender_does_not_move_the_row(config, issue):
    invoice = issue("invoice")[0]
    with clock.frozen(NOON):
        old_token, held = services.claim()
    assert send(NOON + timedelta(minutes=16)) == {"sent": 1}
    with clock.frozen(NOON + timedelta(minutes=17)):
        late = services._record(
            held[0], old_token, NOON, services.Answer(Attempt.Result.TEMPORARY, error="late")
        )
    assert late == "superseded"
    assert invoice.transmissions.get().status == "sent"


def test_the_channel_gets_its_settings_environment_and_vault_credentials(config, issue):
    issue("invoice")
    send()
    assert FakeChannel.seen_settings == [{"branch": "0", "environment": "test", "country": "GR"}]
    assert FakeChannel.seen_credentials == [{"key": "s3cret", "user": "kyklos"}]
    secret = ProviderSecret.objects.get(purpose="einvoicing:fake:GR:test")
    assert b"s3cret" not in bytes(secret.sealed) and secret.names == ["key", "user"]


def test_a_channel_that_does_not_apply_marks_the_document_not_required(config, issue, monkeypatch):
    invoice = issue("invoice")[0]
    monkeypatch.setattr(FakeChannel, "applies_to", lambda self, document, settings: False)
    assert send() == {"not_required": 1}
    assert reports.unreported(DAY, DAY) == []
    assert invoice.transmissions.get().status == "not_required"


# --- the registry and the configuration -----------------------------------------------------


def test_the_registry_refuses_a_code_twice_and_loads_lazily():
    registry = ChannelRegistry({"ghost": "tests.einvoicing.no_such_module.GhostChannel"})
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.register("ghost", FakeChannel)
    assert registry.codes() == ["ghost"]  # registering imported nothing
    with pytest.raises(ChannelUnavailable, match="cannot be loaded from tests.einvoicing"):
        registry.get("ghost")
    with pytest.raises(ChannelUnavailable, match="No e-invoicing channel is registered as 'x'"):
        registry.get("x")
    registry.register("other", FakeChannel)
    with pytest.raises(ChannelUnavailable, match="says its code is 'fake'"):
        registry.get("other")


def test_the_shipped_channels_are_registered_by_code():
    assert {"mydata", "ksef"} <= set(channels.codes())


def test_a_missing_channel_module_fails_only_its_transmissions_with_a_clear_error(
    db, issue, settings
):
    channels.register("ghost", "tests.einvoicing.no_such_module.GhostChannel")
    try:
        ChannelConfig.objects.create(channel="ghost", country="GR", enabled=True, applies_from=DAY)
        invoice = issue("invoice")[0]  # issuing is not disturbed
        assert send() == {"retry": 1}
        assert "cannot be loaded" in invoice.transmissions.get().error
    finally:
        channels.unregister("ghost")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channel": "nope"}, "No channel is called nope"),
        ({"country": "DE"}, "does not apply to sellers in DE"),
        ({"country": "G1"}, "two letters"),
        ({"settings": {"branch": "main"}}, "branch must be a number"),
    ],
)
def test_a_wrong_configuration_is_refused_and_writes_nothing(db, fake_channel, changes, message):
    values = dict(channel="fake", country="GR", enabled=True, applies_from=DAY, settings={})
    with pytest.raises(ValidationError, match=message):
        services.save_config(ChannelConfig(**{**values, **changes}), credentials={"user": "u"})
    assert not ChannelConfig.objects.exists() and not ProviderSecret.objects.exists()


def test_enabling_a_channel_needs_its_credentials(db, fake_channel):
    config = ChannelConfig(channel="fake", country="GR", enabled=True, applies_from=DAY)
    with pytest.raises(ValidationError, match="Enter the credentials"):
        services.save_config(config)
    assert not ChannelConfig.objects.exists()


def test_credentials_are_typed_as_name_value_lines():
    assert services.parse_credentials("user = a\n\nkey=b=c\n") == {"user": "a", "key": "b=c"}
    with pytest.raises(ValidationError, match="Line 2 is not name=value"):
        services.parse_credentials("user=a\nkey")


# --- what staff and customers see -----------------------------------------------------------


def test_the_pdf_prints_the_identifiers_and_the_qr_code_once_reported(config, issue):
    invoice = issue("invoice")[0]
    before = render_html(invoice)
    assert f"4000{invoice.pk:08d}" not in before and "Διαβιβάστηκε" not in before
    send()
    html = render_html(invoice)
    assert f"4000{invoice.pk:08d}" in html and "ΜΑΡΚ" in html  # a Greek customer's document
    assert html.count("data:image/svg+xml;base64,") == before.count("data:image/svg+xml") + 1
    assert "Διαβιβάστηκε στο" in html


def test_the_vat_report_lists_the_documents_not_yet_reported(config, issue):
    sent, waiting, refused = issue("invoice", 3)
    for document, answer in ((sent, "ok"), (waiting, "temporary"), (refused, "permanent")):
        FakeChannel.script = [answer]
        send(invoice_ids=[document.pk])
    rows = reports.unreported(DAY, DAY)
    assert [(r.number, r.status) for r in rows] == [
        (waiting.number, "Waiting to retry"),
        (refused.number, "Failed"),
    ]
    assert rows[1].error == "VAT number of the buyer is invalid"


def test_the_daily_step_catches_up_and_tells_billing_once_a_day(
    config, issue, run_day, django_capture_on_commit_callbacks
):
    from kyklos.notifications.models import Outbox

    issue("invoice", 2)
    Transmission.objects.all().delete()  # as if the hook had been missed
    with django_capture_on_commit_callbacks(execute=False):
        result = run_day(DAY)
        run_day(DAY)
    assert result.actions["einvoicing_transmissions_created"] == 2
    notice = Outbox.objects.get(event="einvoicing_unreported")
    assert notice.context["total"] == 2 and notice.to_email


def test_the_command_sends_everything_due(config, issue, capsys):
    issue("invoice", 3)
    with clock.frozen(NOON):
        call_command("einvoicing", "send")
    out = capsys.readouterr().out
    assert "sent: sent 3." in out and "0 unreported" in out
