"""The record of processing as data, the privacy notice made from it in three languages and
as a PDF, versions, and notifying customers of a significant change (R9.1, R9.7, R12.3)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kyklos.notifications.models import Outbox
from kyklos.privacy import record
from kyklos.privacy.models import NoticeVersion, ProcessingActivity, Recipient
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_seeded_record_holds_what_kyklos_does_with_basis_categories_and_recipients():
    codes = set(ProcessingActivity.objects.values_list("code", flat=True))
    assert {
        "accounts",
        "billing",
        "support",
        "marketing",
        "analytics_cookies",
        "security_logs",
        "device_activity",
        "shipments",
    } <= codes
    billing = ProcessingActivity.objects.get(code="billing")
    assert billing.legal_basis == "legal_obligation"
    assert "tax_records" in billing.categories.values_list("code", flat=True)
    assert ProcessingActivity.objects.get(code="marketing").legal_basis == "consent"
    for activity in ProcessingActivity.objects.all():
        assert set(activity.names) == {"el", "en", "pl"}
        assert all(activity.purposes[lang] for lang in ("el", "en", "pl"))


def test_the_first_version_exists_after_migrate():
    version = record.current()
    assert version.number == 1
    assert version.snapshot["dpo"]["email"] == "privacy@kyklos.localhost"
    assert version.snapshot["authority"]["url"] == "https://www.dpa.gr"


@pytest.mark.parametrize(
    "language, heading, authority",
    [
        ("en", "Privacy notice", "Hellenic Data Protection Authority"),
        ("el", "Πολιτική απορρήτου", "Αρχή Προστασίας Δεδομένων Προσωπικού Χαρακτήρα"),
        ("pl", "Informacja o prywatności", "Grecki Urząd Ochrony Danych Osobowych"),
    ],
)
def test_the_public_notice_is_generated_in_each_language(client, language, heading, authority):
    client.cookies["django_language"] = language
    page = client.get(reverse("privacy:notice")).content.decode()
    assert authority in page
    assert "privacy@kyklos.localhost" in page  # the DPO (R9.7)
    assert "Kyklos Demo Hosting IKE" in page
    billing = ProcessingActivity.objects.get(code="billing")
    assert billing.names[language] in page
    assert billing.purposes[language] in page
    # Transfers outside the EEA are named with their safeguard.
    assert "Google LLC" in page
    if language == "en":
        assert heading in page
        assert "5 years from the end of the fiscal year" in page
        assert "3 months from collection" in page


def test_the_notice_pdf_is_a_pdf(client):
    response = client.get(reverse("privacy:notice_pdf", args=[1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_changing_the_record_publishes_a_new_version_and_keeps_the_old_one(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Recipient.objects.create(name="Backup storage GmbH", role="processor", country="DE")
    assert NoticeVersion.objects.count() == 2
    new = record.latest()
    assert new.number == 2
    assert "Backup storage GmbH" in str(new.snapshot["recipients"])
    assert "Backup storage GmbH" not in str(NoticeVersion.objects.get(number=1).snapshot)
    # Nothing changed: no new version.
    assert record.publish_if_changed() is None
    old_page = client.get(reverse("privacy:notice_version", args=[1])).content.decode()
    assert "This is an earlier version." in old_page
    assert "Backup storage GmbH" not in old_page


def test_a_significant_change_notifies_every_current_customer_once_set_based(settings, staff):
    settings.KYKLOS_BATCH_SIZE = 2
    people = [factories.customer(language=lang) for lang in ("el", "en", "pl", "en", "el")]
    factories.customer(status="locked")
    version = record.current()
    summary = {"el": "Νέος συνεργάτης", "en": "A new processor", "pl": "Nowy podmiot"}

    with CaptureQueriesContext(connection) as queries:
        count = record.notify_customers(version, summary=summary, actor=staff)

    assert count == 5
    rows = Outbox.objects.filter(event=record.NOTICE_CHANGED).order_by("customer_id")
    assert [r.customer_id for r in rows] == [p.pk for p in people]
    assert rows[0].context["summary"] == "Νέος συνεργάτης"
    assert rows[1].context["summary"] == "A new processor"
    assert rows[0].context["notice_url"].endswith("/privacy/notice/v1/")
    # 3 batches of customers: a SELECT and an INSERT each, not one per customer.
    inserts = [
        q for q in queries.captured_queries if 'INSERT INTO "notifications_outbox"' in q["sql"]
    ]
    assert len(inserts) == 3
    with pytest.raises(Exception, match="already notified"):
        with transaction.atomic():
            record.notify_customers(version, summary=summary, actor=staff)
    assert Outbox.objects.filter(event=record.NOTICE_CHANGED).count() == 5


def test_a_notification_needs_a_summary_and_writes_nothing_without(staff):
    factories.customer()
    with pytest.raises(Exception, match="Say what changed"):
        record.notify_customers(record.current(), summary={"en": " "}, actor=staff)
    assert Outbox.objects.count() == 0
    assert record.current().notified_at is None


def test_the_notice_page_carries_the_banner_and_no_inline_code(client):
    from tests.portal.test_security import inline_code

    page = client.get(reverse("privacy:notice")).content.decode()
    assert 'class="cookie-banner"' in page
    assert inline_code(page).found == []
    assert "script-src 'self'" in client.get(reverse("privacy:notice"))["Content-Security-Policy"]
