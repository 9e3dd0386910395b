"""Login security: the security log (with IP addresses, purged after 3 months), the
sessions a user can list and end, and single-use recovery codes for two-factor login."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from kyklos.core import clock


class SecurityEvent(models.Model):
    """A security-relevant event with the client's IP address (R10.2, R10.4).

    The retention engine deletes rows whose ``at`` is older than 3 months; the audit
    trail keeps an event without the IP address for each of them."""

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Wrong password")
        LOCKED_OUT = "locked_out", _("Locked out after too many failures")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong two-factor code")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        LOGGED_OUT = "logged_out", _("Logged out")
        SESSION_ENDED = "session_ended", _("Session ended")
        SESSION_EXPIRED = "session_expired", _("Session expired")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor login turned on")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor login turned off")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("New recovery codes")
        REAUTHENTICATED = "reauthenticated", _("Password confirmed")
        ACCOUNT_DISABLED = "account_disabled", _("Account disabled")

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="security_events",
    )
    #: The name typed at a failed login (there may be no such user).
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"


class UserSession(models.Model):
    """A logged-in session, so its owner can see and end it (ASVS V7).

    The IP address and user agent are kept for the owner's overview and for security;
    ended sessions are deleted by the retention engine 3 months after ``last_seen_at``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=30, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    second_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


#: 24 characters of base-32 (120 bits): more than ASVS's 112 bits, so a plain SHA-256
#: of the code is a sufficient way to store it (ASVS 5.0 V6.5.2).
RECOVERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 24
RECOVERY_CODES = 10


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


class RecoveryCodeDevice(Device):
    """A django-otp device whose tokens are single-use recovery codes, stored as digests."""

    def verify_token(self, token) -> bool:
        digest = code_digest(str(token))
        used = RecoveryCode.objects.filter(device=self, digest=digest, used_at__isnull=True).update(
            used_at=clock.now()
        )
        return used == 1

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="accounts_code_once")
        ]

    def __str__(self) -> str:
        return f"recovery code {self.digest[:8]}… ({'used' if self.used_at else 'unused'})"


# --- contacts: more logins for one customer account (R1.2) -------------------------------


class ContactScope(models.TextChoices):
    """What a contact login of a customer account may see and do in the portal."""

    BILLING = "billing", _("Billing: invoices and payments")
    TECHNICAL = "technical", _("Technical: services, tickets and credentials")
    FULL = "full", _("Full: everything but the contacts")


#: The notices each scope receives a copy of, by the audience of the notice (R1.2).
NOTICE_AUDIENCES: dict[str, frozenset[str]] = {
    ContactScope.BILLING: frozenset({"billing"}),
    ContactScope.TECHNICAL: frozenset({"technical"}),
    ContactScope.FULL: frozenset({"billing", "technical", "general"}),
}


class Contact(models.Model):
    """A login of a customer account besides the owner's, with a scope.

    The owner invites the address; the row is the invitation until it is accepted
    (``user`` set): a single-use link whose token is stored as a SHA-256 digest and
    expires at ``expires_at``. The invitee sets their own password and may turn on
    two-factor login as the owner does. Removing a contact disables its login.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact",
    )
    name = models.CharField(max_length=150)
    email = models.EmailField()
    scope = models.CharField(max_length=10, choices=ContactScope.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="contact_once_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.scope})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None
