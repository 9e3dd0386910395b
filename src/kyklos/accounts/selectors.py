"""Reads for the security page and the staff views."""

from __future__ import annotations

from kyklos.accounts.models import RecoveryCode, SecurityEvent, UserSession

RECENT_EVENTS = 20


def open_sessions(user) -> list[UserSession]:
    return list(
        UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")
    )


def recent_security_events(user, limit: int = RECENT_EVENTS) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user).order_by("-at", "-id")[:limit])


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(
        device__user=user, device__confirmed=True, used_at__isnull=True
    ).count()
