"""Mails of sign-up and password reset: sent at once after the commit, never stored.

They carry a secret (a verification or reset link), so unlike notices they are not written
to the outbox, where the link would sit in the database until sent (decision 0025).
Templates: ``storefront/mail/<name>/<language>/{subject,body}.txt``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

NAMES = ("verify_email", "account_exists", "password_reset")


def render(name: str, language: str, context: dict) -> tuple[str, str]:
    if name not in NAMES:
        raise ValueError(f"Unknown shop mail {name!r}.")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    base = settings.KYKLOS_PORTAL_URL.rstrip("/")
    full = {
        "provider_name": settings.KYKLOS_PROVIDER["name"],
        "portal_url": base,
        "login_url": f"{base}/portal/login/",
        "reset_url": f"{base}/shop/password-reset/",
        **context,
    }
    if "path" in context:
        full["url"] = base + context["path"]
    with translation.override(language):
        subject = render_to_string(f"storefront/mail/{name}/{language}/subject.txt", full)
        body = render_to_string(f"storefront/mail/{name}/{language}/body.txt", full)
    return " ".join(subject.split()), body


def send_after_commit(name: str, to: str, language: str, context: dict) -> None:
    subject, body = render(name, language, context)

    def deliver() -> None:
        try:
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()
        except OSError:
            # The page says the same either way; the visitor can ask again.
            logger.exception("The %s mail could not be sent", name)

    transaction.on_commit(deliver)
