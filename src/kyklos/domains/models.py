"""Domains at the registries: the per-TLD rules as data, the registrar accounts, every
domain with its registry facts, the durable registry jobs with their attempts, and the
transfers (docs/domains.md, decision 0028).

Secrets never live in these rows: a registrar account's login and a domain's transfer
auth code are provider secrets in the vault (``vault.services.store_provider_secret``),
under :attr:`RegistrarAccount.credentials_purpose` and :attr:`Domain.auth_code_purpose`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrarAccount(models.Model):
    """A login at a registry (or a reseller) that Kyklos registers domains through.

    ``plugin`` names the registrar plug-in (``registrars.PLUGINS``: ``epp``); ``settings``
    are the plug-in's own (host, port, TLS options, the registry's contact-id prefix).
    The login and password are in the vault under :attr:`credentials_purpose`.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    plugin = models.CharField(_("plug-in"), max_length=20, default="epp")
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("registrar account")
        verbose_name_plural = _("registrar accounts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials_purpose(self) -> str:
        return f"domains:registrar:{self.code}"


class Tld(models.Model):
    """The rules of one top-level domain (or second-level suffix such as ``com.gr``), as
    data (R4.2–R4.11). Seeded from :mod:`kyklos.domains.defaults`; staff edit them."""

    suffix = models.CharField(
        _("suffix"), max_length=63, unique=True, help_text=_("Without the dot: gr, com.gr, eu.")
    )
    registrar = models.ForeignKey(
        RegistrarAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="tlds"
    )
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The domain product whose prices (per cycle) this TLD is sold at."),
    )
    terms = models.JSONField(
        _("registration terms (years)"),
        default=list,
        help_text=_("Allowed terms in years, e.g. [2] for .gr (2-year steps) or [1, 2]."),
    )
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    redemption_days = models.PositiveSmallIntegerField(_("redemption days"), default=0)
    redemption_fee = models.DecimalField(
        _("redemption fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    transfer_lock_days = models.PositiveSmallIntegerField(
        _("days without transfer after a renewal"), default=60
    )
    transfer_days = models.PositiveSmallIntegerField(_("days a transfer takes"), default=10)
    transfer_adds_year = models.BooleanField(
        _("a transfer in adds a year"), default=True, help_text=_("False for .gr and .eu (R4.8).")
    )
    recent_renewal_days = models.PositiveSmallIntegerField(
        _("recent renewal (days) that gains no extra year"), default=45
    )
    withdrawal_days = models.PositiveSmallIntegerField(
        _("days to withdraw a new registration"), default=0
    )
    unpaid_order_limit = models.PositiveSmallIntegerField(
        _("unpaid orders of one name allowed"),
        null=True,
        blank=True,
        help_text=_("1 for .gr (R4.10): a name with an unpaid order is not ordered again."),
    )
    whois_verification_days = models.PositiveSmallIntegerField(
        _("days to answer a WHOIS verification"),
        null=True,
        blank=True,
        help_text=_("Empty: the registry asks for none (R4.6)."),
    )
    restore_supported = models.BooleanField(_("restore in redemption"), default=True)
    owner_change_fee = models.DecimalField(
        _("owner change fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Charged before a registrant change is made; 0: free, made at once."),
    )
    active = models.BooleanField(_("sold"), default=True)

    class Meta:
        verbose_name = _("TLD policy")
        verbose_name_plural = _("TLD policies")
        ordering = ["suffix"]

    def __str__(self) -> str:
        return f".{self.suffix}"

    def clean(self) -> None:
        terms = self.terms
        if (
            not isinstance(terms, list)
            or not terms
            or any(not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= 10 for t in terms)
        ):
            raise ValidationError({"terms": _("Give the terms as a list of years from 1 to 10.")})


class DomainState(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    REGISTERING = "registering", _("Being registered")
    ACTIVE = "active", _("Active")
    GRACE = "grace", _("Expired (grace)")
    REDEMPTION = "redemption", _("Redemption")
    RELEASED = "released", _("Released")
    TRANSFERRED = "transferred", _("Transferred away")
    REFUSED = "refused", _("Refused by the registry")
    TRANSFERRING = "transferring", _("Transfer in pending")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: States in which the name is held by the customer (at the registry or on its way).
HELD_STATES = [
    DomainState.REGISTERING,
    DomainState.TRANSFERRING,
    DomainState.ACTIVE,
    DomainState.GRACE,
    DomainState.REDEMPTION,
]
#: States a name is no longer the customer's.
ENDED_STATES = [
    DomainState.RELEASED,
    DomainState.TRANSFERRED,
    DomainState.REFUSED,
    DomainState.WITHDRAWN,
]


class Domain(models.Model):
    """A customer's domain name, with what the registry says about it."""

    class Origin(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        TRANSFER = "transfer", _("Transfer in")

    class Hold(models.TextChoices):
        NONE = "", _("None")
        REGISTRAR = "registrar", _("Registrar hold (illegal use)")
        WHOIS = "whois", _("WHOIS verification not answered")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=253)
    tld = models.ForeignKey(Tld, on_delete=models.PROTECT, related_name="domains")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="domains"
    )
    service = models.OneToOneField(
        "lifecycle.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="domain"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=DomainState.choices, default=DomainState.PENDING
    )
    state_changed_on = models.DateField()
    origin = models.CharField(
        _("ordered as"), max_length=12, choices=Origin.choices, default=Origin.REGISTRATION
    )
    years = models.PositiveSmallIntegerField(_("term (years)"))
    ordered_on = models.DateField()
    registered_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(_("expires (registry)"), null=True, blank=True)
    last_renewed_on = models.DateField(null=True, blank=True)
    registry_id = models.CharField(max_length=100, blank=True)
    registry_statuses = models.JSONField(default=list, blank=True)
    contact_handle = models.CharField(max_length=16, blank=True)
    nameservers = models.JSONField(_("name servers"), default=list, blank=True)
    locked = models.BooleanField(_("transfer lock"), default=True)
    hold = models.CharField(
        _("hold"), max_length=10, choices=Hold.choices, default=Hold.NONE, blank=True
    )
    hold_reason = models.CharField(_("hold reason"), max_length=300, blank=True)
    whois_verify_by = models.DateField(null=True, blank=True)
    whois_verified_at = models.DateTimeField(null=True, blank=True)
    auth_code_serial = models.PositiveIntegerField(default=0)
    redemption_invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The proforma of the redemption fee (R4.3), issued when redemption began."),
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(
                    state__in=["registering", "transferring", "active", "grace", "redemption"]
                ),
                name="domain_held_once",
            )
        ]
        indexes = [models.Index(fields=["state", "expires_on"], name="domain_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def auth_code_purpose(self) -> str:
        return f"domains:authcode:{self.uid}"

    @property
    def incoming_code_purpose(self) -> str:
        """The auth code the customer gave to transfer the name in (the vault)."""
        return f"domains:transfer-in:{self.uid}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class RegistryJob(models.Model):
    """One operation at the registry, durable and idempotent (decision 0028, after
    decision 0018): a job is unique per ``key`` (an order's registration, a billed
    period's renewal), is claimed by one worker, retried with backoff after a temporary
    failure, and ends ``done`` or ``failed`` with the registry's answer for staff."""

    class Operation(models.TextChoices):
        REGISTER = "register", _("Register")
        RENEW = "renew", _("Renew")
        RESTORE = "restore", _("Restore from redemption")
        NAMESERVERS = "nameservers", _("Change name servers")
        LOCK = "lock", _("Lock")
        UNLOCK = "unlock", _("Unlock")
        AUTH_CODE = "auth_code", _("New auth code")
        HOLD = "hold", _("Put on hold")
        UNHOLD = "unhold", _("Lift the hold")
        APPROVE_TRANSFER = "approve_transfer", _("Approve a transfer out")
        SYNC = "sync", _("Synchronise")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        DELETE = "delete", _("Delete (withdrawal)")
        OWNER_CHANGE = "owner_change", _("Change the registrant")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        RETRY = "retry", _("Waiting to retry")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="jobs")
    operation = models.CharField(_("operation"), max_length=16, choices=Operation.choices)
    key = models.CharField(max_length=120, unique=True)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    cltrid = models.CharField(max_length=64)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("registry's answer"), blank=True)
    error_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registry job")
        verbose_name_plural = _("registry jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="registryjob_due")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.domain_id} ({self.status})"

    @property
    def audit_customer_id(self) -> int | None:
        return None


class JobAttempt(models.Model):
    """One try of a registry job: when, what came of it and the raw EPP exchange."""

    class Result(models.TextChoices):
        DONE = "done", _("Done")
        TEMPORARY = "temporary", _("Temporary failure")
        PERMANENT = "permanent", _("Refused")

    job = models.ForeignKey(RegistryJob, on_delete=models.CASCADE, related_name="attempts_made")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=Result.choices)
    code = models.CharField(max_length=20, blank=True)
    error = models.TextField(blank=True)
    request = models.TextField(blank=True)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["job_id", "number"]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.number} {self.result}"


class Transfer(models.Model):
    """A transfer of a domain away from (or to) Kyklos' registrar (R4.7, R4.9)."""

    class Direction(models.TextChoices):
        OUT = "out", _("Away")
        IN = "in", _("In")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Auth code issued")
        PENDING = "pending", _("Pending at the registry")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUSED = "refused", _("Refused by the registry")

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="transfers")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    auth_code_serial = models.PositiveIntegerField()
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    gaining_registrar = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.domain} {self.direction} {self.status}"


class OwnerChange(models.Model):
    """A change of a domain's registrant to other particulars (a trade): billed first
    where the TLD's data charges for it (``Tld.owner_change_fee``), then made at the
    registry by a job (a new contact, then the domain's registrant)."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PENDING = "pending", _("At the registry")
        DONE = "done", _("Done")
        FAILED = "failed", _("Refused by the registry")
        CANCELLED = "cancelled", _("Cancelled")

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="owner_changes")
    particulars = models.JSONField(
        help_text=_("The new registrant: name, organisation, street, city, postal code, ...")
    )
    handle = models.CharField(max_length=16)
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.domain} owner change ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.domain.customer_id
