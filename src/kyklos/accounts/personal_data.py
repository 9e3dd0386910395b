"""The personal data this app holds (and django-otp's and axes' tables, which it installs),
registered with the core registry so access and erasure requests cover them."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.accounts import services
from kyklos.accounts.models import RecoveryCode, RecoveryCodeDevice, SecurityEvent, UserSession
from kyklos.core.personal_data import DELETE, Erased, Subject, personal_data

SECURITY = "access_logs"
ACCOUNT = "accounts"


def users_of(subject: Subject):
    """The logins a data subject has: by user id, their customer account, or e-mail."""
    query = Q(pk__in=[])
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
        user.username = f"erased-{user.pk}"
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


def register() -> None:
    user_model = get_user_model()
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
