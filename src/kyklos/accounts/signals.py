"""Security events from Django's and axes' signals; sessions end when a login is disabled.

Connected at start-up (``AccountsConfig.ready``); the receivers import the services when
they run (decision 0041)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save

from kyklos.accounts.models import SecurityEvent

Kind = SecurityEvent.Kind


def on_logged_in(sender, request, user, **kwargs) -> None:
    from kyklos.accounts import services

    # Every login, also force_login in tests: the session is tracked. The security event
    # is written by the login view, which knows whether a second factor was used.
    if request is not None and hasattr(request, "session"):
        services.start_session(request, user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    from kyklos.accounts import services

    if request is None:
        return
    services.end_impersonation(request, why="logged out")
    services.finish_tracking(request, reason="logged out")
    if user is not None:
        services.record(request, Kind.LOGGED_OUT, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from kyklos.accounts import services

    if request is None:
        return
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model()._default_manager.filter(username=username).first()
    kind = kwargs.get("kind") or Kind.LOGIN_FAILED
    services.record(request, kind, user=user, username=username)


def on_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    from kyklos.accounts import services

    username = str(username or "")[:150]
    user = get_user_model()._default_manager.filter(username=username).first()
    services.record(request, Kind.LOCKED_OUT, user=user, username=username)


def remember_active(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        return
    instance._kyklos_was_active = (
        sender._default_manager.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def end_sessions_when_disabled(sender, instance, created=False, **kwargs) -> None:
    from kyklos.accounts import services

    was_active = getattr(instance, "_kyklos_was_active", None)
    if created or instance.is_active or not was_active:
        return
    instance._kyklos_was_active = False
    ended = services.end_all_sessions(instance, reason="account disabled")
    services.record(None, Kind.ACCOUNT_DISABLED, user=instance, data={"sessions_ended": ended})


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="kyklos.accounts.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="kyklos.accounts.logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="kyklos.accounts.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="kyklos.accounts.locked_out")
    pre_save.connect(remember_active, sender=user_model, dispatch_uid="kyklos.accounts.active")
    post_save.connect(
        end_sessions_when_disabled, sender=user_model, dispatch_uid="kyklos.accounts.disabled"
    )
