"""Core's own personal data: logins (``auth.User``) and the audit trail.

(The registry itself is :mod:`kyklos.core.personal_data`; this module registers the models
that core and Django's auth hold, from ``CoreConfig.ready``.)

The audit trail is kept (accountability, art. 5(2) GDPR): after an erasure its events keep
only references — the erased login's name is replaced and free-text reasons are redacted.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from kyklos.core.models import AuditEvent
from kyklos.core.personal_data import Erased, Subject, personal_data

AUDIT_HOLD = (
    "The audit trail of changes and access is kept to prove who did what (GDPR art. 5(2), "
    "32); it keeps references only: names and free text are removed."
)
#: Keys of ``AuditEvent.data`` that may hold free text typed by a person.
FREE_TEXT_KEYS = ("reason", "note", "user", "name")


def erased_username():
    return Concat(Value("erased-user-"), Cast(F("pk"), CharField()), output_field=CharField())


def user_anonymous_values() -> dict:
    return {
        "username": erased_username(),
        "email": Value(""),
        "first_name": Value(""),
        "last_name": Value(""),
        "is_active": Value(False),
        "password": Value(make_password(None)),
    }


def export_user(subject: Subject):
    if subject.user_id is None:
        return
    for u in get_user_model().objects.filter(pk=subject.user_id):
        yield {
            "username": u.get_username(),
            "email": u.email,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "date_joined": u.date_joined,
            "last_login": u.last_login,
            "is_active": u.is_active,
        }


def erase_user(subject: Subject) -> Erased:
    if subject.user_id is None:
        return Erased()
    User = get_user_model()
    n = (
        User.objects.filter(pk=subject.user_id)
        .exclude(username__startswith="erased-user-")
        .update(**user_anonymous_values())
    )
    # Logged out everywhere: sessions are not linked to users by a column, so every
    # session is decoded; erasures are rare and per person.
    for session in Session.objects.all().iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(subject.user_id):
            session.delete()
    return Erased(anonymised=n)


def _audit_events(subject: Subject):
    q = Q(pk__in=[])
    if subject.customer_id is not None:
        q |= Q(customer_id=subject.customer_id)
    if subject.user_id is not None:
        q |= Q(actor_id=subject.user_id)
    return AuditEvent.objects.filter(q)


def export_audit(subject: Subject):
    for e in _audit_events(subject).order_by("at", "id"):
        yield {
            "at": e.at,
            "by": e.actor_label,
            "action": e.action,
            "object": f"{e.object_type}#{e.object_id}",
            "data": e.data,
        }


def erase_audit(subject: Subject) -> Erased:
    events = _audit_events(subject)
    redacted = 0
    if subject.user_id is not None:
        redacted += AuditEvent.objects.filter(actor_id=subject.user_id).update(
            actor_label=f"erased-user-{subject.user_id}"
        )
    for event in events.only("pk", "data"):
        data = event.data or {}
        if isinstance(data, dict) and any(k in data for k in FREE_TEXT_KEYS):
            event.data = {k: ("[erased]" if k in FREE_TEXT_KEYS else v) for k, v in data.items()}
            AuditEvent.objects.filter(pk=event.pk).update(data=event.data)
            redacted += 1
    return Erased(anonymised=redacted, kept=events.count(), kept_reason=AUDIT_HOLD)


def register() -> None:
    from django.contrib.auth.models import Group, Permission

    personal_data.declare_exempt(Permission, "A permission's name, not a person's.")
    personal_data.declare_exempt(Group, "A staff group's (role's) name, not a person's.")
    personal_data.register(
        get_user_model(),
        category="accounts",
        fields=["username", "email", "first_name", "last_name"],
        exporter=export_user,
        eraser=erase_user,
    )
    personal_data.register(
        AuditEvent,
        category="audit_trail",
        fields=["actor_label", "data"],
        exporter=export_audit,
        eraser=erase_audit,
        legal_hold=AUDIT_HOLD,
    )
