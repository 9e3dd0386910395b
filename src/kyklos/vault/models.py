import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Credential(models.Model):
    """A customer's secret held for support work (R10.3), encrypted at rest.

    Only the label is stored in clear; the username, secret, URL and notes are sealed
    together with AES-256-GCM (``kyklos.vault.crypto``). Reading them goes through
    ``vault.services.reveal`` (role, fresh second factor, reason, audit event).
    """

    class Kind(models.TextChoices):
        SITE_ADMIN = "site_admin", _("Website administrator")
        SOCIAL = "social", _("Social media account")
        SERVER_ROOT = "server_root", _("Server root")
        EMAIL = "email", _("E-mail account")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DESTROYED = "destroyed", _("Destroyed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credentials"
    )
    service = models.ForeignKey(
        "lifecycle.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credentials",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=120)
    key_id = models.CharField(max_length=32)
    sealed = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handover_offered_on = models.DateField(
        null=True, blank=True, help_text=_("The day the customer was told to collect them.")
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["customer_id", "label"]
        permissions = [("reveal_credential", "Can reveal a stored credential")]
        indexes = [
            models.Index(fields=["status", "key_id"], name="vault_rotation"),
            models.Index(fields=["status", "handover_offered_on"], name="vault_handover"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class ProviderSecret(models.Model):
    """The provider's own credentials for another system (an e-invoicing channel's API
    user and key, a certificate's password…), sealed like a customer's credential.

    ``purpose`` names the use (``einvoicing:mydata:GR:production``); the values are a
    sealed JSON object of named strings, read only by the job that needs them
    (``vault.services.provider_secret``), never shown back on a page.
    """

    purpose = models.CharField(max_length=120, unique=True)
    key_id = models.CharField(max_length=32)
    sealed = models.BinaryField()
    names = models.JSONField(default=list, help_text=_("The names of the stored values."))
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["purpose"]

    def __str__(self) -> str:
        return self.purpose
