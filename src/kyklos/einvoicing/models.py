"""Which e-invoicing channels apply (data, edited in the admin) and every attempt made.

The transmission itself — one per tax document and channel, with its state and the
identifiers the system assigned — is ``billing.models.Transmission``: billing prints those
identifiers on the document and may not import this app (decision 0018).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kyklos.billing.models import Transmission


def _default_country() -> str:
    return settings.KYKLOS_COUNTRY


class ChannelConfig(models.Model):
    """A channel that applies to the tax documents of a seller country.

    Documents issued on or after ``applies_from`` by a seller of ``country`` get a
    transmission on ``channel`` while the configuration is enabled. ``settings`` are the
    channel's own (checked by the channel); the credentials are in the vault under
    :attr:`credentials_purpose`, never in this row.
    """

    channel = models.CharField(_("channel"), max_length=20)
    country = models.CharField(
        _("seller country"),
        max_length=2,
        default=_default_country,
        help_text=_("ISO 3166 code of the seller (the provider), e.g. GR or PL."),
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    environment = models.CharField(
        _("environment"),
        max_length=10,
        choices=Transmission.Environment.choices,
        default=Transmission.Environment.TEST,
    )
    applies_from = models.DateField(
        _("applies from"), help_text=_("Documents issued on or after this day are reported.")
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("e-invoicing channel")
        verbose_name_plural = _("e-invoicing channels")
        ordering = ["country", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "country"], name="one_channel_per_country")
        ]

    def __str__(self) -> str:
        return f"{self.channel} ({self.country}, {self.environment})"

    @property
    def credentials_purpose(self) -> str:
        """Where the vault keeps this channel's credentials (one set per environment)."""
        return f"einvoicing:{self.channel}:{self.country}:{self.environment}"


class Attempt(models.Model):
    """One try to send a transmission — or to cancel one sent in error: when, what came of
    it and the raw exchange."""

    class Action(models.TextChoices):
        SEND = "send", _("Report")
        CANCEL = "cancel", _("Cancellation")

    class Result(models.TextChoices):
        SENT = "sent", _("Accepted")
        DUPLICATE = "duplicate", _("Already accepted (duplicate)")
        TEMPORARY = "temporary", _("Temporary failure")
        PERMANENT = "permanent", _("Refused")
        NOT_REQUIRED = "not_required", _("Not required")

    transmission = models.ForeignKey(
        Transmission, on_delete=models.CASCADE, related_name="attempts_made"
    )
    number = models.PositiveSmallIntegerField()
    action = models.CharField(
        _("action"), max_length=6, choices=Action.choices, default=Action.SEND
    )
    sender = models.CharField(max_length=32, help_text=_("The claim of the sender that tried."))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=12, choices=Result.choices)
    request = models.TextField(blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)
    code = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["transmission_id", "number"]
        indexes = [models.Index(fields=["transmission", "number"], name="attempt_number")]

    def __str__(self) -> str:
        return f"{self.transmission_id} #{self.number} {self.result}"
