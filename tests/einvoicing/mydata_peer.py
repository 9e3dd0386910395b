"""A local stand-in for AADE's myDATA REST API (ERP channel), for tests.

A threaded ``http.server`` on 127.0.0.1 (random port, kept across stop/start so a client's
base URL stays valid: the framework's outage test stops it mid-run and starts it again).
It implements the request checks of the published endpoints:

- ``POST /SendInvoices`` and ``POST /CancelInvoice?mark=…`` only;
- headers ``aade-user-id`` + ``Ocp-Apim-Subscription-Key`` of a known user, else HTTP 401
  with API Management's JSON answer;
- the body validated against the official InvoicesDoc XSD → ``XMLSyntaxError`` (code 101);
- the issuer's VAT number must be the user's (102), a Greek counterpart's VAT number must be
  valid (peer code 104), the totals must add up and the payment methods cover the gross
  value (peer code 105), a credit note 5.1 must correlate an existing MARK (peer code 106);
- a document whose UID (issuer, date, branch, type, series, number) was already sent is
  refused with AADE's duplicate answer, code 228, naming the earlier MARK;
- ``CancelInvoice`` of an unknown or already cancelled MARK is refused (peer code 107).

Every answer is a ``ResponseDoc`` valid against the official response XSD (``answers``
keeps them so tests can check that). Failures can be injected: ``fail_next(503)`` answers
the next calls with an HTTP status, ``delay`` slows every answer down, ``crash_after(n)``
stores n more documents and goes down while answering the last (its answer is lost),
``reset()`` forgets every document (a module-wide peer, emptied for each test).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from lxml import etree
from stdnum.gr import vat as greek_vat

INV = "http://www.aade.gr/myDATA/invoice/v1.0"
NS = {"i": INV, "icls": "https://www.aade.gr/myDATA/incomeClassificaton/v1.0"}
FIRST_MARK = 400001900000001


@dataclass
class Record:
    mark: int
    uid: str
    xml: bytes
    invoice_type: str
    correlated: list[str]
    cancelled_by: int | None = None


@dataclass
class PeerState:
    users: dict[str, tuple[str, str]]  # user id → (subscription key, VAT number)
    by_uid: dict[str, Record] = field(default_factory=dict)
    by_mark: dict[int, Record] = field(default_factory=dict)
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # (path, user, body)
    answers: list[bytes] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    delay: float = 0.0
    #: Accept this many more documents, then crash: the last one is stored but its answer
    #: is lost, and the peer goes down (None: never).
    crash_after: int | None = None
    down: bool = False  # crashed: calls still reaching the socket get no answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    marks: itertools.count = field(default_factory=lambda: itertools.count(FIRST_MARK))


def aade_uid(vat: str, issued: str, branch: str, kind: str, series: str, aa: str) -> str:
    raw = "-".join([vat, issued, branch, kind, series, aa]).encode("iso-8859-7", "replace")
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest().upper()


class MyDataPeer:
    def __init__(self, schema_dir: Path, *, users=None, version: str = "1.0.10"):
        self.schema_dir = Path(schema_dir)
        parser = etree.XMLParser(no_network=True)
        self.invoices_xsd = etree.XMLSchema(
            etree.parse(str(self.schema_dir / f"InvoicesDoc-v{version}.xsd"), parser)
        )
        self.response_xsd = etree.XMLSchema(
            etree.parse(str(self.schema_dir / f"response-v{version}.xsd"), parser)
        )
        self.state = PeerState(users=users or {"kyklos": ("test-key", "094014201")})
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> MyDataPeer:
        if self._stopping is not None:  # a crash still shutting the server down
            self._stopping.join()
            self._stopping = None
        self.state.down = False
        peer = self

        class Handler(_Handler):
            pass

        Handler.peer = peer
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- test controls --------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1) -> None:
        self.state.failures.extend([status] * times)

    def marks(self) -> list[int]:
        return sorted(self.state.by_mark)

    def reset(self) -> None:
        """Forget every document and request (the users stay): a fresh AADE for a test."""
        self.state = PeerState(users=self.state.users)

    def crash_after(self, accepted: int) -> None:
        """Accept ``accepted`` more documents and go down while answering the last one: it
        is stored, its answer never arrives, and every later call finds no server."""
        self.state.crash_after = accepted

    # -- the API ---------------------------------------------------------------------
    def send_invoices(self, user: str, body: bytes) -> bytes:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as error:
            return self.respond([_error(1, "XMLSyntaxError", "101", f"XML Syntax Error: {error}")])
        if not self.invoices_xsd.validate(root):
            message = "; ".join(f"line {e.line}: {e.message}" for e in self.invoices_xsd.error_log)
            return self.respond([_error(1, "XMLSyntaxError", "101", message)])
        vat = self.state.users[user][1]
        out = []
        for index, invoice in enumerate(root.iterfind("i:invoice", NS), start=1):
            out.append(self._one(index, vat, invoice))
        return self.respond(out)

    def _one(self, index: int, user_vat: str, invoice) -> str:
        def text(path: str) -> str:
            return invoice.findtext(path, namespaces=NS) or ""

        issuer = text("i:issuer/i:vatNumber")
        if issuer != user_vat:
            return _error(
                index,
                "ValidationError",
                "102",
                f"Vat number {issuer} does not belong to the user's active corporation",
            )
        if text("i:counterpart/i:country") == "GR" and not greek_vat.is_valid(
            text("i:counterpart/i:vatNumber")
        ):
            return _error(
                index, "ValidationError", "104", "The counterpart's Greek VAT number is invalid"
            )
        problem = _totals_problem(invoice)
        if problem:
            return _error(index, "ValidationError", "105", problem)
        kind = text("i:invoiceHeader/i:invoiceType")
        correlated = [e.text for e in invoice.iterfind("i:invoiceHeader/i:correlatedInvoices", NS)]
        if kind == "5.1" and not any(int(m) in self.state.by_mark for m in correlated):
            return _error(
                index,
                "ValidationError",
                "106",
                f"Correlated invoices {correlated} not found for a credit invoice 5.1",
            )
        uid = aade_uid(
            issuer,
            text("i:invoiceHeader/i:issueDate"),
            text("i:issuer/i:branch"),
            kind,
            text("i:invoiceHeader/i:series"),
            text("i:invoiceHeader/i:aa"),
        )
        with self.state.lock:
            earlier = self.state.by_uid.get(uid)
            if earlier is not None and earlier.cancelled_by is None:
                return _error(
                    index,
                    "ValidationError",
                    "228",
                    f"The invoice with UID: {uid} is invalid , it has already been sent for "
                    f"another invoice (MARK: {earlier.mark} , AUTHENTICATION_CODE: "
                    f"{_auth(earlier.mark)})",
                )
            mark = next(self.state.marks)
            record = Record(mark, uid, etree.tostring(invoice), kind, correlated)
            self.state.by_uid[uid] = record
            self.state.by_mark[mark] = record
        qr = f"{self.base_url}/TimologioQR/QRInfo?q={_auth(mark)}"
        return (
            f"<response><index>{index}</index><invoiceUid>{uid}</invoiceUid>"
            f"<invoiceMark>{mark}</invoiceMark><qrUrl>{escape(qr)}</qrUrl>"
            f"<authenticationCode>{_auth(mark)}</authenticationCode>"
            "<statusCode>Success</statusCode></response>"
        )

    def cancel_invoice(self, user: str, mark: str) -> bytes:
        with self.state.lock:
            record = self.state.by_mark.get(int(mark)) if mark.isdigit() else None
            if record is None or record.cancelled_by is not None:
                reason = "not found" if record is None else "already cancelled"
                return self.respond(
                    [_error(1, "ValidationError", "107", f"Invoice with mark {mark} {reason}")]
                )
            cancellation = next(self.state.marks)
            record.cancelled_by = cancellation
        return self.respond(
            [
                f"<response><index>1</index><cancellationMark>{cancellation}</cancellationMark>"
                "<statusCode>Success</statusCode></response>"
            ]
        )

    def respond(self, responses: list[str]) -> bytes:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<ResponseDoc xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">' + "".join(responses) + "</ResponseDoc>"
        ).encode()
        assert self.response_xsd.validate(etree.fromstring(body)), self.response_xsd.error_log
        self.state.answers.append(body)
        return body


def _auth(mark: int) -> str:
    return hashlib.sha256(str(mark).encode()).hexdigest()[:32].upper()


def _error(index: int, status: str, code: str, message: str) -> str:
    return (
        f"<response><index>{index}</index><errors><error><message>{escape(message)}</message>"
        f"<code>{code}</code></error></errors><statusCode>{status}</statusCode></response>"
    )


def _totals_problem(invoice) -> str:
    def amounts(path: str) -> Decimal:
        return sum((Decimal(e.text) for e in invoice.iterfind(path, NS)), Decimal("0"))

    net, vat = amounts("i:invoiceDetails/i:netValue"), amounts("i:invoiceDetails/i:vatAmount")
    summary = "i:invoiceSummary/i:"
    if net != amounts(summary + "totalNetValue") or vat != amounts(summary + "totalVatAmount"):
        return "The totals of the lines differ from the invoice summary"
    gross = amounts(summary + "totalGrossValue")
    if gross != net + vat:
        return f"Total gross value {gross} is not net {net} + VAT {vat}"
    paid = amounts("i:paymentMethods/i:paymentMethodDetails/i:amount")
    if invoice.find("i:paymentMethods", NS) is not None and paid != gross:
        return f"The payment methods add up to {paid}, not the gross value {gross}"
    return ""


class _Handler(BaseHTTPRequestHandler):
    peer: MyDataPeer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802 — http.server's name
        peer = self.peer
        if peer.state.down:
            self.close_connection = True
            return None
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if peer.state.delay:
            time.sleep(peer.state.delay)
        with peer.state.lock:
            injected = peer.state.failures.pop(0) if peer.state.failures else None
        if injected:
            return self._send(injected, b"<html>Service Unavailable</html>", "text/html")
        user = self.headers.get("aade-user-id", "")
        key = self.headers.get("Ocp-Apim-Subscription-Key", "")
        known = peer.state.users.get(user)
        if not user or not key or known is None or known[0] != key:
            message = (
                "Access denied due to missing subscription key."
                if not key
                else "Access denied due to invalid subscription key or user."
            )
            payload = json.dumps({"statusCode": 401, "message": message}).encode()
            return self._send(401, payload, "application/json")
        url = urlparse(self.path)
        peer.state.requests.append((url.path, user, body))
        if url.path == "/SendInvoices":
            before = len(peer.state.by_uid)
            answer = peer.send_invoices(user, body)
            if peer.state.crash_after is not None:
                peer.state.crash_after -= len(peer.state.by_uid) - before
                if peer.state.crash_after <= 0:
                    peer.state.crash_after = None
                    return self._crash()
            return self._send(200, answer)
        if url.path == "/CancelInvoice":
            mark = parse_qs(url.query).get("mark", [""])[0]
            return self._send(200, peer.cancel_invoice(user, mark))
        return self._send(
            404, b'{"statusCode": 404, "message": "Resource not found"}', "application/json"
        )

    def _crash(self) -> None:
        """Drop the connection without an answer and stop listening."""
        self.close_connection = True
        self.peer.state.down = True
        self.peer._stopping = threading.Thread(target=self.peer.stop, daemon=True)
        self.peer._stopping.start()

    def _send(self, status: int, body: bytes, media_type: str = "application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
