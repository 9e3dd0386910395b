"""Certificates issued by ACME (docs/certificates.md, decision 0030)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Certificate(models.Model):
    """A certificate for one or more names of a customer, issued and renewed by ACME.

    The CSR (public) is kept so a renewal asks for the same names and key. The private key
    is never in this table: for a site hosted here it is sealed in the vault
    (``key_purpose``); for a site hosted elsewhere it was shown once when ordered and is
    kept nowhere (R5.1)."""

    class Kind(models.TextChoices):
        DV = "dv", _("Domain validated (DV)")
        OV = "ov", _("Organisation validated (OV)")
        EV = "ev", _("Extended validation (EV)")

    class State(models.TextChoices):
        AWAITING_ORGANISATION = "awaiting_org", _("Awaiting organisation validation")
        PENDING = "pending", _("Waiting to be issued")
        ISSUING = "issuing", _("Being issued")
        RETRY = "retry", _("Will retry")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed: needs staff")
        CANCELLED = "cancelled", _("Cancelled")

    class KeyCustody(models.TextChoices):
        VAULT = "vault", _("Sealed in the vault (site hosted here)")
        SHOWN_ONCE = "shown_once", _("Shown once to the customer, not stored")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="certificates"
    )
    service = models.ForeignKey(
        "lifecycle.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    names = models.JSONField(_("names"), help_text=_("The first is the common name."))
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices, default=Kind.DV)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    key_custody = models.CharField(_("private key"), max_length=10, choices=KeyCustody.choices)
    key_purpose = models.CharField(max_length=120, blank=True)
    csr_pem = models.TextField()
    chain_pem = models.TextField(_("certificate chain"), blank=True)
    serial = models.CharField(max_length=64, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(_("expires"), null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveIntegerField(default=0)
    organisation_validated_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="certificate_due"),
            models.Index(fields=["state", "not_after"], name="certificate_renewal"),
        ]

    def __str__(self) -> str:
        return ", ".join(self.names or [])

    @property
    def common_name(self) -> str:
        return (self.names or [""])[0]

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class Attempt(models.Model):
    """One ACME order tried for a certificate: what came of it and the CA's answer."""

    class Result(models.TextChoices):
        ISSUED = "issued", _("Issued")
        TEMPORARY = "temporary", _("Temporary failure")
        REFUSED = "refused", _("Refused by the CA")

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="attempts_made"
    )
    number = models.PositiveIntegerField()
    sender = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=Result.choices)
    methods = models.JSONField(default=dict, help_text=_("The challenge answered per name."))
    error = models.TextField(blank=True)
    response = models.TextField(blank=True, help_text=_("The CA's answer."))

    class Meta:
        ordering = ["certificate_id", "number"]

    def __str__(self) -> str:
        return f"{self.certificate_id} #{self.number} {self.result}"


class HttpChallenge(models.Model):
    """An HTTP-01 answer served at ``/.well-known/acme-challenge/<token>`` while the CA
    checks a name whose DNS is elsewhere (its A record points at our web servers)."""

    token = models.CharField(max_length=128, unique=True)
    key_authorization = models.CharField(max_length=300)
    name = models.CharField(max_length=253)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
