"""Issue 17 "Done when", end to end on the real code paths: a customer orders and pays a
proforma, the receipt or invoice is issued, its transmission is sent by the job to the
national system — the local myDATA and KSeF peers, started once for this module — and the
identifiers reach the document's PDF and the portal; a credit note is reported against its
original, waiting for the original's identifier when it has none yet; an outage reports
every document exactly once; a refusal waits in the staff queue until sent again."""
# ruff: noqa: F811 - the fixtures are imported from ksef_fixtures

import io
import json
from datetime import date, timedelta

import pypdf
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from kyklos.accounts import roles
from kyklos.billing import selectors as billing
from kyklos.billing.documents import qr_data_uri, render_html
from kyklos.billing.models import Invoice, Transmission
from kyklos.billing.services import issue_credit_note
from kyklos.catalog.models import Price
from kyklos.core import clock
from kyklos.einvoicing import services
from kyklos.einvoicing.channels.ksef.crypto import is_ksef_number
from kyklos.einvoicing.channels.mydata import schema
from kyklos.einvoicing.models import Attempt, ChannelConfig
from kyklos.lifecycle.services import order_service
from kyklos.payments.services import record_payment
from tests import factories
from tests.accounts.conftest import make_user
from tests.einvoicing.conftest import configure, staff
from tests.einvoicing.ksef_fixtures import (  # noqa: F401 - fixtures
    PROVIDER,
    SELLER_NIP,
    fa3_schema,
    polish_provider,
)
from tests.einvoicing.ksef_peer import KsefPeer
from tests.einvoicing.mydata_peer import MyDataPeer, aade_uid

pytestmark = pytest.mark.django_db

DAY = date(2027, 5, 3)
NOON = clock.start_of_day(DAY) + timedelta(hours=12)
MYDATA_SCHEMAS = schema.locate("v1.0.10")
GREEK = {"user_id": "kyklos", "subscription_key": "test-key"}
KSEF_TOKEN = "20270301-EC-0123456789-ABCDEF0123-45|nip-5261040828|0a1b2c3d4e5f"
Status = Transmission.Status


# --- the national systems: started once, emptied for each test ------------------------------


@pytest.fixture(scope="module")
def mydata_peer():
    if MYDATA_SCHEMAS is None:
        pytest.skip("the official myDATA XSDs are not at ../shared/national-einvoice/mydata/")
    peer = MyDataPeer(MYDATA_SCHEMAS).start()
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def ksef_peer(fa3_schema):
    peer = KsefPeer(nip=SELLER_NIP, token=KSEF_TOKEN, schema=fa3_schema).start()
    yield peer
    peer.stop()


@pytest.fixture
def greece(mydata_peer, settings):
    """A Greek provider (the default seller EL094014201) reporting to the myDATA peer."""
    settings.KYKLOS_COUNTRY = "GR"
    if not mydata_peer.running:
        mydata_peer.start()
    mydata_peer.reset()
    configure("mydata", "GR", {"base_url": mydata_peer.base_url, "timeout": 2}, GREEK)
    return mydata_peer


@pytest.fixture
def poland(ksef_peer, polish_provider):
    """A Polish provider (NIP 5261040828) issuing through the KSeF peer."""
    ksef_peer.reset()
    settings = {"api_url": ksef_peer.url, "poll_interval": 0, "poll_attempts": 5, "timeout": 5}
    configure("ksef", "PL", settings, {"token": KSEF_TOKEN, "nip": SELLER_NIP})
    return ksef_peer


# --- what customers and staff do ------------------------------------------------------------


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """A customer orders a year of hosting and pays its proforma by card at ``when``;
    the jobs enqueued after the commit run (the immediate task backend). Returns the
    tax document the payment issued."""

    def run(customer, *, when=NOON, currency="EUR") -> Invoice:
        product = factories.product(prices={"annual": "120.00"})
        Price.objects.filter(product=product).update(currency=currency)
        with clock.frozen(when):
            service = order_service(customer=customer, product=product, cycle="annual")
            proforma = service.renewals.get().invoice
            with django_capture_on_commit_callbacks(execute=True):
                record_payment(proforma, amount=proforma.total, method="card")
        return Invoice.objects.get(related=proforma, kind__in=["receipt", "invoice"])

    return run


@pytest.fixture
def credit(django_capture_on_commit_callbacks):
    """Staff issue a full credit note of ``document`` at ``when``; its job runs."""

    def run(document, *, when=NOON) -> Invoice:
        with clock.frozen(when), django_capture_on_commit_callbacks(execute=True):
            return issue_credit_note(document, reason="Money-back guarantee", actor=None)

    return run


def sweep(when) -> str:
    """``kyklos einvoicing send`` at ``when`` (what the scheduler runs); its output."""
    out = io.StringIO()
    with clock.frozen(when):
        call_command("einvoicing", "send", stdout=out)
    return out.getvalue()


def pdf_text(document) -> tuple[str, int]:
    """The PDF's text (pypdf) and how many closed vector shapes it draws: the QR code is
    hundreds of them (its dark modules), a document without one has none."""
    reader = pypdf.PdfReader(io.BytesIO(billing.document_pdf(document)))
    shapes = sum(
        op == b"h"
        for page in reader.pages
        for _operands, op in pypdf.generic.ContentStream(page.get_contents(), reader).operations
    )
    return "\n".join(page.extract_text() for page in reader.pages), shapes


def portal_page(customer, document) -> str:
    client = Client()
    client.force_login(customer.user)
    return client.get(reverse("portal:invoice", args=[document.pk])).content.decode()


def person(**fields):
    n = factories.customer().pk  # a unique user name
    return factories.customer(user=make_user(f"buyer{n}"), **fields)


# --- Greece: myDATA ------------------------------------------------------------------------


def test_a_greek_consumer_pays_the_receipt_gets_its_mark_and_qr_and_a_credit_note_follows(
    greece, pay, credit
):
    customer = person(language="en")
    receipt = pay(customer)

    assert receipt.kind == "receipt"
    sent = receipt.transmissions.get()
    assert (sent.authority, sent.status, sent.attempts) == ("mydata", Status.SENT, 1)
    stored = greece.state.by_mark[int(sent.mark)]
    assert stored.invoice_type == "11.2"  # retail services receipt
    assert (
        sent.uid
        == stored.uid
        == aade_uid(
            "094014201",
            "2027-05-03",
            "0",
            "11.2",
            f"{receipt.series.prefix}-2027",
            str(receipt.sequence),
        )
    )
    assert len(sent.identifiers["authentication_code"]) == 32
    assert sent.qr_url.startswith(greece.base_url + "/TimologioQR/QRInfo?q=")
    assert sent.identifiers["qr_url"] == sent.qr_url

    text, shapes = pdf_text(receipt)
    assert "MARK" in text and sent.mark in text
    assert qr_data_uri(sent.qr_url) in render_html(receipt)  # the code is AADE's link
    assert shapes > 100
    page = portal_page(customer, receipt)
    assert sent.mark in page and qr_data_uri(sent.qr_url) in page

    note = credit(receipt)
    reported = note.transmissions.get()
    assert reported.status == Status.SENT
    record = greece.state.by_mark[int(reported.mark)]
    assert (record.invoice_type, record.correlated) == ("11.4", [sent.mark])
    assert len(greece.state.by_uid) == 2


def test_a_greek_company_invoice_and_a_credit_note_sent_before_the_invoice_has_its_mark(
    greece, pay, credit
):
    company = person(kind="company", company_name="Alfa IKE", vat_id="EL094019245")
    greece.fail_next(503)  # AADE busy: the invoice waits
    invoice = pay(company)
    assert invoice.kind == "invoice"
    first = invoice.transmissions.get()
    assert first.status == Status.RETRY and first.error == "myDATA answered HTTP 503"

    note = credit(invoice, when=NOON + timedelta(seconds=10))
    waiting = note.transmissions.get()
    assert waiting.status == Status.RETRY and waiting.error_code == "mydata.original_pending"
    assert "has no myDATA MARK yet" in waiting.error
    assert greece.state.by_uid == {}  # nothing reached AADE

    output = sweep(NOON + timedelta(minutes=2))  # past the invoice's backoff only
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == waiting.status == Status.SENT, output
    invoice_record = greece.state.by_mark[int(first.mark)]
    note_record = greece.state.by_mark[int(waiting.mark)]
    assert invoice_record.invoice_type == "2.1" and note_record.invoice_type == "5.1"
    assert note_record.correlated == [first.mark]  # the credit note went after, correlated
    assert int(waiting.mark) > int(first.mark)
    assert "0 unreported" in output

    text, _shapes = pdf_text(invoice)
    assert first.mark in text
    assert first.mark in portal_page(company, invoice)


# --- Poland: KSeF --------------------------------------------------------------------------


def polish_customer(**fields):
    return person(
        language="pl",
        country="PL",
        address="ul. Polna 1",
        city="Kraków",
        postal_code="30-001",
        **fields,
    )


def test_a_polish_company_invoice_gets_its_ksef_number_upo_and_qr_and_the_kor_waits_for_it(
    poland, pay, credit
):
    company = polish_customer(kind="company", company_name="Orlen S.A.", vat_id="PL7740001454")
    poland.fail_next("/invoices", 503)  # KSeF down while the invoice is sent: it waits
    invoice = pay(company, currency="PLN")
    assert invoice.kind == "invoice" and invoice.currency == "PLN"
    first = invoice.transmissions.get()
    assert first.status == Status.RETRY and first.error_code == "ksef.unreachable"

    note = credit(invoice, when=NOON + timedelta(seconds=10))
    waiting = note.transmissions.get()
    assert (waiting.status, waiting.error_code) == (Status.RETRY, "ksef.original_pending")
    assert poland.accepted == {}

    sweep(NOON + timedelta(minutes=2))
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == waiting.status == Status.SENT
    number = first.identifiers["ksef_number"]
    assert is_ksef_number(number) and number.startswith(SELLER_NIP) and first.mark == number
    assert f"<NumerKSeFDokumentu>{number}</NumerKSeFDokumentu>" in first.identifiers["upo"]
    assert first.qr_url.startswith(
        f"https://qr-test.ksef.mf.gov.pl/invoice/{SELLER_NIP}/03-05-2027/"
    )
    kor = poland.accepted[(SELLER_NIP, "KOR", note.number)]
    assert f"<NrKSeFFaKorygowanej>{number}</NrKSeFFaKorygowanej>".encode() in kor["xml"]
    assert len(poland.accepted) == 2

    text, shapes = pdf_text(invoice)
    assert number in text and shapes > 100
    assert qr_data_uri(first.qr_url) in render_html(invoice)
    assert number in portal_page(company, invoice)


def test_a_polish_consumer_receipt_is_issued_in_ksef(poland, pay):
    receipt = pay(polish_customer(), currency="PLN")
    sent = receipt.transmissions.get()
    assert (receipt.kind, sent.status) == ("receipt", Status.SENT)
    assert poland.accepted[(SELLER_NIP, "VAT", receipt.number)]["ksef_number"] == sent.mark


# --- an outage: every document reported exactly once --------------------------------------


def test_the_peer_goes_down_mid_run_and_every_document_is_reported_exactly_once(greece, pay):
    buyers = [person() for _ in range(5)]
    greece.stop()
    receipts = [pay(buyer) for buyer in buyers]  # each job finds AADE down
    rows = Transmission.objects.filter(invoice__in=receipts)
    assert set(rows.values_list("status", flat=True)) == {Status.RETRY}
    greece.start()
    # AADE accepts two documents and crashes while answering the second: it stored it,
    # the sender never hears so.
    greece.crash_after(2)
    first_run = sweep(NOON + timedelta(minutes=2))
    assert not greece.running
    statuses = sorted(rows.values_list("status", flat=True))
    assert statuses.count(Status.SENT) == 1 and statuses.count(Status.RETRY) == 4, first_run
    assert len(greece.state.by_uid) == 2
    assert sweep(NOON + timedelta(minutes=2, seconds=30)).startswith(
        "0 transmissions created; sent: nothing due"
    )

    greece.start()
    sweep(NOON + timedelta(hours=1))  # past every backoff
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert len(greece.state.by_uid) == 5  # each stored once
    marks = dict(rows.values_list("uid", "mark"))
    assert marks == {uid: str(r.mark) for uid, r in greece.state.by_uid.items()}
    assert rows.filter(duplicate=True).count() == 1  # the one whose answer was lost
    assert not rows.filter(status=Status.FAILED).exists()


# --- refusals: the staff queue -------------------------------------------------------------


def test_a_refusal_waits_for_staff_with_the_answer_and_is_sent_again_once_fixed(
    greece, pay, django_capture_on_commit_callbacks
):
    config = ChannelConfig.objects.get()
    config.settings = {**config.settings, "b2b_mandate_from": DAY.isoformat()}
    services.save_config(config, credentials={**GREEK, "subscription_key": "expired"}, actor="t")
    receipt = pay(person())
    mandated = pay(person(kind="company", company_name="Beta AE", vat_id="EL094019245"))
    refused, outside = receipt.transmissions.get(), mandated.transmissions.get()
    assert (refused.status, refused.error_code) == (Status.FAILED, "401")
    assert (outside.status, outside.error_code) == (Status.FAILED, "mydata.b2b_mandate")

    billing_staff = staff(roles.BILLING)
    queue = billing_staff.get(
        reverse("admin:billing_transmission_changelist"), {"status__exact": "failed"}
    ).content.decode()
    assert "myDATA refused the credentials (HTTP 401)" in queue
    assert "certified e-invoicing provider" in queue
    assert (
        "Access denied"
        in billing_staff.get(
            reverse("admin:billing_transmission_change", args=[refused.pk])
        ).content.decode()
    )

    # The administrator enters the right key; billing sends both again.
    admin = staff(roles.ADMIN)
    response = admin.post(
        reverse("admin:einvoicing_channelconfig_change", args=[config.pk]),
        {
            "channel": "mydata",
            "country": "GR",
            "enabled": "on",
            "environment": "test",
            "applies_from": DAY.isoformat(),
            "settings": json.dumps(config.settings),
            "credentials": "user_id=kyklos\nsubscription_key=test-key",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with django_capture_on_commit_callbacks(execute=True), clock.frozen(NOON + timedelta(hours=1)):
        billing_staff.post(
            reverse("admin:billing_transmission_changelist"),
            {"action": "send_again", "_selected_action": [refused.pk, outside.pk]},
        )
    refused.refresh_from_db()
    outside.refresh_from_db()
    assert refused.status == Status.SENT and greece.state.by_uid[refused.uid].mark == int(
        refused.mark
    )
    assert outside.status == Status.FAILED  # the law has not changed: still refused, said why
    assert "certified e-invoicing provider" in outside.error
    assert len(greece.state.by_uid) == 1
    assert list(refused.attempts_made.values_list("result", flat=True)) == [
        Attempt.Result.PERMANENT,
        Attempt.Result.SENT,
    ]
