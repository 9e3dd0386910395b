"""The myDATA REST client against a local peer that checks requests as AADE does
(tests/einvoicing/mydata_peer.py): identifiers, duplicates, refusals, outages, cancel."""

import pytest
from lxml import etree

from kyklos.billing.models import Transmission
from kyklos.einvoicing.channels.base import Credentials, PermanentFailure, TemporaryFailure
from kyklos.einvoicing.channels.mydata import MyDataChannel, client
from kyklos.einvoicing.channels.mydata.channel import payload_uid
from tests.einvoicing.mydata_peer import FIRST_MARK, MyDataPeer, aade_uid
from tests.einvoicing.test_mydata_xml import CASES, SCHEMAS, issue

pytestmark = pytest.mark.django_db

CHANNEL = MyDataChannel()
GOOD = Credentials({"user_id": "kyklos", "subscription_key": "test-key"})


@pytest.fixture
def peer():
    if SCHEMAS is None:
        pytest.skip("the official myDATA XSDs are not at ../shared/national-einvoice/mydata/")
    running = MyDataPeer(SCHEMAS).start()
    yield running
    running.stop()


@pytest.fixture
def settings_for(peer):
    return {"base_url": peer.base_url, "timeout": 2}


def send(document, settings, credentials=GOOD):
    return CHANNEL.send(document, CHANNEL.build(document, settings), settings, credentials)


def test_an_accepted_document_gets_mark_uid_authentication_code_and_qr(peer, settings_for):
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    outcome = send(paid, settings_for)
    assert not outcome.duplicate
    assert outcome.identifiers["mark"] == str(FIRST_MARK)
    assert outcome.identifiers["uid"] == aade_uid(
        "094014201", "2027-03-01", "0", "11.2", f"{paid.series.prefix}-2027", str(paid.sequence)
    )
    assert len(outcome.identifiers["authentication_code"]) == 32
    assert outcome.identifiers["qr_url"].startswith(peer.base_url + "/TimologioQR/QRInfo?q=")
    assert "<invoiceType>11.2</invoiceType>" in outcome.request
    assert "<statusCode>Success</statusCode>" in outcome.response
    path, user, body = peer.state.requests[-1]
    assert (path, user) == ("/SendInvoices", "kyklos") and b"InvoicesDoc" in body


def test_every_answer_of_the_peer_is_a_valid_response_doc(peer, settings_for):
    from kyklos.einvoicing.channels.mydata import schema

    xsd = schema.response_schema(SCHEMAS, "v1.0.10")
    paid, *_ = issue(CASES["invoice-domestic"].customer)
    send(paid, settings_for)
    send(paid, settings_for)  # duplicate
    with pytest.raises(PermanentFailure):
        CHANNEL.send(paid, type(CHANNEL.build(paid, {}))(b"<x/>"), settings_for, GOOD)
    assert len(peer.state.answers) == 3
    for answer in peer.state.answers:
        assert xsd.validate(etree.fromstring(answer)), answer


def test_sending_again_is_answered_as_a_duplicate_with_the_earlier_mark(peer, settings_for):
    paid, *_ = issue(CASES["invoice-reverse-charge"].customer)
    first = send(paid, settings_for)
    again = send(paid, settings_for)
    assert again.duplicate
    assert again.identifiers["mark"] == first.identifiers["mark"]
    assert again.identifiers["uid"] == first.identifiers["uid"]
    assert again.identifiers["authentication_code"] == first.identifiers["authentication_code"]
    assert peer.marks() == [int(first.identifiers["mark"])]


def test_a_credit_note_is_accepted_correlated_to_its_invoice(peer, settings_for):
    paid, _open, credit = issue(CASES["invoice-domestic"].customer)
    Transmission.objects.filter(invoice=paid).delete()
    accepted = send(paid, settings_for)
    Transmission.objects.create(
        invoice=paid, authority="mydata", status="accepted", mark=accepted.identifiers["mark"]
    )
    outcome = send(credit, settings_for)
    record = peer.state.by_mark[int(outcome.identifiers["mark"])]
    assert (record.invoice_type, record.correlated) == ("5.1", [accepted.identifiers["mark"]])


def test_a_credit_note_correlated_to_an_unknown_mark_is_refused(peer, settings_for):
    _paid, _open, credit = issue(CASES["invoice-domestic"].customer)  # MARK 400001900000777
    with pytest.raises(PermanentFailure, match="Correlated invoices") as refused:
        send(credit, settings_for)
    assert refused.value.code == "106"
    assert "<correlatedInvoices>400001900000777" in refused.value.request


@pytest.mark.parametrize(
    "credentials",
    [
        Credentials({"user_id": "kyklos", "subscription_key": "wrong"}),
        Credentials({"user_id": "someone", "subscription_key": "test-key"}),
        Credentials({"user_id": "kyklos", "subscription_key": ""}),
    ],
)
def test_refused_credentials_are_a_permanent_failure_staff_must_fix(
    peer, settings_for, credentials
):
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    with pytest.raises(PermanentFailure, match="refused the credentials") as refused:
        send(paid, settings_for, credentials)
    assert refused.value.code == "401"
    assert "Access denied" in refused.value.response
    with pytest.raises(PermanentFailure, match="lack 'subscription_key'"):
        send(paid, settings_for, Credentials({"user_id": "kyklos"}))
    assert peer.marks() == []


def test_validation_errors_carry_aade_codes_and_messages(peer, settings_for):
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    payload = CHANNEL.build(paid, {})
    broken = type(payload)(payload.body.replace(b"<aa>", b"<bb>", 1).replace(b"</aa>", b"</bb>", 1))
    with pytest.raises(PermanentFailure, match="XMLSyntaxError") as refused:
        CHANNEL.send(paid, broken, settings_for, GOOD)
    assert refused.value.code == "101" and "bb" in refused.value.response
    # The issuer must be the VAT number the myDATA user belongs to.
    peer.state.users["kyklos"] = ("test-key", "099095556")
    with pytest.raises(PermanentFailure, match="does not belong") as refused:
        CHANNEL.send(paid, payload, settings_for, GOOD)
    assert refused.value.code == "102"


def test_a_wrong_greek_counterpart_vat_number_is_refused(peer, settings_for):
    paid, *_ = issue(CASES["invoice-domestic"].customer)
    payload = CHANNEL.build(paid, {})
    wrong = type(payload)(payload.body.replace(b"094019245", b"094019246"))
    with pytest.raises(PermanentFailure, match="VAT number is invalid") as refused:
        CHANNEL.send(paid, wrong, settings_for, GOOD)
    assert refused.value.code == "104"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_are_temporary(peer, settings_for, status):
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    peer.fail_next(status)
    with pytest.raises(TemporaryFailure) as failed:
        send(paid, settings_for)
    assert failed.value.code == str(status)
    assert send(paid, settings_for).identifiers["mark"]  # the retry goes through


def test_a_stopped_peer_is_temporary_and_reporting_resumes_when_it_is_back(peer, settings_for):
    paid, *_ = issue(CASES["receipt-eu-consumer"].customer)
    peer.stop()
    with pytest.raises(TemporaryFailure, match="unreachable"):
        send(paid, settings_for)
    peer.start()
    assert settings_for["base_url"] == peer.base_url  # same port after a restart
    assert send(paid, settings_for).identifiers["mark"] == str(FIRST_MARK)


def test_a_slow_answer_times_out_as_temporary(peer, settings_for):
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    peer.state.delay = 1.0
    with pytest.raises(TemporaryFailure, match="did not answer"):
        send(paid, {**settings_for, "timeout": 0.2})


def test_a_technical_error_answer_is_temporary():
    answer = client.Answer("TechnicalError", errors=[("500", "Internal error")])
    assert isinstance(client.failure(answer), TemporaryFailure)
    refused = client.Answer(
        "ValidationError", errors=[("228", "The INVOICE TYPE: 11.5 is invalid")]
    )
    assert client.duplicate_of(refused) is None  # 228 names other invalid fields too
    assert isinstance(client.failure(refused), PermanentFailure)


def test_cancel_a_document_sent_in_error(peer, settings_for):
    paid, *_ = issue(CASES["receipt-domestic"].customer)
    mark = send(paid, settings_for).identifiers["mark"]
    cancelled = CHANNEL.cancel(mark, settings_for, GOOD)
    assert cancelled.identifiers == {"mark": mark, "cancellation_mark": str(FIRST_MARK + 1)}
    assert peer.state.requests[-1][0] == "/CancelInvoice"
    with pytest.raises(PermanentFailure, match="already cancelled") as refused:
        CHANNEL.cancel(mark, settings_for, GOOD)
    assert refused.value.code == "107"
    with pytest.raises(PermanentFailure, match="not found"):
        CHANNEL.cancel("400009999999999", settings_for, GOOD)
    with pytest.raises(PermanentFailure, match="is not a myDATA MARK"):
        CHANNEL.cancel("12; DROP", settings_for, GOOD)
    # Once cancelled, the corrected document can be sent again under the same number.
    assert send(paid, settings_for).identifiers["mark"] == str(FIRST_MARK + 2)


def test_the_uid_of_a_payload_is_the_one_aade_computes():
    paid, *_ = issue(CASES["invoice-domestic"].customer)
    uid = payload_uid(CHANNEL.build(paid, {}).body)
    assert uid == aade_uid(
        "094014201", "2027-03-01", "0", "2.1", f"{paid.series.prefix}-2027", str(paid.sequence)
    )


def test_environments_have_the_published_base_urls():
    assert client.base_url({}) == "https://mydataapidev.aade.gr"
    assert client.base_url({"environment": "production"}) == "https://mydatapi.aade.gr/myDATA"
    with pytest.raises(PermanentFailure, match="Unknown myDATA environment"):
        client.base_url({"environment": "staging"})
