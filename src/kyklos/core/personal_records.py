"""Core's own personal data: the audit trail, and how a login is anonymised.

(The registry itself is :mod:`kyklos.core.personal_data`; :func:`register` registers the
models core holds, from ``CoreConfig.ready``. Logins — ``auth.User`` — are registered by
the accounts app, which manages them.)
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from kyklos.core.personal_data import Erased, personal_data

#: The audit trail is evidence of how personal data was processed (GDPR art. 5(2), 30, 32).
AUDIT_LEGAL_HOLD = (
    "The audit trail is kept as evidence of who processed the data and when (GDPR art. 5(2) "
    "and 32): it names who acted (a login name) and what changed, and it is hash-chained, so "
    "its rows are never rewritten; an erasure leaves it as it is."
)


def erased_username():
    return Concat(Value("erased-user-"), Cast(F("pk"), CharField()), output_field=CharField())


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


def keep_audit_trail(subject) -> Erased:
    from kyklos.core.models import AuditEvent

    kept = (
        AuditEvent.objects.filter(customer_id=subject.customer_id).count()
        if subject.customer_id
        else 0
    )
    return Erased(kept=kept, kept_reason=AUDIT_LEGAL_HOLD)


def register() -> None:
    from kyklos.core import audit
    from kyklos.core.models import AuditEvent, AuditSeal

    personal_data.register(
        AuditEvent,
        category="audit_trail",
        fields=["actor_label", "data"],
        exporter=audit.export_access_log,
        eraser=keep_audit_trail,
        legal_hold=AUDIT_LEGAL_HOLD,
    )
    personal_data.declare_exempt(AuditSeal, "chain positions and hashes only")
