"""Notice texts: one plain-text template pair per event and language (R12.1).

Templates live at ``notifications/<event>/<language>/subject.txt`` and ``body.txt``.
A language without its own template falls back to English; an event without templates
in every language of ``settings.LANGUAGES`` is reported by the system check
``notifications.E001`` (see :mod:`kyklos.notifications.checks`).

Every body extends ``notifications/_base/<language>/body.txt``, which adds the greeting,
the signature and the statement that notices are automated and not monitored for
replies (R3.9).

Contexts are JSON: dates are ISO strings and amounts decimal strings, formatted for the
language by the ``notifications_format`` filters. ``REQUIRED_KEYS`` lists what each event
needs; the templates also use, when given: ``product_name``, ``period_start`` and
``period_end``, ``invoice_number`` (suspension, payment), ``terminate_on`` (suspension,
termination, cancellation), ``service_label`` and ``due_on`` (invoice issued) and
``late_fee_warning`` (domains, R4.4: expiry warning, renewal invoice, reminder, suspension).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, TemplateDoesNotExist, engines
from django.template.base import Template
from django.utils import translation

from kyklos.notifications.models import Event

FALLBACK_LANGUAGE = "en"
PARTS = ("subject", "body")

_SERVICE = ("customer_name", "service_label")
_INVOICE = ("customer_name", "invoice_number", "total", "currency")
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    Event.RENEWAL_INVOICE: (*_INVOICE, "service_label", "due_on", "expires_on"),
    Event.PAYMENT_REMINDER: (*_INVOICE, "service_label", "expires_on", "days"),
    Event.EXPIRY_WARNING: (*_SERVICE, "expires_on", "days"),
    Event.SERVICE_SUSPENDED: (*_SERVICE, "expires_on"),
    Event.SERVICE_TERMINATED: _SERVICE,
    Event.SERVICE_RENEWED: (*_SERVICE, "expires_on"),
    Event.SERVICE_REACTIVATED: (*_SERVICE, "expires_on"),
    Event.SERVICE_CANCELLED: _SERVICE,
    Event.PAYMENT_RECEIVED: ("customer_name", "amount", "currency", "paid_on"),
    Event.INVOICE_ISSUED: _INVOICE,
}


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


def template_name(event: str, language: str, part: str) -> str:
    return f"notifications/{event}/{language}/{part}.txt"


def render_notice(event: str, language: str, context: dict[str, Any]) -> RenderedNotice:
    """Subject (one line) and plain-text body of a notice, in ``language``.

    A language without templates for ``event`` gets the English notice, with English
    dates and amounts. ``provider_name`` and ``portal_url`` default to the settings.
    """
    language, subject, body = _templates(event, language)
    values = {
        "provider_name": settings.KYKLOS_PROVIDER["name"],
        "portal_url": settings.KYKLOS_PORTAL_URL,
        **context,
    }
    with translation.override(language):
        return RenderedNotice(
            subject=" ".join(_render(subject, values).splitlines()).strip(),
            body=_tidy(_render(body, values)),
        )


def _templates(event: str, language: str) -> tuple[str, Template, Template]:
    engine = engines["django"].engine
    try:
        return (
            language,
            engine.get_template(template_name(event, language, "subject")),
            engine.get_template(template_name(event, language, "body")),
        )
    except TemplateDoesNotExist:
        if language == FALLBACK_LANGUAGE:
            raise
        return _templates(event, FALLBACK_LANGUAGE)


def _render(template: Template, values: dict[str, Any]) -> str:
    # Plain text: nothing is HTML-escaped.
    return template.render(Context(values, autoescape=False))


def _tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", lines) + "\n"
