"""A local KSeF API 2.0 peer for tests: a threaded ``http.server`` on 127.0.0.1 that does
the published endpoints' request checks and answers with their documented JSON (and a UPO
XML), including the error and duplicate answers.

It holds its own RSA key pair (a self-signed certificate, published for both usages),
decrypts the token (``token|timestampMs``, RSA-OAEP SHA-256) and the session key,
decrypts each invoice (AES-256-CBC), checks its hashes and sizes, validates it against
the official FA(3) schema (``../shared/national-einvoice/ksef-fa3``, resolved offline) and
detects duplicates by seller NIP + RodzajFaktury + P_2, as KSeF does.

``stop()`` and ``start()`` keep the port and everything accepted, so a test can take the
system away mid-run and bring it back. ``fail_next(path_part, status)`` makes the next
matching request answer an HTTP error (429, 500, 503 …).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from kyklos.einvoicing.channels.ksef.crypto import OAEP, crc8, decrypt_aes_cbc

NS = {"fa": "http://crd.gov.pl/wzor/2025/06/25/13775/"}
CRD = (
    "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/",
    "https://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/",
)


def schema_dir() -> Path | None:
    """The official FA(3) schemas: ../shared beside the repository (CI), or /work/shared."""
    here = Path(__file__).resolve().parents[3] / "shared" / "national-einvoice" / "ksef-fa3"
    for candidate in (here, Path("/work/shared/national-einvoice/ksef-fa3")):
        if (candidate / "schemat.xsd").exists():
            return candidate
    return None


class _Resolver(etree.Resolver):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def resolve(self, url, pubid, context):
        for prefix in CRD:
            if url.startswith(prefix):
                return self.resolve_filename(str(self.folder / url[len(prefix) :]), context)
        return None


def load_schema(folder: Path) -> etree.XMLSchema:
    """schemat.xsd with its includes resolved from ``folder`` (no network)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Resolver(folder))
    return etree.XMLSchema(etree.parse(str(folder / "schemat.xsd"), parser))


_KEYS: list = []


def _peer_key():
    """The peer's RSA key pair, made once per test run (2048-bit generation is slow)."""
    if not _KEYS:
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEYS[0]


def _now() -> datetime:
    return datetime.now(UTC)


def _ref(kind: str) -> str:
    """A reference number shaped like KSeF's (``20250625-SO-2C3E6C8000-B675CF5D68-07``)."""
    parts = (secrets.token_hex(5), secrets.token_hex(5), secrets.token_hex(1))
    return f"{_now():%Y%m%d}-{kind}-" + "-".join(p.upper() for p in parts)


def ksef_number(nip: str, day: datetime, serial: int) -> str:
    body = f"{nip}-{day:%Y%m%d}-{serial:012X}"
    return f"{body}-{crc8(body.encode()):02X}"


def _exception(code: int, description: str, details: str = "") -> dict:
    return {
        "exception": {
            "exceptionDetailList": [
                {
                    "exceptionCode": code,
                    "exceptionDescription": description,
                    "details": [details] if details else [],
                }
            ],
            "serviceCode": _ref("EX"),
            "timestamp": _now().isoformat(),
        }
    }


class KsefPeer:
    """The peer's state outlives ``stop()``: tokens, sessions and accepted invoices."""

    def __init__(self, *, nip: str, token: str, schema: etree.XMLSchema | None):
        self.nip = nip
        self.token = token
        self.schema = schema
        self.key = _peer_key()
        self.certificate = self._certificate()
        self.lock = threading.Lock()
        self.challenges: dict[str, int] = {}
        self.operations: dict[str, dict] = {}  # authenticationToken → operation
        self.access_tokens: set[str] = set()
        self.sessions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}  # invoice reference → record
        self.accepted: dict[tuple[str, str, str], dict] = {}  # (nip, kind, P_2) → record
        self.serial = 0x0100001AF600
        self.requests: list[tuple[str, str]] = []
        self.failures: list[tuple[str, int]] = []
        self.pending_polls = 0  # answer 150 "processing" this many times first
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> KsefPeer:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def reset(self) -> None:
        """Forget every document, session and request (the keys stay): a fresh KSeF."""
        with self.lock:
            for store in (self.challenges, self.operations, self.sessions, self.invoices):
                store.clear()
            self.access_tokens.clear()
            self.accepted.clear()
            self.requests.clear()
            self.failures.clear()
            self.pending_polls = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def fail_next(self, path_part: str, status: int) -> None:
        self.failures.append((path_part, status))

    def _certificate(self) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ministerstwo Finansów")])
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - timedelta(days=1))
            .not_valid_after(_now() + timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )

    # -- endpoints -------------------------------------------------------------------

    def public_key_certificates(self, _request):
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        entry = {
            "certificate": base64.b64encode(der).decode(),
            "certificateId": base64.b64encode(hashlib.sha256(der).digest()).decode(),
            "publicKeyId": base64.b64encode(hashlib.sha256(spki).digest()).decode(),
            "validFrom": self.certificate.not_valid_before_utc.isoformat(),
            "validTo": self.certificate.not_valid_after_utc.isoformat(),
        }
        return 200, [
            {**entry, "usage": ["KsefTokenEncryption"]},
            {**entry, "usage": ["SymmetricKeyEncryption"]},
        ]

    def challenge(self, _request):
        now = _now()
        challenge = _ref("CR")
        millis = int(now.timestamp() * 1000)
        self.challenges[challenge] = millis
        return 200, {
            "challenge": challenge,
            "timestamp": now.isoformat(),
            "timestampMs": millis,
            "clientIp": "127.0.0.1",
        }

    def ksef_token(self, request):
        body = request.json()
        millis = self.challenges.pop(body.get("challenge", ""), None)
        if millis is None:
            return 400, _exception(21111, "Nieprawidłowe wyzwanie autoryzacyjne.")
        context = body.get("contextIdentifier") or {}
        if context.get("type") != "Nip" or not context.get("value"):
            return 400, _exception(21405, "Błąd walidacji danych wejściowych.", "contextIdentifier")
        try:
            plain = self.key.decrypt(base64.b64decode(body["encryptedToken"]), OAEP).decode()
        except (ValueError, KeyError):
            plain = ""
        good = plain == f"{self.token}|{millis}" and context["value"] == self.nip
        operation = _ref("AU")
        auth_token = secrets.token_urlsafe(24)
        self.operations[auth_token] = {"reference": operation, "ok": good, "redeemed": False}
        return 202, {
            "referenceNumber": operation,
            "authenticationToken": {
                "token": auth_token,
                "validUntil": (_now() + timedelta(minutes=10)).isoformat(),
            },
        }

    def auth_status(self, request, reference):
        operation = self.operations.get(request.bearer())
        if not operation or operation["reference"] != reference:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "bad token"}
        status = (
            {"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"}
            if operation["ok"]
            else {
                "code": 450,
                "description": "Uwierzytelnianie zakończone niepowodzeniem "
                "z powodu błędnego tokenu",
                "details": ["Nieprawidłowy token."],
            }
        )
        return 200, {
            "startDate": _now().isoformat(),
            "authenticationMethod": "Token",
            "status": status,
        }

    def redeem(self, request):
        operation = self.operations.get(request.bearer())
        if not operation:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "bad token"}
        if operation["redeemed"] or not operation["ok"]:
            return 400, _exception(21301, "Brak autoryzacji.", "Tokeny zostały już pobrane.")
        operation["redeemed"] = True
        access = secrets.token_urlsafe(32)
        self.access_tokens.add(access)
        until = (_now() + timedelta(minutes=15)).isoformat()
        return 200, {
            "accessToken": {"token": access, "validUntil": until},
            "refreshToken": {"token": secrets.token_urlsafe(32), "validUntil": until},
        }

    def open_session(self, request):
        if request.bearer() not in self.access_tokens:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "no access token"}
        body = request.json()
        form = body.get("formCode") or {}
        if form != {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}:
            return 400, _exception(21405, "Błąd walidacji danych wejściowych.", f"formCode {form}")
        encryption = body.get("encryption") or {}
        try:
            key = self.key.decrypt(base64.b64decode(encryption["encryptedSymmetricKey"]), OAEP)
            iv = base64.b64decode(encryption["initializationVector"])
        except (ValueError, KeyError):
            key, iv = b"", b""
        if len(key) != 32 or len(iv) != 16:
            return 400, _exception(21405, "Błąd walidacji danych wejściowych.", "encryption")
        reference = _ref("SO")
        self.sessions[reference] = {"key": key, "iv": iv, "open": True, "invoices": []}
        return 201, {
            "referenceNumber": reference,
            "validUntil": (_now() + timedelta(hours=12)).isoformat(),
        }

    def send_invoice(self, request, session_ref):
        if request.bearer() not in self.access_tokens:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "no access token"}
        session = self.sessions.get(session_ref)
        if session is None:
            return 400, _exception(21173, "Brak sesji o wskazanym numerze referencyjnym.")
        if not session["open"]:
            return 400, _exception(21180, "Status sesji nie pozwala na wykonanie operacji.")
        body = request.json()
        encrypted = base64.b64decode(body.get("encryptedInvoiceContent", ""))
        reference = _ref("EE")
        record = {
            "reference": reference,
            "session": session_ref,
            "ordinal": len(session["invoices"]) + 1,
            "offline": bool(body.get("offlineMode")),
            "polls": self.pending_polls,
        }
        session["invoices"].append(reference)
        self.invoices[reference] = record
        if len(encrypted) != body.get("encryptedInvoiceSize") or _sha(encrypted) != body.get(
            "encryptedInvoiceHash"
        ):
            record["status"] = _status(430, "Błąd weryfikacji pliku faktury", "hash or size")
            return 202, {"referenceNumber": reference}
        try:
            invoice = decrypt_aes_cbc(session["key"], session["iv"], encrypted)
        except ValueError:
            record["status"] = _status(435, "Błąd odszyfrowania pliku")
            return 202, {"referenceNumber": reference}
        record["hash"] = _sha(invoice)
        if len(invoice) != body.get("invoiceSize") or record["hash"] != body.get("invoiceHash"):
            record["status"] = _status(430, "Błąd weryfikacji pliku faktury", "invoiceHash")
            return 202, {"referenceNumber": reference}
        record["status"] = self._verify(invoice, record)
        return 202, {"referenceNumber": reference}

    def _verify(self, invoice: bytes, record: dict) -> dict:
        if invoice.startswith(b"\xef\xbb\xbf"):
            return _status(430, "Błąd weryfikacji pliku faktury", "BOM")
        try:
            tree = etree.fromstring(
                invoice, etree.XMLParser(no_network=True, resolve_entities=False)
            )
        except etree.XMLSyntaxError as error:
            return _status(430, "Błąd weryfikacji pliku faktury", str(error))
        if self.schema is not None and not self.schema.validate(tree):
            details = [f"line {e.line}: {e.message}" for e in list(self.schema.error_log)[:5]]
            return _status(450, "Błąd weryfikacji semantyki dokumentu faktury", *details)
        nip = tree.findtext("fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP", namespaces=NS)
        if nip != self.nip:
            return _status(410, "Nieprawidłowy zakres uprawnień", f"NIP {nip}")
        key = (
            nip,
            tree.findtext("fa:Fa/fa:RodzajFaktury", namespaces=NS),
            tree.findtext("fa:Fa/fa:P_2", namespaces=NS),
        )
        record["invoice_number"] = key[2]
        record["xml"] = invoice
        with self.lock:
            earlier = self.accepted.get(key)
            if earlier:
                return _status(
                    440,
                    "Duplikat faktury",
                    f"Duplikat faktury. Faktura o numerze KSeF: {earlier['ksef_number']} "
                    f"została już prawidłowo przesłana do systemu w sesji: {earlier['session']}",
                    extensions={
                        "originalSessionReferenceNumber": earlier["session"],
                        "originalKsefNumber": earlier["ksef_number"],
                    },
                )
            self.serial += 1
            record["ksef_number"] = ksef_number(nip, _now(), self.serial)
            record["accepted_at"] = _now().isoformat()
            record["issued_on"] = tree.findtext("fa:Fa/fa:P_1", namespaces=NS)
            self.accepted[key] = record
        return _status(200, "Sukces")

    def invoice_status(self, request, session_ref, reference):
        if request.bearer() not in self.access_tokens:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "no access token"}
        record = self.invoices.get(reference)
        if record is None or record["session"] != session_ref:
            return 400, _exception(21405, "Błąd walidacji danych wejściowych.", reference)
        if record["polls"] > 0:
            record["polls"] -= 1
            status = _status(150, "Trwa przetwarzanie")
        else:
            status = record["status"]
        answer = {
            "ordinalNumber": record["ordinal"],
            "referenceNumber": reference,
            "invoiceHash": record.get("hash", ""),
            "invoicingDate": _now().isoformat(),
            "invoicingMode": "Offline" if record["offline"] else "Online",
            "status": status,
        }
        if status["code"] == 200:
            answer["ksefNumber"] = record["ksef_number"]
            answer["invoiceNumber"] = record["invoice_number"]
            answer["acquisitionDate"] = _now().isoformat()
        return 200, answer

    def upo(self, request, session_ref, reference=None, number=None):
        if request.bearer() not in self.access_tokens:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "no access token"}
        record = None
        if reference:
            record = self.invoices.get(reference)
        else:
            record = next((r for r in self.accepted.values() if r["ksef_number"] == number), None)
        if not record or "ksef_number" not in record or record["session"] != session_ref:
            return 400, _exception(21405, "Błąd walidacji danych wejściowych.", "UPO")
        return 200, upo_xml(self.nip, record)

    def close_session(self, request, session_ref):
        if request.bearer() not in self.access_tokens:
            return 401, {"title": "Unauthorized", "status": 401, "detail": "no access token"}
        session = self.sessions.get(session_ref)
        if session is None:
            return 400, _exception(21173, "Brak sesji o wskazanym numerze referencyjnym.")
        session["open"] = False
        return 204, None

    # -- routing ---------------------------------------------------------------------

    def route(self, method: str, path: str, request):
        parts = path.removeprefix("/v2").strip("/").split("/")
        match method, parts:
            case "GET", ["security", "public-key-certificates"]:
                return self.public_key_certificates(request)
            case "POST", ["auth", "challenge"]:
                return self.challenge(request)
            case "POST", ["auth", "ksef-token"]:
                return self.ksef_token(request)
            case "POST", ["auth", "token", "redeem"]:
                return self.redeem(request)
            case "GET", ["auth", reference]:
                return self.auth_status(request, reference)
            case "POST", ["sessions", "online"]:
                return self.open_session(request)
            case "POST", ["sessions", "online", session, "invoices"]:
                return self.send_invoice(request, session)
            case "POST", ["sessions", "online", session, "close"]:
                return self.close_session(request, session)
            case "GET", ["sessions", session, "invoices", reference]:
                return self.invoice_status(request, session, reference)
            case "GET", ["sessions", session, "invoices", reference, "upo"]:
                return self.upo(request, session, reference=reference)
            case "GET", ["sessions", session, "invoices", "ksef", number, "upo"]:
                return self.upo(request, session, number=number)
        return 404, {"title": "Not Found", "status": 404, "detail": path}

    def _handler(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def json(self):
                raw = self.body()
                return json.loads(raw) if raw else {}

            def bearer(self) -> str:
                value = self.headers.get("Authorization", "")
                return value[7:] if value.startswith("Bearer ") else ""

            def handle_any(self, method):
                peer.requests.append((method, self.path))
                for index, (part, status) in enumerate(peer.failures):
                    if part in self.path:
                        del peer.failures[index]
                        headers = {"Retry-After": "2"} if status == 429 else {}
                        body = (
                            {
                                "status": {
                                    "code": 429,
                                    "description": "Too Many Requests",
                                    "details": [],
                                }
                            }
                            if status == 429
                            else {"title": "Error", "status": status}
                        )
                        return self.answer(status, body, headers)
                status, body = peer.route(method, self.path, self)
                return self.answer(status, body)

            def answer(self, status, body, headers=None):
                if isinstance(body, str):
                    raw, kind = body.encode(), "application/xml"
                elif body is None:
                    raw, kind = b"", "application/json"
                else:
                    raw, kind = json.dumps(body, ensure_ascii=False).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

        return Handler


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _status(code: int, description: str, *details: str, extensions: dict | None = None) -> dict:
    status = {"code": code, "description": description}
    if details:
        status["details"] = list(details)
    if extensions:
        status["extensions"] = extensions
    return status


def upo_xml(nip: str, record: dict) -> str:
    """An invoice UPO shaped like the Ministry's example (schema upo-v4-3)."""
    now = record["accepted_at"]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3">'
        "<NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</NazwaPodmiotuPrzyjmujacego>"
        f"<NumerReferencyjnySesji>{record['session']}</NumerReferencyjnySesji>"
        "<Uwierzytelnienie><IdKontekstu>"
        f"<Nip>{nip}</Nip></IdKontekstu></Uwierzytelnienie>"
        "<OpisPotwierdzenia><Strona>1</Strona><LiczbaStron>1</LiczbaStron>"
        "<ZakresDokumentowOd>1</ZakresDokumentowOd><ZakresDokumentowDo>1</ZakresDokumentowDo>"
        "<CalkowitaLiczbaDokumentow>1</CalkowitaLiczbaDokumentow></OpisPotwierdzenia>"
        "<NazwaStrukturyLogicznej>schemat_FA(3)_v1-0E.xsd</NazwaStrukturyLogicznej>"
        "<KodFormularza>FA (3)</KodFormularza>"
        "<Dokument>"
        f"<NipSprzedawcy>{nip}</NipSprzedawcy>"
        f"<NumerKSeFDokumentu>{record['ksef_number']}</NumerKSeFDokumentu>"
        f"<NumerFaktury>{record['invoice_number']}</NumerFaktury>"
        f"<DataWystawieniaFaktury>{record['issued_on']}</DataWystawieniaFaktury>"
        f"<DataPrzeslaniaDokumentu>{now}</DataPrzeslaniaDokumentu>"
        f"<DataNadaniaNumeruKSeF>{now}</DataNadaniaNumeruKSeF>"
        f"<SkrotDokumentu>{record['hash']}</SkrotDokumentu>"
        f"<TrybWysylki>{'Offline' if record['offline'] else 'Online'}</TrybWysylki>"
        "</Dokument></Potwierdzenie>"
    )
