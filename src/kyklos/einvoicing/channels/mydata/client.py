"""AADE myDATA REST API (ERP channel): ``SendInvoices`` and ``CancelInvoice``.

Every call carries the headers ``aade-user-id`` (the myDATA user name) and
``Ocp-Apim-Subscription-Key`` (its subscription key); the body is XML. AADE answers a
``ResponseDoc`` with one ``response`` per document: ``statusCode`` ``Success`` with
``invoiceUid``, ``invoiceMark``, ``qrUrl`` (and ``authenticationCode`` where AADE gives one,
``cancellationMark`` for a cancellation), or an ``errors`` list of ``code`` + ``message``
with ``statusCode`` ``ValidationError``, ``XMLSyntaxError`` or ``TechnicalError``.

How answers become the channel contract's outcomes (:mod:`..base`):

- HTTP 429, 5xx, timeouts, refused connections, ``TechnicalError`` → TemporaryFailure;
- HTTP 401/403 (unknown user or key) and any other HTTP error → PermanentFailure;
- ``ValidationError`` / ``XMLSyntaxError`` → PermanentFailure with every code and message;
- the duplicate answer — error 228 (or 233) saying the UID "has already been sent for another
  invoice (MARK: …)" — is the document already accepted: an Outcome with ``duplicate=True``
  and the earlier MARK (and authentication code) read from the message.

urllib, like ``billing.vat``'s VIES client: no extra dependency for two POSTs.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from lxml import etree

from kyklos.einvoicing.channels.base import (
    Credentials,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
)

#: Base URLs of the ERP channel (the provider channel, ``/myDataProvider``, is only for
#: certified e-invoicing providers).
BASE_URLS = {
    "test": "https://mydataapidev.aade.gr",
    "production": "https://mydatapi.aade.gr/myDATA",
}

#: AADE's error codes for "this UID was already sent"; only with that message are they a
#: duplicate (228 also names other invalid fields).
DUPLICATE_CODES = frozenset({"228", "233"})
_ALREADY_SENT = re.compile(r"already\s+been\s+sent", re.IGNORECASE)
_MARK = re.compile(r"MARK\s*:\s*(\d+)", re.IGNORECASE)
_AUTH = re.compile(r"AUTHENTICATION_CODE\s*:\s*([^\s,)]+)", re.IGNORECASE)

TEMPORARY_STATUSES = frozenset({"TechnicalError"})


@dataclass(frozen=True)
class Answer:
    """One ``response`` of a ``ResponseDoc``."""

    status: str
    values: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return "; ".join(f"{code}: {message}" for code, message in self.errors) or self.status


def base_url(settings: dict) -> str:
    if settings.get("base_url"):
        return str(settings["base_url"]).rstrip("/")
    environment = settings.get("environment", "test")
    try:
        return BASE_URLS[environment]
    except KeyError:
        raise PermanentFailure(
            f"Unknown myDATA environment {environment!r}; use test or production."
        ) from None


def post(url: str, body: bytes, credentials: Credentials, *, timeout: float) -> tuple[int, str]:
    """POST and return (HTTP status, body text); transport failures are temporary."""
    try:
        headers = {
            "aade-user-id": credentials["user_id"],
            "Ocp-Apim-Subscription-Key": credentials["subscription_key"],
            "Content-Type": "application/xml",
            "Accept": "application/xml",
        }
    except KeyError as missing:
        raise PermanentFailure(f"The myDATA credentials lack {missing}.") from None
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            return reply.status, reply.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")
    except TimeoutError as error:
        raise TemporaryFailure(
            f"myDATA did not answer in {timeout:g} s", response=str(error)
        ) from None
    except (urllib.error.URLError, ConnectionError, OSError) as error:
        raise TemporaryFailure(f"myDATA unreachable: {error}", response=str(error)) from None


def parse(text: str) -> list[Answer]:
    """The ``response`` elements of a ``ResponseDoc`` (no namespace in v1.0.x)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    root = etree.fromstring(text.encode("utf-8"), parser)
    if etree.QName(root).localname != "ResponseDoc":
        raise ValueError(f"not a ResponseDoc but {root.tag}")
    answers = []
    for response in root.iter("{*}response", "response"):
        values, errors = {}, []
        for child in response:
            name = etree.QName(child).localname
            if name == "errors":
                for error in child:
                    errors.append(
                        (
                            error.findtext("{*}code") or error.findtext("code") or "",
                            error.findtext("{*}message") or error.findtext("message") or "",
                        )
                    )
            elif name not in ("statusCode",):
                values[name] = (child.text or "").strip()
        status = response.findtext("{*}statusCode") or response.findtext("statusCode") or ""
        answers.append(Answer(status.strip(), values, errors))
    return answers


def interpret(status: int, text: str, *, request: str = "") -> Answer:
    """The single answer of a one-document call, or the failure it means."""
    context = {"response": text[:20000], "request": request}
    if status == 429 or status >= 500:
        raise TemporaryFailure(f"myDATA answered HTTP {status}", code=str(status), **context)
    if status in (401, 403):
        raise PermanentFailure(
            f"myDATA refused the credentials (HTTP {status}): check the user id and "
            "subscription key",
            code=str(status),
            **context,
        )
    try:
        answers = parse(text)
    except (etree.XMLSyntaxError, ValueError) as error:
        if status >= 400:
            raise PermanentFailure(
                f"myDATA answered HTTP {status}", code=str(status), **context
            ) from None
        raise TemporaryFailure(
            f"myDATA answered something unreadable: {error}", **context
        ) from None
    if status >= 400 or len(answers) != 1:
        raise PermanentFailure(
            f"myDATA answered HTTP {status} with {len(answers)} responses: "
            + "; ".join(a.describe() for a in answers),
            code=str(status),
            **context,
        )
    return answers[0]


def duplicate_of(answer: Answer) -> dict[str, str] | None:
    """The earlier identifiers when ``answer`` is AADE's duplicate answer, else None."""
    for code, message in answer.errors:
        if code in DUPLICATE_CODES and _ALREADY_SENT.search(message):
            found = {}
            if mark := _MARK.search(message):
                found["mark"] = mark.group(1)
            if auth := _AUTH.search(message):
                found["authentication_code"] = auth.group(1)
            return found
    return None


def failure(answer: Answer, **context) -> Exception:
    codes = ",".join(code for code, _ in answer.errors)
    message = f"myDATA refused the document ({answer.status}): {answer.describe()}"
    if answer.status in TEMPORARY_STATUSES:
        return TemporaryFailure(message, code=codes, **context)
    return PermanentFailure(message, code=codes, **context)


def send_invoices(
    body: bytes, settings: dict, credentials: Credentials, *, uid: str = ""
) -> Outcome:
    """``POST /SendInvoices`` of an InvoicesDoc holding one invoice."""
    url = f"{base_url(settings)}/SendInvoices"
    request = body.decode("utf-8")
    status, text = post(url, body, credentials, timeout=float(settings.get("timeout", 30)))
    answer = interpret(status, text, request=request)
    if answer.status == "Success":
        values = answer.values
        identifiers = {
            "mark": values.get("invoiceMark", ""),
            "uid": values.get("invoiceUid", "") or uid,
            "authentication_code": values.get("authenticationCode", ""),
            "qr_url": values.get("qrUrl", ""),
        }
        return Outcome({k: v for k, v in identifiers.items() if v}, request=request, response=text)
    earlier = duplicate_of(answer)
    if earlier is not None:
        identifiers = {"uid": uid, **earlier} if uid else earlier
        return Outcome(identifiers, request=request, response=text, duplicate=True)
    raise failure(answer, response=text, request=request)


def cancel_invoice(mark: str, settings: dict, credentials: Credentials) -> Outcome:
    """``POST /CancelInvoice?mark=…``: AADE records the cancellation of a document sent in
    error and answers a ``cancellationMark``. (A document that was issued stays issued:
    correct it with a credit note; cancellation is for a transmission that should not
    have been made.)"""
    if not str(mark).isdigit():
        raise PermanentFailure(f"{mark!r} is not a myDATA MARK.")
    query = urllib.parse.urlencode({"mark": mark})
    url = f"{base_url(settings)}/CancelInvoice?{query}"
    status, text = post(url, b"", credentials, timeout=float(settings.get("timeout", 30)))
    answer = interpret(status, text, request=url)
    if answer.status == "Success":
        identifiers = {
            "mark": str(mark),
            "cancellation_mark": answer.values.get("cancellationMark", ""),
        }
        return Outcome(identifiers, request=url, response=text)
    raise failure(answer, response=text, request=url)
