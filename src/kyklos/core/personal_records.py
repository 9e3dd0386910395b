"""Core's own personal data: the audit trail, how a login is anonymised, and how free text
that names an erased person is redacted.

(The registry itself is :mod:`kyklos.core.personal_data`; :func:`register` registers the
models core holds, from ``CoreConfig.ready``. Logins — ``auth.User`` — and the admin's log
are registered by the accounts app, which manages them.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from kyklos.core.personal_data import AUDIT_TRAIL, Erased, Subject, personal_data

#: The audit trail is evidence of how personal data was processed (GDPR art. 5(2), 30, 32).
AUDIT_LEGAL_HOLD = (
    "The audit trail is kept as evidence of who processed the data and when (GDPR art. 5(2) "
    "and 32). After an erasure it holds only references: the person's login name is replaced "
    "by erased-user-N and free text naming them is redacted; each such change is itself "
    "recorded in the hash-chained trail, which stays verifiable."
)
#: What redacted free text reads.
REDACTED = "[erased]"
#: Keys of event data that hold free text (a reason, a note, a name): redacted whole.
FREE_TEXT_KEYS = ("reason", "note", "user", "name")
#: The prefix of an erased login's name and of its actor label: ``erased-user-<id>``.
ERASED_USER = "erased-user-"


def erased_username():
    return Concat(Value(ERASED_USER), Cast(F("pk"), CharField()), output_field=CharField())


def user_anonymous_values() -> dict:
    """``update()`` arguments that anonymise logins in one statement (for retention)."""
    return {
        "username": erased_username(),
        "email": Value(""),
        "first_name": Value(""),
        "last_name": Value(""),
        "is_active": Value(False),
        "password": Value(make_password(None)),
    }


# --- redacting free text ------------------------------------------------------------------


class Redactor:
    """Replaces every mention of a subject's identifiers (case-insensitive) by
    :data:`REDACTED`, in strings and, recursively, in JSON-like data."""

    def __init__(self, words: Iterable[str]):
        ordered = sorted({w for w in words if w}, key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(re.escape(w) for w in ordered), re.IGNORECASE) if ordered else None
        )

    def text(self, value: str) -> str:
        return self.pattern.sub(REDACTED, value) if self.pattern and value else value

    def mentions(self, value: str) -> bool:
        return bool(self.pattern and value and self.pattern.search(value))

    def data(self, value: Any, key: str | None = None) -> Any:
        """``value`` with free-text keys (:data:`FREE_TEXT_KEYS`) redacted whole and any
        other string redacted where it names the subject."""
        if isinstance(value, dict):
            return {k: self.data(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v, key) for v in value]
        if isinstance(value, str):
            return REDACTED if key in FREE_TEXT_KEYS and value else self.text(value)
        return value


def login_label(user_id: int | None) -> str:
    """What an erased login is called in the audit trail and the admin's log
    (``erased-user-0`` when the login is not known any more)."""
    return f"{ERASED_USER}{user_id or 0}"


# --- the audit trail ------------------------------------------------------------------------


def _events_of(subject: Subject):
    """Events about the subject's customer, by one of their logins, about one of their
    logins, or labelled with one of their identifiers (a login deleted since)."""
    from kyklos.core.audit_chain import PSEUDONYMISED
    from kyklos.core.models import AuditEvent

    query = Q(pk__in=[])
    if subject.customer_id is not None:
        query |= Q(customer_id=subject.customer_id)
    if subject.user_ids:
        user_type = settings.AUTH_USER_MODEL.lower()
        query |= Q(actor_id__in=subject.user_ids)
        query |= Q(object_type=user_type, object_id__in=[str(pk) for pk in subject.user_ids])
    if subject.identifiers:
        query |= Q(actor_label__in=subject.identifiers)
    return AuditEvent.objects.filter(query).exclude(action=PSEUDONYMISED)


def pseudonymise_audit_trail(subject: Subject) -> Erased:
    """Keep the subject's events (:data:`AUDIT_LEGAL_HOLD`) but replace their login's
    name by ``erased-user-N`` and redact free text naming them, through
    :func:`kyklos.core.audit_chain.pseudonymise` (decision 0017)."""
    from kyklos.core import audit_chain

    redactor = Redactor(subject.identifiers)
    own = set(subject.user_ids)
    lowered = {w.lower() for w in subject.identifiers}
    kept, changes = 0, {}
    rows = _events_of(subject).values_list("pk", "actor_id", "actor_label", "data")
    for pk, actor_id, label, data in rows.iterator(chunk_size=2000):
        kept += 1
        new_label = label
        if actor_id in own or label.lower() in lowered:
            new_label = login_label(actor_id if actor_id in own else None)
        new_data = redactor.data(data)
        if (new_label, new_data) != (label, data):
            changes[pk] = (new_label, new_data)
    changed = audit_chain.pseudonymise(changes, actor="privacy.erasure")
    return Erased(anonymised=changed, kept=kept, kept_reason=AUDIT_LEGAL_HOLD)


def register() -> None:
    from kyklos.core import audit
    from kyklos.core.models import AuditEvent, AuditSeal

    personal_data.register(
        AuditEvent,
        category=AUDIT_TRAIL,
        fields=["actor_label", "data"],
        exporter=audit.export_access_log,
        eraser=pseudonymise_audit_trail,
        legal_hold=AUDIT_LEGAL_HOLD,
    )
    personal_data.declare_exempt(AuditSeal, "chain positions and hashes only")
