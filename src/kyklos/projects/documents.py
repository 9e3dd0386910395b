"""PDF documents of this app: the quote, with the provider's details, printed by
:func:`kyklos.core.pdf.render_pdf` (everything inlined, nothing fetched)."""

from __future__ import annotations

from kyklos.core import clock
from kyklos.core.pdf import render_pdf
from kyklos.projects.models import Quote


def quote_pdf(quote: Quote) -> bytes:
    """The quote (or estimate) as sent, with its SLA version annexed; once accepted, the
    acceptance and the SLA version it accepted (R7.1, R7.7)."""
    lines = list(quote.lines.order_by("position"))
    sla = quote.sla_version
    return render_pdf(
        "projects/quote_pdf.html",
        {
            "quote": quote,
            "customer": quote.customer,
            "lines": lines,
            "printed_on": clock.today(),
            "sla": sla,
            "sla_text": sla.text(quote.language) if sla else "",
            "acceptance": quote.acceptance,
        },
        quote.language,
    )


def quote_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


def quote_attachment(pk: int) -> tuple[str, bytes, str]:
    quote = Quote.objects.select_related("customer", "sla_version").get(pk=pk)
    return quote_filename(quote), quote_pdf(quote), "application/pdf"
