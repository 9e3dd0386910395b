"""The provider as its customers' processor (R9.8) and the disclosure log (R9.5)."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.privacy import disclosures, processor, requests
from kyklos.privacy.models import (
    Disclosure,
    DpaAcceptance,
    DpaVersion,
    ProcessorActivity,
    Recipient,
    SubprocessorChange,
)
from tests import factories
from tests.privacy.conftest import TODAY, make_login


@pytest.fixture(autouse=True)
def _english():
    """Errors are matched in English, whatever language a portal request activated."""
    with translation.override("en"):
        yield


def run(customer, kind):
    return factories.active_service(
        customer, factories.product(kind), expires_on=TODAY + timedelta(days=200)
    )


@pytest.fixture
def hosted(customer, today):
    """Maria has a hosting plan and a chat plugin: we process her visitors' data."""
    run(customer, "shared_hosting")
    run(customer, "chat_saas")
    return customer


def test_a_customer_with_hosting_or_chat_has_a_record_as_processor_with_subprocessors(
    hosted, other_customer
):
    run(other_customer, "domain")  # a domain alone: nothing processed on their behalf

    entries = processor.record_for(hosted.pk, "en")
    assert [e.code for e in entries] == ["hosted_sites", "mailboxes", "chat_conversations"]
    sites = entries[0]
    assert sites.services == 1
    assert [s["name"] for s in sites.subprocessors] == [
        "Data-centre and hosting provider",
        "Off-site backup storage",
    ]
    assert sites.transfers == []  # GR and DE: inside the EEA
    assert "TLS" in sites.measures
    assert processor.record_for(other_customer.pk, "en") == []
    assert processor.record_for(hosted.pk, "pl")[2].name == "Rozmowy we wtyczce czatu"

    register = processor.processor_register("en")
    assert [row["customer_id"] for row in register if row["activities"]] == [hosted.pk]
    assert register[0]["controller_email"] == "maria@example.gr"


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("en", "Record of processing as your processor", "I accept the data-processing agreement"),
        ("el", "Αρχείο επεξεργασίας ως εκτελούντος", "Αποδέχομαι τη σύμβαση επεξεργασίας"),
        ("pl", "Rejestr przetwarzania jako podmiotu", "Akceptuję umowę powierzenia"),
    ],
)
def test_the_record_and_the_dpa_are_in_the_portal_and_accepted_with_version_and_time(
    hosted, portal, language, title, button
):
    portal.cookies["django_language"] = language
    page = portal.get(reverse("privacy:processor"), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert page.status_code == 200
    assert title in text and button in text
    assert DpaVersion.objects.get().text(language).splitlines()[0] in text

    portal.post(reverse("privacy:processor"), {"version": 1})
    acceptance = DpaAcceptance.objects.get()
    assert (acceptance.customer_id, acceptance.version.number) == (hosted.pk, 1)
    assert acceptance.accepted_at.date() == TODAY and acceptance.channel == "portal"
    assert AuditEvent.objects.filter(action="privacy.dpa.accepted").count() == 1
    assert button not in portal.get(reverse("privacy:processor")).content.decode()


def test_an_outdated_dpa_version_cannot_be_accepted_and_a_new_one_needs_every_language(
    hosted, staff
):
    with pytest.raises(ValidationError, match="Greek|el"):
        processor.publish_dpa(texts={"en": "v2", "pl": "v2"}, actor=staff)
    processor.publish_dpa(texts={"el": "ν2", "en": "v2", "pl": "v2"}, actor=staff)
    with pytest.raises(ValidationError, match="no longer in force"):
        processor.accept_dpa(hosted.pk, version=1)
    assert not DpaAcceptance.objects.exists()
    processor.accept_dpa(hosted.pk, version=2)
    processor.accept_dpa(hosted.pk, version=2)  # twice: the first acceptance stays
    assert processor.accepted_version(hosted.pk) == 2
    assert DpaAcceptance.objects.count() == 1


def test_a_subprocessor_change_is_told_to_the_customers_it_concerns_in_their_language(
    hosted, other_customer, staff
):
    run(other_customer, "domain")
    greek = factories.customer(name="Giorgos Mail", email="giorgos@example.gr", language="el")
    run(greek, "email_hosting")
    newcomer = Recipient.objects.create(name="Spam filter GmbH", role="processor", country="DE")
    mailboxes = ProcessorActivity.objects.get(code="mailboxes")

    changes = processor.change_subprocessors(mailboxes, add=[newcomer], actor=staff)

    assert newcomer in mailboxes.subprocessors.all()
    notices = Outbox.objects.filter(event=processor.SUBPROCESSOR_EVENT).order_by("to_email")
    assert [(n.to_email, n.language) for n in notices] == [
        ("giorgos@example.gr", "el"),
        ("maria@example.gr", "en"),  # her hosting plan brings mailboxes too
    ]
    assert notices[0].context["added"] == "Spam filter GmbH"
    assert notices[0].context["effective_on"] == (TODAY + timedelta(days=30)).isoformat()
    assert notices[0].context["activity"] == "Φιλοξενούμενα γραμματοκιβώτια"
    change = SubprocessorChange.objects.get()
    assert (change.change, change.customers_notified) == ("added", 2)
    assert changes == [change]


def test_a_subprocessor_change_that_is_refused_writes_nothing(hosted, staff):
    bank = Recipient.objects.get(name="Banks")
    sites = ProcessorActivity.objects.get(code="hosted_sites")
    with pytest.raises(ValidationError, match="Only processors"):
        processor.change_subprocessors(sites, add=[bank], actor=staff)
    with pytest.raises(ValidationError, match="Nothing changes"):
        processor.change_subprocessors(sites, remove=[bank], actor=staff)
    with pytest.raises(ValidationError, match="past"):
        processor.change_subprocessors(
            sites,
            remove=list(sites.subprocessors.all()),
            effective_on=TODAY - timedelta(days=1),
            actor=staff,
        )
    assert sites.subprocessors.count() == 2
    assert not SubprocessorChange.objects.exists()
    assert not Outbox.objects.filter(event=processor.SUBPROCESSOR_EVENT).exists()


# --- disclosures (R9.5) -------------------------------------------------------------------


def disclose(staff, customer, **fields):
    return disclosures.record_disclosure(
        actor=staff,
        customer_id=customer.pk,
        recipient=fields.pop("recipient", "Cybercrime Unit, Hellenic Police"),
        recipient_kind="authority",
        data=fields.pop("data", "Login IP addresses of March 2027"),
        legal_basis=fields.pop("legal_basis", "Order 123/2027 of the Athens prosecutor"),
        disclosed_on=fields.pop("disclosed_on", TODAY),
        **fields,
    )


def archive_of(customer, staff) -> dict:
    done = requests.fulfil(requests.submit_as_customer(customer.user, kind="access"), actor=staff)
    with done.archive.open("rb") as f:
        return json.loads(zipfile.ZipFile(io.BytesIO(f.read())).read("data.json"))


def test_a_disclosure_is_in_the_persons_access_archive_unless_the_law_withholds_it(
    customer, staff, today
):
    disclose(staff, customer)
    disclose(
        staff,
        customer,
        recipient="Tax audit office",
        data="Invoices of 2026",
        withheld=True,
        withheld_until=date(2027, 6, 1),
    )
    disclose(staff, customer, recipient="Court of Thessaloniki", withheld=True)

    shown = archive_of(customer, staff)["disclosures"]["privacy.Disclosure"]
    assert shown == [
        {
            "disclosed_on": "2027-03-01",
            "recipient": "Cybercrime Unit, Hellenic Police",
            "recipient_kind": "authority",
            "data": "Login IP addresses of March 2027",
            "legal_basis": "Order 123/2027 of the Athens prosecutor",
        }
    ]
    court = Disclosure.objects.get(recipient="Court of Thessaloniki")
    disclosures.lift_withholding(court, actor=staff)
    assert len(archive_of(customer, staff)["disclosures"]["privacy.Disclosure"]) == 2


def test_only_the_dpo_records_disclosures_and_bad_input_writes_nothing(customer, staff, today):
    clerk = make_login("clerk", is_staff=True)
    with pytest.raises(PermissionDenied):
        disclose(clerk, customer)
    with pytest.raises(ValidationError) as refused:
        disclose(staff, customer, legal_basis=" ", disclosed_on=TODAY + timedelta(days=1))
    assert set(refused.value.message_dict) == {"legal_basis", "disclosed_on"}
    with pytest.raises(ValidationError, match="withheld box"):
        disclose(staff, customer, withheld_until=date(2027, 9, 1))
    assert not Disclosure.objects.exists()
    disclose(staff, customer)
    assert AuditEvent.objects.filter(action="privacy.disclosure.recorded").count() == 1
