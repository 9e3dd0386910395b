"""HTML → PDF with WeasyPrint, for every document Kyklos prints (quotes, invoices, notices).

A document carries everything it shows: styles in the template, images as ``data:`` URIs.
Rendering fetches nothing — no network, no files — so a PDF is the same wherever and
whenever it is printed. WeasyPrint is imported only when a PDF is made (loading it takes
a moment).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``; a resource other than a ``data:`` URI is left out, not fetched."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=_data_only()).write_pdf()


def render_pdf(template: str, context: dict, language: str) -> bytes:
    """Render ``template`` in ``language`` and print it. The context also holds the
    provider's details (``provider``, ``provider_country``) and ``language``."""
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
    return html_to_pdf(html)


def _data_only():
    """A URL fetcher that opens ``data:`` URIs and refuses everything else."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # newer WeasyPrint: a fetcher class
        return urls.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args, **kwargs):  # earlier versions take a plain function
        if url.startswith("data:"):
            return urls.default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"PDF documents load no external resources ({url}).")

    return fetch
