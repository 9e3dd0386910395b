"""Billing documents out (R6.8): PDF for every document, the e-mail attachment, and how
long a document stays downloadable.

The PDF is rendered from the document's own data (its snapshots of the parties, its
lines and amounts) with the template of its language, ``billing/pdf/<language>.html``
(each extends ``billing/pdf/_layout.html`` and words its labels), so it is the same
every time it is produced and never depends on today's particulars of the customer.
"""

from __future__ import annotations

import base64
import mimetypes
from datetime import date
from pathlib import Path

from babel.dates import format_date
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from kyklos.billing import vat
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core.money import babel_locale, format_money
from kyklos.core.pdf import html_to_pdf
from kyklos.customers.models import Customer

LANGUAGES = ("el", "en", "pl")
DEFAULT_LOGO = Path(__file__).resolve().parent / "static" / "billing" / "logo.svg"


def retained_until(invoice: Invoice) -> date:
    """The last day the document stays downloadable: the retention period counted from
    the end of its fiscal year (R6.8, R9.4; Greece: 5 years)."""
    return date(invoice.issued_on.year + settings.KYKLOS_DOCUMENT_RETENTION_YEARS, 12, 31)


def is_retained(invoice: Invoice, today: date) -> bool:
    return today <= retained_until(invoice)


def _logo() -> str:
    """The provider's logo as a data URI (no fetch at render time)."""
    path = Path(settings.KYKLOS_PROVIDER.get("logo") or DEFAULT_LOGO)
    if not path.is_file():
        return ""
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


#: Identifiers a system assigns that are printed on the document, in this order; any
#: other short identifier a channel reports is printed after them under its own name.
IDENTIFIER_LABELS = {
    "mark": lambda: gettext("MARK"),
    "ksef_number": lambda: gettext("KSeF number"),
    "uid": lambda: gettext("UID"),
    "authentication_code": lambda: gettext("Authentication code"),
}
#: Identifiers never printed: the QR link is printed as a code, the receipt is a file.
NOT_PRINTED = {"qr_url", "upo"}
PRINTABLE_LENGTH = 120


def qr_data_uri(text: str) -> str:
    """``text`` as a QR code: an SVG data URI (nothing fetched, fine for PDF and page)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def identifiers(invoice: Invoice, language: str | None = None) -> list[dict]:
    """What the national e-invoicing systems assigned to ``invoice``, per reported
    transmission: the channel's name, the printed identifiers as (label, value) and the
    QR code of its link (myDATA: MARK + QR; KSeF: KSeF number + verification QR)."""
    found = []
    with translation.override(language or invoice.language):
        for t in invoice.transmissions.all():
            if t.status != t.Status.SENT:
                continue
            values = {**(t.identifiers or {}), **({"mark": t.mark} if t.mark else {})}
            if t.authority == t.Authority.KSEF and values.get("mark") == values.get("ksef_number"):
                values.pop("mark")
            printed = [
                (IDENTIFIER_LABELS[k](), values[k]) for k in IDENTIFIER_LABELS if values.get(k)
            ] + [
                (k.replace("_", " "), v)
                for k, v in sorted(values.items())
                if k not in IDENTIFIER_LABELS
                and k not in NOT_PRINTED
                and v
                and len(str(v)) <= PRINTABLE_LENGTH
                and "\n" not in str(v)
            ]
            found.append(
                {
                    "authority": t.authority_label,
                    "identifiers": printed,
                    "qr_url": t.qr_url,
                    "qr": qr_data_uri(t.qr_url) if t.qr_url else "",
                }
            )
    return found


def _quantity(value) -> str:
    text = f"{value.normalize():f}"
    return text


def context(invoice: Invoice) -> dict:
    language = invoice.language if invoice.language in LANGUAGES else "en"
    locale = babel_locale(language)

    def money(amount):
        return format_money(amount, invoice.currency, language)

    def day(value):
        return format_date(value, "medium", locale=locale) if value else ""

    def rate(value):
        return f"{value.normalize():f} %"

    lines = list(invoice.lines.all())
    related = invoice.related
    with translation.override(language):
        vat_check = invoice.get_vat_check_display()
    return {
        "language": language,
        "title": invoice.number,
        "logo": _logo(),
        "seller": {**settings.KYKLOS_PROVIDER, **invoice.seller},
        "doc": {
            "kind": invoice.kind,
            "number": invoice.number,
            "issued_on": day(invoice.issued_on),
            "due_on": day(invoice.due_on),
            "paid_on": day(invoice.paid_on),
            "buyer_name": invoice.buyer_name,
            "buyer_address": invoice.buyer_address,
            "buyer_country": invoice.buyer_country,
            "buyer_vat_id": invoice.buyer_vat_id,
            "buyer_tax_office": invoice.buyer_tax_office,
            "customer_id": invoice.customer_id,
            "subtotal": money(invoice.subtotal),
            "vat_total": money(invoice.vat_total),
            "total": money(invoice.total),
            "vat_case": invoice.vat_case,
            "vat_country": invoice.vat_country,
            "vat_note": invoice.vat_note,
            "vat_check_reference": invoice.vat_check_reference,
            "reason": invoice.reason,
        },
        "related": related and {"number": related.number, "issued_on": day(related.issued_on)},
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "period": " – ".join(day(d) for d in (line.period_start, line.period_end) if d),
                "quantity": _quantity(line.quantity),
                "unit_price": money(line.unit_price),
                "discount": money(line.discount) if line.discount else "",
                "net": money(line.net),
                "rate": rate(line.vat_rate),
                "vat": money(line.vat),
            }
            for line in lines
        ],
        "breakdown": [
            {"rate": rate(r), "net": money(net), "vat": money(tax)}
            for r, (net, tax) in vat.breakdown(lines).items()
        ],
        "transmissions": identifiers(invoice, language),
        "show_bank": invoice.status == Invoice.Status.OPEN
        and invoice.kind != DocumentKind.CREDIT_NOTE
        and bool(invoice.seller.get("iban") or settings.KYKLOS_PROVIDER.get("iban")),
        "vat_check": vat_check,
        "consumer_disputes": consumer_disputes(language) if _is_consumer(invoice) else "",
    }


def _is_consumer(invoice: Invoice) -> bool:
    return invoice.customer.kind == Customer.Kind.PERSON


def consumer_disputes(language: str) -> str:
    """Where a consumer may take a dispute out of court (R12.4), in ``language``; the
    provider's country's ADR body from ``KYKLOS_CONSUMER_DISPUTES``."""
    texts = settings.KYKLOS_CONSUMER_DISPUTES.get(settings.KYKLOS_COUNTRY, {})
    return texts.get(language) or texts.get("en", "")


def render_html(invoice: Invoice) -> str:
    data = context(invoice)
    return render_to_string(f"billing/pdf/{data['language']}.html", data)


def render_pdf(invoice: Invoice) -> bytes:
    return html_to_pdf(render_html(invoice))


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def pdf_attachment(invoice_id: int) -> tuple[str, bytes, str]:
    """The ``invoice_pdf`` renderer of notice attachments."""
    invoice = Invoice.objects.select_related("related").get(pk=invoice_id)
    return pdf_filename(invoice), render_pdf(invoice), "application/pdf"
