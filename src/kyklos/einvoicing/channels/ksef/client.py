"""A small client of the KSeF API 2.0: authentication with a KSeF token, one online
session per document, send, status polling, the UPO, close.

Every answer is mapped to the channel contract here: what is worth trying again raises
:class:`TemporaryFailure`, what would fail the same way :class:`PermanentFailure`, both
with KSeF's own code (``ksef.<code>``) and the raw exchange for support. Status codes are
those of the API's published tables (invoice status 200 accepted, 440 duplicate, …).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from kyklos.einvoicing.channels.base import PermanentFailure, TemporaryFailure
from kyklos.einvoicing.channels.ksef import crypto, fa3

#: Authentication status (GET /auth/{ref}): still running, done; the rest failed.
AUTH_PENDING, AUTH_OK = 100, 200
#: Authentication failures that are KSeF's own trouble (unknown error, cancelled).
AUTH_TEMPORARY = {500, 550}
#: Invoice status (GET /sessions/{ref}/invoices/{ref}).
INVOICE_PENDING = {100, 150}
INVOICE_ACCEPTED, INVOICE_DUPLICATE = 200, 440
#: Invoice failures worth sending again: session error, decryption, unknown, cancelled.
INVOICE_TEMPORARY = {405, 435, 500, 550}
#: 400 answers (ExceptionResponse codes) that are about the session or the key, not the
#: document: bad or expired challenge, unknown/rotated key, no such session, session
#: closed, too many invoices in the session.
EXCEPTION_TEMPORARY = {21111, 21470, 21173, 21180, 21155}


@dataclass
class Exchange:
    """The raw requests and answers of one send, kept for support (no secrets)."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)

    def __str__(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Result:
    ksef_number: str
    upo: str
    reference: str
    duplicate: bool = False


class Unreachable(Exception):
    """No answer: connection refused or reset, DNS, timeout, or a 5xx."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class KsefClient:
    def __init__(
        self,
        api_url: str,
        *,
        nip: str,
        token: str,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        poll_attempts: int = 30,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.api = api_url.rstrip("/")
        self.nip = nip
        self.token = token
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.poll_attempts = poll_attempts
        self.sleep = sleep
        self.exchange = Exchange()
        self._offline_code = "ksef.unreachable"

    # -- HTTP ------------------------------------------------------------------------

    def call(self, method: str, path: str, body=None, *, bearer: str = "", accept="json"):
        """One request; returns (status, parsed JSON or text). Raises Unreachable,
        TemporaryFailure (429) or PermanentFailure/TemporaryFailure (4xx, mapped)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json" if accept == "json" else "application/xml"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        request = urllib.request.Request(  # noqa: S310 - the configured KSeF URL
            self.api + path, data=data, headers=headers, method=method
        )
        self.exchange.add(f"> {method} {path} {_redacted(body)}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
            retry_after = error.headers.get("Retry-After", "") if error.headers else ""
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            self.exchange.add(f"< no answer: {reason}")
            raise Unreachable(f"KSeF did not answer {method} {path}: {reason}") from None
        else:
            retry_after = ""
        text = raw.decode("utf-8", "replace")
        self.exchange.add(f"< {status} {text[:4000]}")
        if status >= 500:
            raise Unreachable(f"KSeF answered {status} to {method} {path}", status)
        if status == 429:
            raise TemporaryFailure(
                f"KSeF throttled {method} {path} (HTTP 429); retry after {retry_after or '?'} s.",
                code="ksef.429",
                response=text,
            )
        if status in (401, 403):
            raise PermanentFailure(
                f"KSeF refused access to {path} (HTTP {status}): check the KSeF token and "
                "its permissions (InvoiceWrite).",
                code=f"ksef.http_{status}",
                response=text,
            )
        if status >= 400:
            raise _exception_failure(status, text, path)
        if accept != "json":
            return status, text
        return status, (json.loads(text) if text.strip() else {})

    # -- the flow --------------------------------------------------------------------

    def public_keys(self) -> dict[str, object]:
        """The Ministry's public keys by usage (KsefTokenEncryption, SymmetricKeyEncryption)."""
        _status, certificates = self.call("GET", "/security/public-key-certificates")
        keys = {}
        for cert in certificates:
            for usage in cert.get("usage", []):
                keys[usage] = crypto.public_key_from_certificate(cert["certificate"])
        missing = {"KsefTokenEncryption", "SymmetricKeyEncryption"} - set(keys)
        if missing:
            raise TemporaryFailure(
                f"KSeF published no key for {', '.join(sorted(missing))}.",
                code="ksef.public_key",
                response=str(self.exchange),
            )
        return keys

    def authenticate(self, token_key) -> str:
        """Challenge → encrypted token → status → redeem; returns the access token."""
        _s, challenge = self.call("POST", "/auth/challenge", {})
        body = {
            "challenge": challenge["challenge"],
            "contextIdentifier": {"type": "Nip", "value": self.nip},
            "encryptedToken": crypto.encrypted_token(
                token_key, self.token, int(challenge["timestampMs"])
            ),
        }
        _s, started = self.call("POST", "/auth/ksef-token", body)
        operation = started["authenticationToken"]["token"]
        reference = started["referenceNumber"]
        for _attempt in range(self.poll_attempts):
            _s, state = self.call("GET", f"/auth/{reference}", bearer=operation)
            code = int(state["status"]["code"])
            if code == AUTH_OK:
                break
            if code != AUTH_PENDING:
                failure = TemporaryFailure if code in AUTH_TEMPORARY else PermanentFailure
                raise failure(
                    f"KSeF authentication failed: {code} {state['status'].get('description', '')}"
                    f" {' '.join(state['status'].get('details') or [])}".strip(),
                    code=f"ksef.auth_{code}",
                    response=json.dumps(state, ensure_ascii=False),
                )
            self.sleep(self.poll_interval)
        else:
            raise TemporaryFailure(
                "KSeF authentication is still in progress.", code="ksef.auth_pending"
            )
        _s, tokens = self.call("POST", "/auth/token/redeem", bearer=operation)
        return tokens["accessToken"]["token"]

    def send_invoice(self, invoice: bytes, *, offline: bool) -> Result:
        """Authenticate, open a session, send ``invoice`` encrypted, wait for its status,
        fetch the UPO and close the session (also when something failed)."""
        keys = self.public_keys()
        access = self.authenticate(keys["KsefTokenEncryption"])
        session_key = crypto.SessionKey.new()
        _s, session = self.call(
            "POST",
            "/sessions/online",
            {
                "formCode": fa3.FORM_CODE,
                "encryption": session_key.encryption_info(keys["SymmetricKeyEncryption"]),
            },
            bearer=access,
        )
        session_ref = session["referenceNumber"]
        try:
            _s, sent = self.call(
                "POST",
                f"/sessions/online/{session_ref}/invoices",
                crypto.invoice_request(session_key, invoice, offline=offline),
                bearer=access,
            )
            return self._outcome(session_ref, sent["referenceNumber"], access)
        finally:
            try:
                self.call("POST", f"/sessions/online/{session_ref}/close", bearer=access)
            except (Unreachable, TemporaryFailure, PermanentFailure):
                pass  # KSeF closes an idle session itself after its validity

    def _outcome(self, session_ref: str, invoice_ref: str, access: str) -> Result:
        path = f"/sessions/{session_ref}/invoices/{invoice_ref}"
        for _attempt in range(self.poll_attempts):
            _s, state = self.call("GET", path, bearer=access)
            status = state["status"]
            code = int(status["code"])
            if code in INVOICE_PENDING:
                self.sleep(self.poll_interval)
                continue
            if code == INVOICE_ACCEPTED:
                number = state["ksefNumber"]
                _s, upo = self.call("GET", f"{path}/upo", bearer=access, accept="xml")
                return Result(number, upo, invoice_ref)
            if code == INVOICE_DUPLICATE:
                extensions = status.get("extensions") or {}
                number = extensions.get("originalKsefNumber", "")
                original_session = extensions.get("originalSessionReferenceNumber", "")
                upo = ""
                if number and original_session:
                    try:
                        _s, upo = self.call(
                            "GET",
                            f"/sessions/{original_session}/invoices/ksef/{number}/upo",
                            bearer=access,
                            accept="xml",
                        )
                    except (Unreachable, TemporaryFailure, PermanentFailure):
                        upo = ""  # the number is what matters; the UPO can be fetched later
                return Result(number, upo, invoice_ref, duplicate=True)
            failure = TemporaryFailure if code in INVOICE_TEMPORARY else PermanentFailure
            raise failure(
                f"KSeF refused the invoice: {code} {status.get('description', '')}: "
                + "; ".join(status.get("details") or []),
                code=f"ksef.{code}",
                response=json.dumps(state, ensure_ascii=False),
            )
        raise TemporaryFailure(
            f"KSeF is still processing the invoice (reference {invoice_ref}); sending it "
            "again gives its number (duplicate answer).",
            code="ksef.pending",
        )


def _exception_failure(status: int, text: str, path: str):
    """A 4xx answer: ExceptionResponse (or problem+json) mapped to the contract."""
    codes: list[int] = []
    messages: list[str] = []
    try:
        answer = json.loads(text)
    except ValueError:
        answer = {}
    for detail in (answer.get("exception") or {}).get("exceptionDetailList") or []:
        codes.append(int(detail.get("exceptionCode", 0)))
        messages.append(
            f"{detail.get('exceptionCode')} {detail.get('exceptionDescription', '')} "
            + " ".join(detail.get("details") or [])
        )
    for error in answer.get("errors") or []:  # application/problem+json
        codes.append(int(error.get("code", 0)))
        messages.append(f"{error.get('code')} {error.get('description', '')}")
    first = codes[0] if codes else status
    temporary = bool(codes) and all(code in EXCEPTION_TEMPORARY for code in codes)
    failure = TemporaryFailure if temporary else PermanentFailure
    return failure(
        f"KSeF refused {path} (HTTP {status}): " + ("; ".join(messages) or text[:300]),
        code=f"ksef.{first}",
        response=text,
    )


def _redacted(body) -> str:
    """The request body for the exchange log, without the encrypted secrets and content."""
    if body is None:
        return ""
    shown = {}
    for key, value in body.items():
        if key in {"encryptedToken", "encryptedInvoiceContent"}:
            shown[key] = f"<{len(value)} characters>"
        elif key == "encryption":
            shown[key] = {"encryptedSymmetricKey": "<RSA-OAEP>", "initializationVector": "<IV>"}
        else:
            shown[key] = value
    return json.dumps(shown, ensure_ascii=False)
