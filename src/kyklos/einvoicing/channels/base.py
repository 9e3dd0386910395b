"""The contract every e-invoicing channel implements (myDATA, KSeF, …).

A *channel* turns an issued tax document (invoice, receipt or credit note of
``kyklos.billing``) into the payload a national system wants, sends it, and reports what
the system answered. It knows nothing of retries, queues or the database: the
transmission jobs (:mod:`kyklos.einvoicing.services`) call it, record every attempt,
retry a :class:`TemporaryFailure` with backoff and put a :class:`PermanentFailure` in
the staff queue with the system's answer.

A channel is registered by its ``code`` and chosen by data: the seller's country and the
channel settings (``KYKLOS_EINVOICING`` / the admin), never by ``if`` chains in callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Payload:
    """What a channel sends for one document: the body (XML bytes) and its media type."""

    body: bytes
    media_type: str = "application/xml"


@dataclass(frozen=True)
class Outcome:
    """A document the system accepted (or had already accepted: a duplicate answer that
    names the earlier identifiers is an Outcome too, with ``duplicate=True``).

    ``identifiers`` hold what the system assigned, by name: myDATA ``mark``, ``uid``,
    ``authentication_code``, ``qr_url``; KSeF ``ksef_number``, ``upo`` (the receipt),
    ``qr_url``. ``request`` and ``response`` are the raw exchange, kept for support."""

    identifiers: dict[str, str]
    request: str = ""
    response: str = ""
    duplicate: bool = False


class ChannelError(Exception):
    """The system did not accept the document. ``response`` is its raw answer (or the
    transport error), shown to staff; ``code`` the system's own error code if any."""

    def __init__(self, message: str, *, response: str = "", code: str = "", request: str = ""):
        super().__init__(message)
        self.response = response
        self.code = code
        self.request = request


class TemporaryFailure(ChannelError):
    """Worth trying again later: the system is down, timed out, throttled (HTTP 429/5xx),
    or the channel is offline by law (KSeF offline mode) and the document waits."""


class PermanentFailure(ChannelError):
    """Trying again would fail the same way: the system refused the document (validation
    errors, a bad VAT number, a wrong sequence). Staff must act."""


@dataclass(frozen=True)
class Credentials:
    """A channel's secrets, read from the vault when a job runs (never stored here)."""

    values: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.values[name]


class Channel(Protocol):
    """One national system. Implementations are plain classes with these members, and
    optionally ``credential_fields`` (the vault names it needs; an enabled configuration
    without them is refused), ``optional_credential_fields`` and
    ``validate_settings(settings) -> settings`` (see :mod:`kyklos.einvoicing.registry`)."""

    #: Registry key and stored value, e.g. ``"mydata"``.
    code: ClassVar[str]
    #: Human name for staff pages.
    label: ClassVar[str]
    #: Seller countries (ISO 3166 alpha-2) where this channel applies.
    countries: ClassVar[frozenset[str]]

    def applies_to(self, document: Any, settings: dict[str, Any]) -> bool:
        """Whether ``document`` (a ``billing.models.Invoice``) is reported on this channel
        with these settings: tax documents (invoice, receipt, credit note) yes, proformas
        never; a channel may leave out what its law does not require (KSeF: consumers,
        documents before ``live_from``)."""

    def build(self, document: Any, settings: dict[str, Any]) -> Payload:
        """The payload for ``document``; valid against the system's official schema.
        Raises :class:`PermanentFailure` when the document cannot be expressed, and
        :class:`TemporaryFailure` when it cannot be expressed *yet* — a correction whose
        original has no identifier from the system (MARK, KSeF number) waits and is retried;
        the framework tries it as soon as the original is reported."""

    def send(
        self, document: Any, payload: Payload, settings: dict[str, Any], credentials: Credentials
    ) -> Outcome:
        """Send ``payload``; return the identifiers, or raise Temporary/PermanentFailure.
        Must be safe to call again for the same document (the system's duplicate check is
        the second line of defence; the job's idempotency key is the first)."""
