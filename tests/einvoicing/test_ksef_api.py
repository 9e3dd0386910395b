"""The KSeF channel against a local KSeF API 2.0 peer (tests/einvoicing/ksef_peer.py)."""
# ruff: noqa: F811 - the fixtures are imported from ksef_fixtures

import base64
import hashlib
from datetime import date

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from kyklos.core import clock
from kyklos.einvoicing.channels.base import Credentials, PermanentFailure, TemporaryFailure
from kyklos.einvoicing.channels.ksef import KsefChannel, verification_codes
from kyklos.einvoicing.channels.ksef.crypto import is_ksef_number
from tests.einvoicing.ksef_fixtures import (  # noqa: F401 - fixtures
    CASES,
    SELLER_NIP,
    documents,
    fa3_schema,
    polish_provider,
)
from tests.einvoicing.ksef_peer import KsefPeer

pytestmark = pytest.mark.django_db
TOKEN = "20270301-EC-0123456789-ABCDEF0123-45|nip-5261040828|0a1b2c3d4e5f"
TODAY = date(2027, 3, 20)


@pytest.fixture
def peer(fa3_schema):
    server = KsefPeer(nip=SELLER_NIP, token=TOKEN, schema=fa3_schema).start()
    yield server
    server.stop()


@pytest.fixture
def channel_settings(peer):
    numbers = {}
    return {
        "api_url": peer.url,
        "qr_url": "https://qr-test.ksef.mf.gov.pl",
        "poll_interval": 0,
        "poll_attempts": 5,
        "timeout": 5,
        "ksef_number_of": lambda original: numbers.get(original.pk, ""),
        "numbers": numbers,
    }


CREDENTIALS = Credentials({"token": TOKEN})


def send(document, settings, credentials=CREDENTIALS):
    channel = KsefChannel(settings)
    payload = channel.build(document, settings)
    with clock.frozen(TODAY):
        outcome = channel.send(document, payload, settings, credentials)
    settings["numbers"][document.pk] = outcome.identifiers["ksef_number"]
    return payload, outcome


@pytest.mark.parametrize("case", CASES)
def test_every_document_is_accepted_with_its_ksef_number_upo_and_qr(
    polish_provider, peer, channel_settings, case
):
    docs = documents(CASES[case][0])
    seen = set()
    for name in ("paid", "open", "full_credit", "partial_credit"):
        payload, outcome = send(docs[name], channel_settings)
        ids = outcome.identifiers
        assert not outcome.duplicate
        assert is_ksef_number(ids["ksef_number"]) and ids["ksef_number"].startswith(SELLER_NIP)
        assert ids["ksef_number"] not in seen
        seen.add(ids["ksef_number"])
        assert f"<NumerKSeFDokumentu>{ids['ksef_number']}</NumerKSeFDokumentu>" in ids["upo"]
        digest = base64.urlsafe_b64encode(hashlib.sha256(payload.body).digest()).rstrip(b"=")
        day = docs[name].issued_on.strftime("%d-%m-%Y")
        assert ids["qr_url"] == (
            f"https://qr-test.ksef.mf.gov.pl/invoice/{SELLER_NIP}/{day}/{digest.decode()}"
        )
        assert "encryptedInvoiceContent" in outcome.request and TOKEN not in outcome.request
    assert len(peer.accepted) == 4
    # The credit note names the KSeF number its invoice received.
    note = peer.accepted[(SELLER_NIP, "KOR", docs["full_credit"].number)]
    assert channel_settings["numbers"][docs["paid"].pk].encode() in note["xml"]


def test_the_flow_follows_the_published_endpoints(polish_provider, peer, channel_settings):
    send(documents(CASES["domestic"][0])["paid"], channel_settings)
    paths = [(method, path.split("/")[2:4]) for method, path in peer.requests]
    assert [p for p in paths][:5] == [
        ("GET", ["security", "public-key-certificates"]),
        ("POST", ["auth", "challenge"]),
        ("POST", ["auth", "ksef-token"]),
        ("GET", ["auth", paths[3][1][1]]),
        ("POST", ["auth", "token"]),
    ]
    methods = [(m, p.rsplit("/", 1)[-1]) for m, p in peer.requests[5:]]
    assert methods[0] == ("POST", "online")
    assert methods[1] == ("POST", "invoices")
    assert methods[-1] == ("POST", "close")
    assert all(not s["open"] for s in peer.sessions.values())  # every session closed


def test_sent_after_its_issue_day_an_invoice_is_declared_offline(
    polish_provider, peer, channel_settings
):
    docs = documents(CASES["domestic"][0])
    send(docs["paid"], channel_settings)  # issued 2027-03-01, sent 2027-03-20
    assert next(iter(peer.accepted.values()))["offline"] is True


def test_a_second_send_is_a_duplicate_with_the_first_number(
    polish_provider, peer, channel_settings
):
    invoice = documents(CASES["reverse_charge"][0])["open"]
    _payload, first = send(invoice, channel_settings)
    _payload, again = send(invoice, channel_settings)
    assert again.duplicate
    assert again.identifiers["ksef_number"] == first.identifiers["ksef_number"]
    assert again.identifiers["upo"] == first.identifiers["upo"]
    assert len(peer.accepted) == 1


def test_status_polling_waits_for_processing(polish_provider, peer, channel_settings):
    peer.pending_polls = 2
    _payload, outcome = send(documents(CASES["domestic"][0])["paid"], channel_settings)
    assert is_ksef_number(outcome.identifiers["ksef_number"])
    peer.pending_polls = 10  # more than poll_attempts: still processing → try later
    invoice = documents(CASES["domestic"][0])["open"]
    with pytest.raises(TemporaryFailure) as failure:
        send(invoice, channel_settings)
    assert failure.value.code == "ksef.pending"
    peer.pending_polls = 0
    _payload, later = send(invoice, channel_settings)  # the retry finds it accepted
    assert later.duplicate and is_ksef_number(later.identifiers["ksef_number"])


def test_a_schema_error_is_a_permanent_failure_with_ksef_codes(
    polish_provider, peer, channel_settings
):
    invoice = documents(CASES["domestic"][0])["paid"]
    channel = KsefChannel(channel_settings)
    payload = channel.build(invoice, channel_settings)
    broken = type(payload)(payload.body.replace(b"<P_12>23</P_12>", b"<P_12>24</P_12>", 1))
    with pytest.raises(PermanentFailure) as failure:
        channel.send(invoice, broken, channel_settings, CREDENTIALS)
    assert failure.value.code == "ksef.450"
    assert "P_12" in str(failure.value)
    assert '"code": 450' in failure.value.response
    assert not peer.accepted


def test_a_wrong_token_is_a_permanent_failure(polish_provider, peer, channel_settings):
    invoice = documents(CASES["domestic"][0])["paid"]
    with pytest.raises(PermanentFailure) as failure:
        send(invoice, channel_settings, Credentials({"token": "not-the-token"}))
    assert failure.value.code == "ksef.auth_450"
    with pytest.raises(PermanentFailure) as failure:
        send(invoice, channel_settings, Credentials({}))
    assert failure.value.code == "ksef.no_token"


def test_an_invoice_of_another_nip_is_refused(polish_provider, peer, channel_settings):
    invoice = documents(CASES["domestic"][0])["paid"]
    channel = KsefChannel()
    payload = channel.build(invoice, channel_settings)  # Podmiot1: 5261040828
    peer.nip = "1111111111"  # the token's context is another company
    with pytest.raises(PermanentFailure) as failure:
        channel.send(invoice, payload, {**channel_settings, "nip": "1111111111"}, CREDENTIALS)
    assert failure.value.code == "ksef.410"
    assert not peer.accepted


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/sessions/online", 429, "ksef.429"),
        ("/auth/challenge", 503, "ksef.unreachable"),
        ("/invoices", 500, "ksef.unreachable"),
    ],
)
def test_throttling_and_server_errors_are_temporary(
    polish_provider, peer, channel_settings, path, status, code
):
    invoice = documents(CASES["domestic"][0])["paid"]
    peer.fail_next(path, status)
    with pytest.raises(TemporaryFailure) as failure:
        send(invoice, channel_settings)
    assert failure.value.code == code
    assert failure.value.request  # the exchange, for support
    _payload, outcome = send(invoice, channel_settings)  # the retry goes through
    assert is_ksef_number(outcome.identifiers["ksef_number"])


def test_a_closed_session_answer_is_temporary(polish_provider, peer, channel_settings):
    from kyklos.einvoicing.channels.ksef.client import _exception_failure

    failure = _exception_failure(
        400,
        '{"exception": {"exceptionDetailList": [{"exceptionCode": 21180, '
        '"exceptionDescription": "Status sesji nie pozwala na wykonanie operacji."}]}}',
        "/sessions/online/x/invoices",
    )
    assert isinstance(failure, TemporaryFailure) and failure.code == "ksef.21180"
    failure = _exception_failure(
        400,
        '{"exception": {"exceptionDetailList": [{"exceptionCode": 21405, '
        '"exceptionDescription": "Błąd walidacji danych wejściowych."}]}}',
        "/sessions/online",
    )
    assert isinstance(failure, PermanentFailure) and failure.code == "ksef.21405"


def test_stopped_peer_then_offline24_then_upload_exactly_once(
    polish_provider, peer, channel_settings
):
    invoices = documents(CASES["domestic"][0])
    settings = {**channel_settings, "offline24": True, "timeout": 1}
    first = invoices["paid"]
    send(first, settings)
    peer.stop()
    with pytest.raises(TemporaryFailure) as failure:
        send(invoices["open"], settings)
    assert failure.value.code == "ksef.offline"
    assert "offline24" in str(failure.value) and "2027-03-02" in str(failure.value)
    without = {**channel_settings, "timeout": 1}
    with pytest.raises(TemporaryFailure) as failure:
        send(invoices["open"], without)
    assert failure.value.code == "ksef.unreachable"
    peer.start()
    for document in (first, invoices["open"], invoices["open"]):
        send(document, settings)
    assert len(peer.accepted) == 2  # each document once, whatever the retries


def _offline_certificate(kind):
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kyklos offline")])
    now = clock.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x01F20A5D352AE590)
        .not_valid_before(now)
        .not_valid_after(now.replace(year=now.year + 1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_offline_invoice_gets_kod_i_and_a_signed_kod_ii(polish_provider, kind):
    invoice = documents(CASES["domestic"][0])["paid"]
    key, cert = _offline_certificate(kind)
    credentials = Credentials(
        {
            "token": TOKEN,
            "offline_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "offline_private_key": key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
        }
    )
    payload = KsefChannel().build(invoice, {})
    codes = verification_codes(invoice, payload, {"environment": "production"}, credentials)
    assert codes["label"] == "OFFLINE"
    assert codes["kod_i"].startswith(f"https://qr.ksef.mf.gov.pl/invoice/{SELLER_NIP}/01-03-2027/")
    link, signature = codes["kod_ii"].rsplit("/", 1)
    assert link.startswith(
        f"https://qr.ksef.mf.gov.pl/certificate/Nip/{SELLER_NIP}/{SELLER_NIP}/1F20A5D352AE590/"
    )
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    signed = link.removeprefix("https://").encode()
    if kind == "rsa":
        key.public_key().verify(
            raw, signed, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256()
        )
    else:
        assert len(raw) == 64
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        key.public_key().verify(der, signed, ec.ECDSA(hashes.SHA256()))
    online = verification_codes(invoice, payload, {}, credentials, ksef_number="X")
    assert online["label"] == "X" and "kod_ii" not in online
