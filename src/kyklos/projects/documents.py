"""PDF documents of this app (WeasyPrint): the quote, with the provider's details.

:func:`render_pdf` renders an HTML template in a language and prints it; the receivables
app uses it for the formal notice too. Everything the PDF needs is inlined (styles in the
template, no remote resources), so rendering never touches the network.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from kyklos.core import clock
from kyklos.projects.models import Quote


def render_pdf(template: str, context: dict, language: str) -> bytes:
    from weasyprint import HTML  # imported late: loading it takes a moment

    with translation.override(language):
        html = render_to_string(
            template,
            {
                "provider": settings.KYKLOS_PROVIDER,
                "provider_country": settings.KYKLOS_COUNTRY,
                "language": language,
                **context,
            },
        )
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"PDF documents load no external resources ({url}).")


def quote_pdf(quote: Quote) -> bytes:
    lines = list(quote.lines.order_by("position"))
    return render_pdf(
        "projects/quote_pdf.html",
        {
            "quote": quote,
            "customer": quote.customer,
            "lines": lines,
            "printed_on": clock.today(),
        },
        quote.language,
    )


def quote_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


def quote_attachment(pk: int) -> tuple[str, bytes, str]:
    quote = Quote.objects.select_related("customer").get(pk=pk)
    return quote_filename(quote), quote_pdf(quote), "application/pdf"
