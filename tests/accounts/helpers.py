"""Helpers for logins with a second factor in tests."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device(user, *, key: str | None = None) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        fields = {"key": key} if key else {}
        device = TOTPDevice.objects.create(user=user, name="tests", confirmed=True, **fields)
    return device


def verify_session(client, user) -> TOTPDevice:
    """Mark ``client``'s session as having passed the second factor with a TOTP device."""
    device = totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def code_for(device: TOTPDevice, *, at: float | None = None, offset_steps: int = 0) -> str:
    """The TOTP code the app would show now (or ``offset_steps`` later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"
