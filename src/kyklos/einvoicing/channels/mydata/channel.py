"""The myDATA channel: a Greek provider's tax documents reported to AADE (decision 0019).

Settings (the channel's row of the registry; every key optional):

==================  =========================================================================
``environment``     ``test`` (mydataapidev.aade.gr, the default) or ``production``: the
                    configuration's own field, added by the framework (not a stored setting)
``base_url``        overrides the environment's URL (a local peer in tests)
``schema_version``  ``v1.0.10`` (default) or another row of :data:`.schema.VERSIONS`
``schema_dir``      folder of that version's XSDs, to validate each payload before sending
``validate``        validate when the XSDs are found (default true)
``timeout``         seconds per call (default 30)
``branch``          the issuer's AADE branch number (default 0, the head office)
``payment_methods`` overrides of :data:`.mapping.PAYMENT_METHODS`, e.g. ``{"paypal": 7}``
``b2b_mandate_from`` the day from which this seller must issue B2B invoices through a
                    certified e-invoicing provider (law 5222/2025, decision A.1128/2025):
                    documents in the mandate issued from then on are refused here, with
                    that reason, instead of being reported over the ERP channel
==================  =========================================================================

Credentials (from the vault): ``user_id`` (the myDATA user, sent as ``aade-user-id``) and
``subscription_key`` (sent as ``Ocp-Apim-Subscription-Key``) of the myDATA REST API.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from lxml import etree

from kyklos.billing import selectors as billing
from kyklos.billing.models import TAX_DOCUMENT_KINDS
from kyklos.einvoicing.channels import options
from kyklos.einvoicing.channels.base import (
    Credentials,
    Outcome,
    Payload,
    PermanentFailure,
    TemporaryFailure,
)
from kyklos.einvoicing.channels.mydata import client, invoices_doc, mapping, schema
from kyklos.einvoicing.channels.mydata.invoices_doc import DocumentData, Line, Party

CODE = "mydata"
#: Greece writes its VAT numbers with the prefix EL; myDATA wants the 9 digits alone.
VAT_PREFIXES = {"GR": "EL"}

#: The settings the channel reads, each with its check (the configuration is refused
#: when one is wrong or unknown).
SETTINGS = {
    "base_url": options.url,
    "schema_version": options.one_of(schema.VERSIONS),
    "schema_dir": options.text,
    "validate": options.flag,
    "timeout": options.number(1),
    "branch": options.number(0, whole=True),
    "payment_methods": options.mapping(
        mapping.PAYMENT_METHODS,
        options.number(
            min(mapping.AADE_PAYMENT_TYPES), maximum=max(mapping.AADE_PAYMENT_TYPES), whole=True
        ),
    ),
    "b2b_mandate_from": options.iso_date,
}


class MyDataChannel:
    """AADE myDATA, ERP channel (direct transmission over the REST API)."""

    code: ClassVar[str] = CODE
    label: ClassVar[str] = "myDATA (AADE)"
    countries: ClassVar[frozenset[str]] = frozenset({"GR"})
    credential_fields: ClassVar[tuple[str, ...]] = ("user_id", "subscription_key")

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return options.clean(settings, SETTINGS)

    def applies_to(self, document: Any, settings: dict[str, Any] | None = None) -> bool:
        """Tax documents of a Greek seller; never proformas."""
        seller_country = (document.seller or {}).get("country", "")
        return document.kind in TAX_DOCUMENT_KINDS and seller_country in self.countries

    def build(self, document: Any, settings: dict[str, Any]) -> Payload:
        try:
            data = document_data(document, settings)
        except mapping.NotExpressible as error:
            raise PermanentFailure(f"{document.number}: {error}") from None
        mandate_from = _date(settings.get("b2b_mandate_from"))
        if data.treatment.mandate and mandate_from and data.issued_on >= mandate_from:
            raise PermanentFailure(
                f"Issue {document.number} through a certified e-invoicing provider or AADE's "
                f"timologio: it is a B2B invoice within Greece's e-invoicing mandate (from "
                f"{mandate_from.isoformat()}), which the ERP channel may not carry "
                "(decision 0019).",
                code="mydata.b2b_mandate",
            )
        version = schema.version(settings.get("schema_version"))
        body = invoices_doc.build(data, version)
        if settings.get("validate", True):
            folder = schema.locate(settings.get("schema_version"), settings.get("schema_dir"))
            if folder is not None:
                problems = schema.errors(
                    schema.invoices_schema(folder, settings.get("schema_version")), body
                )
                if problems:
                    raise PermanentFailure(
                        f"{document.number}: the InvoicesDoc is not valid against "
                        f"{version.invoices_xsd}: " + "; ".join(problems[:5]),
                        request=body.decode("utf-8"),
                    )
        return Payload(body, "application/xml")

    def send(
        self, document: Any, payload: Payload, settings: dict[str, Any], credentials: Credentials
    ) -> Outcome:
        """Sending again is answered by AADE's duplicate check, read as the earlier MARK."""
        return client.send_invoices(
            payload.body, settings, credentials, uid=payload_uid(payload.body)
        )

    def cancel(self, mark: str, settings: dict[str, Any], credentials: Credentials) -> Outcome:
        """Cancel a document sent in error (``CancelInvoice``); identifiers ``mark`` and
        ``cancellation_mark``. An issued document is corrected with a credit note instead."""
        return client.cancel_invoice(mark, settings, credentials)


def document_data(document: Any, settings: dict[str, Any]) -> DocumentData:
    """Everything myDATA needs of ``document``, read once (raises NotExpressible)."""
    original = document.related if document.is_credit_note else document
    if original is None:
        raise mapping.NotExpressible("a credit note without its original document")
    treatment = mapping.treatment(original.kind, document.vat_case, document.buyer_vat_id)
    if document.currency != "EUR":
        raise mapping.NotExpressible(f"documents in {document.currency} need an exchange rate")
    seller = document.seller or {}
    branch = int(settings.get("branch", 0))
    issuer = Party(
        vat_number=vat_number(seller.get("vat_id", ""), seller.get("country", "GR")),
        country=seller.get("country", "GR"),
        branch=branch,
    )
    counterpart = _counterpart(document) if treatment.counterpart else None
    correlated = ""
    if document.is_credit_note:
        found = billing.transmission_identifiers(original.pk, CODE)
        if not found:
            raise TemporaryFailure(
                f"{document.number} corrects {original.number}, which has no myDATA MARK yet; "
                "it is sent once the original is accepted.",
                code="mydata.original_pending",
            )
        correlated = found["mark"]
    lines = [Line(line.net, line.vat, line.vat_rate) for line in document.lines.all()]
    return DocumentData(
        series=f"{document.series.prefix}-{document.series.year}",
        aa=str(document.sequence),
        issued_on=document.issued_on,
        currency=document.currency,
        issuer=issuer,
        treatment=treatment,
        is_credit_note=document.is_credit_note,
        lines=lines,
        net=document.subtotal,
        vat=document.vat_total,
        total=document.total,
        counterpart=counterpart,
        payments=payment_lines(document, original, settings),
        correlated_mark=correlated,
    )


def vat_number(vat_id: str, country: str) -> str:
    """``EL094014201`` → ``094014201``: the number without its country prefix."""
    vat_id = (vat_id or "").replace(" ", "").upper()
    prefix = VAT_PREFIXES.get(country, country)
    for candidate in (prefix, country):
        if candidate and vat_id.startswith(candidate) and len(vat_id) > len(candidate):
            return vat_id[len(candidate) :]
    return vat_id


def _counterpart(document: Any) -> Party:
    street, postal_code, city = split_address(document.buyer_address)
    customer = document.customer
    return Party(
        vat_number=vat_number(document.buyer_vat_id, document.buyer_country),
        country=document.buyer_country,
        name=document.buyer_name,
        street=street,
        postal_code=postal_code or customer.postal_code,
        city=city or customer.city,
    )


def split_address(address: str) -> tuple[str, str, str]:
    """The billing snapshot ``street, postal code city`` → (street, postal code, city)."""
    street, _, place = (address or "").rpartition(", ")
    postal_code, _, city = place.partition(" ")
    if not city:  # no postal code in front: the place is the city
        postal_code, city = "", place
    return street, postal_code, city


def payment_lines(
    document: Any, original: Any, settings: dict[str, Any]
) -> list[tuple[int, Decimal]]:
    """``(myDATA payment type, amount)`` summing to the document's total: what was paid,
    per method, and the rest "on credit". A credit note goes back the way the original was
    paid (the method that paid most of it)."""
    from kyklos.payments.models import Direction, Payment

    codes = {**mapping.PAYMENT_METHODS, **settings.get("payment_methods", {})}
    invoices = [original.pk] + ([original.related_id] if original.related_id else [])
    paid: dict[str, Decimal] = {}
    for method, amount in (
        Payment.objects.filter(invoice_id__in=invoices, direction=Direction.IN)
        .order_by("paid_on", "id")
        .values_list("method", "amount")
    ):
        paid[method] = paid.get(method, Decimal("0")) + amount
    total = document.total
    if total <= 0:
        return []
    if document.is_credit_note:
        method = max(paid, key=paid.get) if paid else None
        return [(_code(codes, method) if method else mapping.ON_CREDIT, total)]
    lines, left = [], total
    for method, amount in paid.items():
        part = min(amount, left)
        if part > 0:
            lines.append((_code(codes, method), part))
            left -= part
    if left > 0:
        lines.append((mapping.ON_CREDIT, left))
    return lines


def _code(codes: dict[str, int], method: str) -> int:
    try:
        return int(codes[method])
    except KeyError:
        raise mapping.NotExpressible(f"the payment method {method} has no myDATA code") from None


def payload_uid(body: bytes) -> str:
    """The AADE UID of the (single) invoice in an InvoicesDoc, computed as AADE does; ""
    when the payload is not one (AADE will say why)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        invoice = etree.fromstring(body, parser).find("{*}invoice")
        header, issuer = invoice.find("{*}invoiceHeader"), invoice.find("{*}issuer")
        return invoices_doc.uid(
            issuer.findtext("{*}vatNumber"),
            date.fromisoformat(header.findtext("{*}issueDate")),
            int(issuer.findtext("{*}branch") or 0),
            header.findtext("{*}invoiceType"),
            header.findtext("{*}series"),
            header.findtext("{*}aa"),
        )
    except (etree.XMLSyntaxError, AttributeError, TypeError, ValueError):
        return ""


def _date(value: Any) -> date | None:
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))
