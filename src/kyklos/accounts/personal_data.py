"""The personal data this app holds (and django-otp's and axes' tables, which it installs,
and the admin's log — the admin is configured here), registered with the core registry so
access and erasure requests cover them.

The admin's log (``django.contrib.admin.models.LogEntry``) is staff's record of what they
changed, so an erasure keeps its entries but pseudonymises them: an entry about the
person's login or customer record names it by number (``erased-user-N``, ``customer #N``),
and any other mention of the person in ``object_repr`` or ``change_message`` is redacted.
"""

from __future__ import annotations

import json

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.accounts import services
from kyklos.accounts.models import (
    Contact,
    RecoveryCode,
    RecoveryCodeDevice,
    SecurityEvent,
    UserSession,
)
from kyklos.core.personal_data import (
    AUDIT_TRAIL,
    DELETE,
    Erased,
    Identity,
    Subject,
    personal_data,
)
from kyklos.core.personal_records import Redactor, login_label
from kyklos.customers.models import ChangeRequest, Customer

SECURITY = "access_logs"
ACCOUNT = "accounts"


def users_of(subject: Subject):
    """The logins a data subject has: by user id, their customer account, or e-mail."""
    query = Q(pk__in=subject.user_ids)
    if subject.user_id is not None:
        query |= Q(pk=subject.user_id)
    if subject.customer_id is not None:
        query |= Q(customer__pk=subject.customer_id)
    if subject.email:
        query |= Q(email__iexact=subject.email)
    return get_user_model()._default_manager.filter(query)


def _when(value) -> str:
    return value.isoformat() if value else ""


# --- exporters ----------------------------------------------------------------------------


def export_users(subject):
    return [
        {
            "username": u.username,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "email": u.email,
            "joined": _when(u.date_joined),
            "last_login": _when(u.last_login),
            "active": u.is_active,
        }
        for u in users_of(subject)
    ]


def export_security_events(subject):
    rows = SecurityEvent.objects.filter(user__in=users_of(subject)).order_by("at")
    return [
        {
            "when": _when(e.at),
            "event": e.get_kind_display(),
            "ip_address": e.ip_address or "",
            "user_agent": e.user_agent,
        }
        for e in rows
    ]


def export_sessions(subject):
    rows = UserSession.objects.filter(user__in=users_of(subject)).order_by("created_at")
    return [
        {
            "started": _when(s.created_at),
            "last_seen": _when(s.last_seen_at),
            "ended": _when(s.ended_at),
            "ip_address": s.ip_address or "",
            "user_agent": s.user_agent,
        }
        for s in rows
    ]


def export_devices(subject):
    return [
        {"device": d.name, "confirmed": d.confirmed, "created": _when(d.created_at)}
        for d in TOTPDevice.objects.filter(user__in=users_of(subject))
    ]


def export_recovery_devices(subject):
    return [
        {"device": d.name, "unused_codes": d.remaining()}
        for d in RecoveryCodeDevice.objects.filter(user__in=users_of(subject))
    ]


def _contacts(subject):
    """The subject as a contact login of some account: by their login or their address."""
    query = Q(user__in=users_of(subject))
    if subject.email:
        query |= Q(email__iexact=subject.email)
    return Contact.objects.filter(query).select_related("customer")


def export_contacts(subject):
    return [
        {
            "account": c.customer.display_name,
            "name": c.name,
            "email": c.email,
            "access": c.get_scope_display(),
            "invited": _when(c.invited_at),
            "accepted": _when(c.accepted_at),
        }
        for c in _contacts(subject)
    ]


def erase_contacts(subject):
    deleted, _by_model = _contacts(subject).delete()
    return Erased(deleted=deleted)


def _usernames(subject) -> list[str]:
    return list(users_of(subject).values_list("username", flat=True))


def _axes_exporter(model):
    def export(subject):
        fields = [f.name for f in model._meta.concrete_fields if f.name not in ("id",)]
        rows = model.objects.filter(username__in=_usernames(subject)).values(*fields)
        return [{k: str(v) if v is not None else "" for k, v in row.items()} for row in rows]

    return export


# --- erasers ------------------------------------------------------------------------------


def erase_users(subject):
    count = 0
    for user in users_of(subject):
        services.end_all_sessions(user, reason="erased")
        user.username = login_label(user.pk)
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        count += 1
    return Erased(anonymised=count)


def _deleting(model, field="user__in"):
    def erase(subject):
        deleted, _by_model = model.objects.filter(**{field: users_of(subject)}).delete()
        return Erased(deleted=deleted)

    return erase


def _axes_eraser(model):
    def erase(subject):
        deleted, _ = model.objects.filter(username__in=_usernames(subject)).delete()
        return Erased(deleted=deleted)

    return erase


# --- what identifies a login ----------------------------------------------------------------


def identity(subject) -> Identity:
    """The subject's logins with their login names, e-mail addresses and full names (read
    before the erasers anonymise them)."""
    users = list(users_of(subject))
    words = [w for u in users for w in (u.username, u.email, u.get_full_name()) if w]
    return Identity(logins={u.pk: u.username for u in users}, words=tuple(words))


# --- the admin's log ------------------------------------------------------------------------


def _own_objects(subject) -> dict[tuple[int, str], str]:
    """(content type id, object id) of the subject's login(s), customer record and change
    requests → what an entry about it is called after the erasure."""
    types = ContentType.objects.get_for_models(get_user_model(), Customer, ChangeRequest)
    user_type, customer_type = types[get_user_model()], types[Customer]
    names = {(user_type.pk, str(pk)): login_label(pk) for pk in subject.user_ids}
    if subject.customer_id is not None:
        names[(customer_type.pk, str(subject.customer_id))] = f"customer #{subject.customer_id}"
        requests = ChangeRequest.objects.filter(customer_id=subject.customer_id)
        for pk in requests.values_list("pk", flat=True):
            names[(types[ChangeRequest].pk, str(pk))] = f"change request #{pk}"
    return names


def _log_entries(subject):
    """Entries about the subject's own objects or mentioning them (also as JSON escapes)."""
    query = Q(pk__in=[])
    for type_id, object_id in _own_objects(subject):
        query |= Q(content_type_id=type_id, object_id=object_id)
    for word in subject.identifiers:
        for form in {word, json.dumps(word)[1:-1]}:
            query |= Q(object_repr__icontains=form) | Q(change_message__icontains=form)
    return LogEntry.objects.filter(query).select_related("user")


def export_log_entries(subject):
    for e in _log_entries(subject):
        yield {
            "at": e.action_time,
            "by": e.user.get_username(),
            "object": e.object_repr,
            "change": e.get_change_message(),
        }


def _redacted_message(redactor: Redactor, message: str) -> str:
    try:
        parsed = json.loads(message)
    except ValueError:
        return redactor.text(message)
    return json.dumps(redactor.data(parsed))


def erase_log_entries(subject) -> Erased:
    names = _own_objects(subject)
    redactor = Redactor(subject.identifiers)
    changed = 0
    for entry in _log_entries(subject):
        own = names.get((entry.content_type_id, entry.object_id))
        repr_ = own or redactor.text(entry.object_repr)
        message = _redacted_message(redactor, entry.change_message)
        if (repr_, message) != (entry.object_repr, entry.change_message):
            LogEntry.objects.filter(pk=entry.pk).update(object_repr=repr_, change_message=message)
            changed += 1
    return Erased(anonymised=changed)


def register() -> None:
    user_model = get_user_model()
    personal_data.register_identity_source(identity)
    personal_data.register(
        LogEntry,
        category=AUDIT_TRAIL,
        fields=["object_repr", "change_message"],
        exporter=export_log_entries,
        eraser=erase_log_entries,
    )
    personal_data.register(
        user_model,
        category=ACCOUNT,
        fields=["username", "first_name", "last_name", "email"],
        exporter=export_users,
        eraser=erase_users,
    )
    personal_data.register(
        SecurityEvent,
        category=SECURITY,
        fields=["username", "ip_address", "user_agent"],
        exporter=export_security_events,
        eraser=_deleting(SecurityEvent),
    )
    personal_data.register(
        UserSession,
        category=SECURITY,
        fields=["ip_address", "user_agent"],
        exporter=export_sessions,
        eraser=_deleting(UserSession),
    )
    personal_data.register(
        TOTPDevice,
        category=ACCOUNT,
        fields=["name"],
        exporter=export_devices,
        eraser=_deleting(TOTPDevice),
    )
    personal_data.register(
        RecoveryCodeDevice,
        category=ACCOUNT,
        fields=["name"],
        exporter=export_recovery_devices,
        eraser=_deleting(RecoveryCodeDevice),
    )
    personal_data.declare_exempt(RecoveryCode, "digests of single-use codes only")
    personal_data.register(
        Contact,
        category=ACCOUNT,
        fields=["name", "email"],
        exporter=export_contacts,
        eraser=erase_contacts,
    )
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        personal_data.register(
            model,
            category=SECURITY,
            fields=["username", "ip_address", "user_agent"],
            exporter=_axes_exporter(model),
            eraser=_axes_eraser(model),
        )
    # R9.4, R10.4: IP addresses and access logs go after the access_logs rule's period
    # (3 months by default), by the retention engine in the daily run.
    for model, date_field in (
        (SecurityEvent, "at"),
        (UserSession, "last_seen_at"),
        (AccessAttempt, "attempt_time"),
        (AccessLog, "attempt_time"),
        (AccessFailureLog, "attempt_time"),
    ):
        personal_data.register_retention(SECURITY, model, date_field=date_field, action=DELETE)
    personal_data.declare_exempt(Group, "role names, no person")
    personal_data.declare_exempt(Permission, "permission names, no person")
