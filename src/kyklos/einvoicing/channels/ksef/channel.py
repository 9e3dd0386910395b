"""The KSeF channel: Polish sellers' tax documents as FA(3), sent through KSeF API 2.0.

Settings (the channel's row of ``KYKLOS_EINVOICING`` / the admin; all optional):

=================== ============================================================================
``environment``     ``test`` (default), ``demo`` or ``production``: the API and QR hosts
                    (from the configuration's own field, test or production; demo is test
                    with the demo hosts in ``api_url`` and ``qr_url``)
``api_url``         the API base instead (a local peer in tests)
``qr_url``          the QR host instead
``nip``             the seller's NIP, when its VAT id on the documents is not ``PL`` + NIP
``live_from``       ISO date the seller started issuing in KSeF: earlier documents are not
                    sent, and credit notes of them say ``NrKSeFN`` (original outside KSeF)
``consumers``       also send documents to consumers (default true; voluntary, art. 106ga
                    ust. 2 pkt 4 exempts them from the obligation)
``oss``             also send EU-consumer documents under the OSS (default true; voluntary)
``offline24``       the seller issues offline when KSeF cannot be reached (art. 106nda):
                    the failure then says the document stands as an offline invoice
``ksef_number_of``  callable(invoice) → KSeF number of an earlier document (the
                    transmission framework's store); default: billing's transmissions
``timeout``, ``poll_interval``, ``poll_attempts``  HTTP timeout and status polling
=================== ============================================================================

Credentials (the vault): ``token`` (the KSeF token) and ``nip`` (the context it was issued
for: authentication uses it, the invoice names the seller's NIP); for KOD II on offline invoices
``offline_certificate`` and ``offline_private_key`` (PEM of an Offline-type KSeF
certificate).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

import holidays

from kyklos.core import clock
from kyklos.einvoicing.channels import options
from kyklos.einvoicing.channels.base import (
    Credentials,
    Outcome,
    Payload,
    PermanentFailure,
    TemporaryFailure,
)
from kyklos.einvoicing.channels.ksef import fa3, qr
from kyklos.einvoicing.channels.ksef.client import KsefClient, Unreachable

TAX_KINDS = frozenset(fa3.INVOICE_TYPES)


def _nip(value) -> str:
    try:
        return fa3.nip_of(str(value))
    except PermanentFailure as error:
        raise ValueError(str(error)) from None


#: The settings a configuration may hold, each with its check (``ksef_number_of`` is for
#: code only: the framework's default reads billing's transmissions).
SETTINGS = {
    "api_url": options.url,
    "qr_url": options.url,
    "nip": _nip,
    "live_from": options.iso_date,
    "consumers": options.flag,
    "oss": options.flag,
    "offline24": options.flag,
    "timeout": options.number(1),
    "poll_interval": options.number(0),
    "poll_attempts": options.number(1, whole=True),
}


def _flag(settings: dict, name: str, default: bool) -> bool:
    value = settings.get(name, default)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _live_from(settings: dict) -> date | None:
    value = settings.get("live_from")
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def offline_deadline(issued_on: date) -> date:
    """offline24: the invoice reaches KSeF by the next working day after its issue date
    (Polish public holidays and weekends are not working days)."""
    calendar = holidays.country_holidays("PL", years=[issued_on.year, issued_on.year + 1])
    day = issued_on + timedelta(days=1)
    while day.weekday() >= 5 or day in calendar:
        day += timedelta(days=1)
    return day


def hosts(settings: dict) -> tuple[str, str]:
    environment = settings.get("environment", "test")
    if environment not in qr.ENVIRONMENTS:
        raise PermanentFailure(
            f"Unknown KSeF environment {environment!r}; use test, demo or production.",
            code="ksef.environment",
        )
    api, qr_host = qr.ENVIRONMENTS[environment]
    return settings.get("api_url") or api, settings.get("qr_url") or qr_host


def seller_nip(document, settings: dict) -> str:
    return fa3.nip_of(settings.get("nip") or document.seller.get("vat_id", ""))


def default_ksef_number_of(invoice) -> str:
    """The KSeF number the original of a correction received, or "" while it has none."""
    from kyklos.billing.selectors import transmission_identifiers

    return (transmission_identifiers(invoice.pk, "ksef") or {}).get("mark", "")


class KsefChannel:
    """Poland's KSeF (Krajowy System e-Faktur), API 2.0, structured invoice FA(3)."""

    code: ClassVar[str] = "ksef"
    label: ClassVar[str] = "KSeF (Poland)"
    countries: ClassVar[frozenset[str]] = frozenset({"PL"})
    #: The KSeF token and the NIP of the context it was issued for (the seller's, or the
    #: accounting office's sending on its behalf).
    credential_fields: ClassVar[tuple[str, ...]] = ("token", "nip")
    optional_credential_fields: ClassVar[tuple[str, ...]] = (
        "offline_certificate",
        "offline_private_key",
    )

    def __init__(self, settings: dict[str, Any] | None = None):
        #: Default settings of ``applies_to`` (the framework passes the configuration's).
        self.settings = settings or {}

    # -- the contract ----------------------------------------------------------------

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return options.clean(settings, SETTINGS)

    def applies_to(self, document: Any, settings: dict[str, Any] | None = None) -> bool:
        settings = self.settings if settings is None else settings
        if document.kind not in TAX_KINDS:
            return False
        if (document.seller or {}).get("country", "").upper() not in self.countries:
            return False
        live = _live_from(settings)
        if live and document.issued_on < live:
            return False
        consumer = not document.buyer_vat_id
        if document.vat_case == "eu_b2c" and not _flag(settings, "oss", True):
            return False
        return not (consumer and not _flag(settings, "consumers", True))

    def build(self, document: Any, settings: dict[str, Any]) -> Payload:
        """FA(3) for ``document``. A credit note whose invoice has no KSeF number yet
        raises :class:`TemporaryFailure` (``ksef.original_pending``): KSeF takes a
        correction only after its original."""
        if not self.applies_to_kind(document):
            raise PermanentFailure(
                f"{document.number} is not a tax document of a Polish seller.", code="ksef.kind"
            )
        lookup = settings.get("ksef_number_of") or default_ksef_number_of
        live = _live_from(settings)
        try:
            body = fa3.build_fa3(
                document,
                seller_nip=seller_nip(document, settings),
                ksef_number_of=lookup,
                outside_ksef=lambda original: bool(live and original.issued_on < live),
            )
        except fa3.OriginalNotInKsef as pending:
            raise TemporaryFailure(
                f"{document.number} corrects {pending}, which has no KSeF number yet; it is "
                "sent once the original is accepted.",
                code="ksef.original_pending",
            ) from None
        return Payload(body=body, media_type="application/xml")

    def send(
        self, document: Any, payload: Payload, settings: dict[str, Any], credentials: Credentials
    ) -> Outcome:
        api, qr_host = hosts(settings)
        nip = seller_nip(document, settings)
        try:
            token = credentials["token"]
        except KeyError:
            raise PermanentFailure(
                "No KSeF token in the vault for this channel.", code="ksef.no_token"
            ) from None
        client = KsefClient(
            api,
            nip=fa3.nip_of(credentials.values.get("nip") or nip),
            token=token,
            timeout=float(settings.get("timeout", 30)),
            poll_interval=float(settings.get("poll_interval", 1.0)),
            poll_attempts=int(settings.get("poll_attempts", 30)),
        )
        # Sent after its issue day, an invoice is an offline one (KSeF would mark it so).
        offline = document.issued_on < clock.today()
        try:
            result = client.send_invoice(payload.body, offline=offline)
        except Unreachable as error:
            raise self._unreachable(document, settings, error, client) from None
        except (TemporaryFailure, PermanentFailure) as failure:
            failure.request = failure.request or str(client.exchange)
            failure.response = failure.response or str(client.exchange)
            raise
        return Outcome(
            identifiers={
                "ksef_number": result.ksef_number,
                "upo": result.upo,
                "qr_url": qr.kod_i(qr_host, nip, document.issued_on, payload.body),
                "reference": result.reference,
            },
            request=str(client.exchange),
            response=result.upo,
            duplicate=result.duplicate,
        )

    # -- helpers ---------------------------------------------------------------------

    @staticmethod
    def applies_to_kind(document) -> bool:
        return document.kind in TAX_KINDS

    def _unreachable(self, document, settings, error: Unreachable, client) -> TemporaryFailure:
        if _flag(settings, "offline24", False):
            deadline = offline_deadline(document.issued_on)
            return TemporaryFailure(
                f"KSeF is unreachable ({error}). {document.number} stands as an offline "
                f"invoice (offline24, art. 106nda) with codes KOD I and KOD II; it must reach "
                f"KSeF by {deadline.isoformat()} and is sent again until then.",
                code="ksef.offline",
                request=str(client.exchange),
                response=str(error),
            )
        return TemporaryFailure(
            f"KSeF is unreachable ({error}); the document is sent again later.",
            code="ksef.unreachable",
            request=str(client.exchange),
            response=str(error),
        )


def verification_codes(
    document: Any,
    payload: Payload,
    settings: dict[str, Any],
    credentials: Credentials | None = None,
    *,
    ksef_number: str = "",
) -> dict[str, str]:
    """What the visual form of a KSeF invoice prints: ``kod_i`` (always), ``label`` (the
    KSeF number, or ``OFFLINE`` while there is none) and ``kod_ii`` (an offline invoice,
    when the vault holds the offline certificate)."""
    _api, qr_host = hosts(settings)
    nip = seller_nip(document, settings)
    codes = {
        "kod_i": qr.kod_i(qr_host, nip, document.issued_on, payload.body),
        "label": ksef_number or qr.OFFLINE_LABEL,
    }
    values = credentials.values if credentials else {}
    if not ksef_number and values.get("offline_certificate") and values.get("offline_private_key"):
        codes["kod_ii"] = qr.kod_ii(
            qr_host,
            context_nip=nip,
            seller_nip=nip,
            certificate_pem=values["offline_certificate"],
            private_key_pem=values["offline_private_key"],
            body=payload.body,
        )
    return codes
