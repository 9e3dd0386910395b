"""Automated mail: bounces and auto-replies are recognised and never answered.

RFC 3834 asks responders not to answer messages marked ``Auto-Submitted`` (other than
``no``); the older conventions are ``Precedence: bulk/junk/list/auto_reply`` and the
``X-Autoreply``/``X-Autorespond`` headers. Bounces (RFC 3464 delivery status
notifications) come with a null return path ``<>``, as ``multipart/report``, or from
``MAILER-DAEMON``. A message that Kyklos itself sent (``X-Kyklos-Event``) or that comes
from its own sending address is a loop by definition.
"""

from __future__ import annotations

from email.message import Message
from email.utils import parseaddr

from django.conf import settings

BOUNCE = "bounce"
AUTOMATED = "automated"

_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header is not a reason to fail here
        return ""
    return str(value or "").strip()


def own_addresses() -> set[str]:
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    addresses |= {a.lower() for a in getattr(settings, "KYKLOS_INTAKE_OWN_ADDRESSES", ())}
    return addresses - {""}


def classify(msg: Message, sender: str = "") -> tuple[str, str] | None:
    """``(kind, why)`` for a bounce or an automated message, or None for a person's mail.

    ``kind`` is :data:`BOUNCE` or :data:`AUTOMATED`; ``why`` names the header that told.
    """
    content_type = msg.get_content_type()
    report_type = (msg.get_param("report-type") or "") if content_type == "multipart/report" else ""
    if content_type == "multipart/report":
        return BOUNCE, f"multipart/report ({report_type or 'no report-type'})"
    return_path = _header(msg, "Return-Path")
    if return_path.replace(" ", "") == "<>":
        return BOUNCE, "null return path (Return-Path: <>)"
    if _header(msg, "X-Failed-Recipients"):
        return BOUNCE, "X-Failed-Recipients"
    local = sender.partition("@")[0].lower()
    if local in _DAEMONS:
        return BOUNCE, f"sent by {local}"
    if _header(msg, "X-Kyklos-Event"):
        return AUTOMATED, "a notice sent by Kyklos (X-Kyklos-Event)"
    if sender and sender.lower() in own_addresses():
        return AUTOMATED, "sent from Kyklos' own address"
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return AUTOMATED, f"Auto-Submitted: {auto}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in _PRECEDENCE:
        return AUTOMATED, f"Precedence: {precedence}"
    for name in _AUTOREPLY_HEADERS:
        if _header(msg, name):
            return AUTOMATED, name
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return AUTOMATED, "mailing list (List-Id/List-Unsubscribe)"
    return None
