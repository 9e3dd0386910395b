"""E-mail and contact-form intake: the ledger of received messages, the quarantine, and
the contact form's rate limit.

The tickets themselves are the support app's; intake only decides where a message goes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    MTA = "mta", _("Mail server pipe")
    IMAP = "imap", _("IMAP mailbox")


class InboundMessage(models.Model):
    """One received message, by Message-ID: a message delivered or fetched again is
    recognised and not processed twice. Holds no content, only where it went."""

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("Opened a ticket")
        THREADED = "threaded", _("Added to a ticket")
        QUARANTINED = "quarantined", _("Quarantined")

    message_id = models.CharField(max_length=255, unique=True)
    received_at = models.DateTimeField()
    source = models.CharField(max_length=4, choices=Source.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    ticket = models.ForeignKey(
        "support.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quarantine = models.ForeignKey(
        "QuarantinedMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.outcome}"


def quarantine_path(instance: QuarantinedMessage, filename: str) -> str:
    return f"intake/quarantine/{instance.received_at:%Y/%m}/{filename}"


class QuarantinedMessage(models.Model):
    """The raw bytes of a message that did not become (all of) a ticket message, kept for
    staff to inspect, release or delete. Deleted after ``KYKLOS_INTAKE_QUARANTINE_DAYS``
    (default 30) by the daily run: it holds personal data of people who wrote to us."""

    class Reason(models.TextChoices):
        NO_SENDER = "no_sender", _("No usable sender")
        MALFORMED = "malformed", _("Malformed message")
        TOO_LARGE = "too_large", _("Attachment too large")
        BOUNCE = "bounce", _("Bounce (delivery report)")
        AUTOMATED = "automated", _("Auto-reply or bulk mail")
        FLOOD = "flood", _("Too many messages from the sender")
        ERROR = "error", _("Processing failed")

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")

    raw = models.FileField(upload_to=quarantine_path, max_length=300)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    message_id = models.CharField(max_length=255)
    subject = models.CharField(max_length=200, blank=True)
    sender_email = models.CharField(
        max_length=254, blank=True, help_text=_("As far as it could be read.")
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.TextField(blank=True)
    source = models.CharField(max_length=4, choices=Source.choices)
    department = models.CharField(
        max_length=40, blank=True, help_text=_("The department the message was addressed to.")
    )
    received_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.HELD)
    ticket = models.ForeignKey(
        "support.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The ticket the message went to (too large) or was released into."),
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="quarantine_queue"),
            models.Index(fields=["received_at"], name="quarantine_age"),
            models.Index(fields=["sender_email"], name="quarantine_sender"),
        ]
        verbose_name = _("quarantined message")
        verbose_name_plural = _("quarantined messages")

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.subject or self.message_id}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.ticket.customer_id if self.ticket_id else None


class ContactThrottle(models.Model):
    """Contact-form submissions per client and hour, for the rate limit.

    ``key`` is a keyed hash (HMAC with the secret key) of the client's IP address, never
    the address; rows older than a day are deleted by the daily run.
    """

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="contact_throttle_once")
        ]
        indexes = [models.Index(fields=["window_start"], name="contact_throttle_age")]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
