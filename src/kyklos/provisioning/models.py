"""Servers as data, the product's module, each service's account, the durable jobs that act
on the servers (with every attempt), backups and restores (docs/provisioning.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServerGroup(models.Model):
    """Servers that offer the same module; a product names its group and the least-loaded
    active server of the group gets each new account."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    module = models.CharField(_("module"), max_length=40)

    class Meta:
        ordering = ["code"]
        verbose_name = _("server group")
        verbose_name_plural = _("server groups")

    def __str__(self) -> str:
        return self.name


class Server(models.Model):
    """One server of a group. Its credential (password, API token, access hash) is in the
    vault under :attr:`credential_purpose`, never in this row."""

    group = models.ForeignKey(ServerGroup, on_delete=models.PROTECT, related_name="servers")
    name = models.CharField(_("name"), max_length=100)
    hostname = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    username = models.CharField(_("user name"), max_length=100, blank=True)
    use_tls = models.BooleanField(_("use TLS"), default=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), default=500, help_text=_("How many accounts the server takes.")
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("takes new accounts"), default=True)

    class Meta:
        ordering = ["group_id", "name"]
        verbose_name = _("server")
        verbose_name_plural = _("servers")

    def __str__(self) -> str:
        return f"{self.name} ({self.hostname})"

    @property
    def credential_purpose(self) -> str:
        return f"provisioning:server:{self.pk}"


class ProductModule(models.Model):
    """Which module provisions a product, on which group, with which plan, settings and
    limits (R5.4: quota, message size, messages per hour, connection limit …); the
    restore fee (R5.2) is data too."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, related_name="provisioning"
    )
    module = models.CharField(_("module"), max_length=40)
    group = models.ForeignKey(ServerGroup, on_delete=models.PROTECT, related_name="products")
    plan = models.CharField(_("plan on the server"), max_length=100, blank=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    limits = models.JSONField(_("limits"), default=dict, blank=True)
    restore_fee = models.DecimalField(
        _("restore fee"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    backed_up = models.BooleanField(_("backed up"), default=True)

    class Meta:
        verbose_name = _("product module")
        verbose_name_plural = _("product modules")

    def __str__(self) -> str:
        return f"{self.product_id} → {self.module}"


class Account(models.Model):
    """A service's account on its server. ``username`` is derived from the service and
    never changes; ``limits`` override the product's for this service (R5.4 raised on
    request)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Being created")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Removed")

    service = models.OneToOneField(
        "lifecycle.Service", on_delete=models.PROTECT, related_name="provisioning_account"
    )
    server = models.ForeignKey(Server, on_delete=models.PROTECT, related_name="accounts")
    module = models.CharField(max_length=40)
    username = models.CharField(_("user name"), max_length=63)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    remote = models.JSONField(default=dict, blank=True)
    limits = models.JSONField(_("limits for this service"), default=dict, blank=True)
    abuse_reason = models.CharField(_("abuse"), max_length=500, blank=True)
    abuse_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["server", "username"], name="account_username_once")
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.server_id}"

    @property
    def audit_customer_id(self) -> int:
        return self.service.customer_id

    @property
    def password_purpose(self) -> str:
        """Where the vault keeps the password until the customer has read it once (R5.5)."""
        return f"provisioning:account:{self.service_id}"


class Action(models.TextChoices):
    CREATE = "create", _("Create")
    SUSPEND = "suspend", _("Suspend")
    UNSUSPEND = "unsuspend", _("Unsuspend")
    TERMINATE = "terminate", _("Back up and remove")
    CHANGE_PLAN = "change_plan", _("Change plan")
    RESET_PASSWORD = "reset_password", _("Reset password")
    BACKUP = "backup", _("Back up")
    RESTORE = "restore", _("Restore")


class Job(models.Model):
    """One action on a server for one service, done exactly once.

    ``(service, action, generation)`` is the idempotency key: a repeated hook or run
    inserts nothing new. Workers claim due jobs, act outside any transaction and write the
    answer only while their claim stands (decision 0031)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        RETRY = "retry", _("Waiting to retry")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    OPEN = (State.PENDING, State.RUNNING, State.RETRY)

    service = models.ForeignKey(
        "lifecycle.Service", on_delete=models.PROTECT, related_name="provisioning_jobs"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    generation = models.CharField(max_length=60)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_answer = models.TextField(_("last answer"), blank=True)
    ticket_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("provisioning job")
        verbose_name_plural = _("provisioning jobs")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "action", "generation"], name="provisioning_job_once"
            )
        ]
        indexes = [models.Index(fields=["state", "next_try_at"], name="provisioning_job_due")]

    def __str__(self) -> str:
        return f"{self.action} #{self.service_id} ({self.state})"

    @property
    def key(self) -> str:
        return f"{self.service_id}:{self.action}:{self.generation}"


class Attempt(models.Model):
    """One try of a job: who tried, when, what came of it and the server's answer."""

    class Result(models.TextChoices):
        DONE = "done", _("Done")
        TEMPORARY = "temporary", _("Temporary failure")
        PERMANENT = "permanent", _("Refused")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=Result.choices)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["job_id", "number"]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.number} {self.result}"


class BackupPolicy(models.Model):
    """R5.2 as data: when a backup is taken and how long it is kept."""

    class Every(models.TextChoices):
        DAY = "day", _("Every day")
        MONTH = "month", _("Every month")

    code = models.SlugField(max_length=40, unique=True)
    every = models.CharField(max_length=5, choices=Every.choices)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    keep_days = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("backup policy")
        verbose_name_plural = _("backup policies")

    def __str__(self) -> str:
        return self.code


class Backup(models.Model):
    """A snapshot of one account's data in the backup repository."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="backups")
    policy = models.ForeignKey(
        BackupPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    final = models.BooleanField(default=False, help_text=_("Taken before the account's removal."))
    snapshot = models.CharField(max_length=80)
    taken_at = models.DateTimeField()
    keep_until = models.DateField()
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    forgotten = models.BooleanField(default=False)

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.snapshot[:8]} {self.taken_at:%Y-%m-%d}"


class RestoreRequest(models.Model):
    """A customer's request to bring a backup back (R5.2): staff confirm, the fee is
    billed on a proforma, and a restore job does it."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Waiting for staff")
        CONFIRMED = "confirmed", _("Confirmed")
        REFUSED = "refused", _("Refused")

    service = models.ForeignKey(
        "lifecycle.Service", on_delete=models.PROTECT, related_name="restore_requests"
    )
    backup = models.ForeignKey(Backup, on_delete=models.PROTECT, related_name="restores")
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"restore {self.service_id} ({self.state})"


class CredentialLink(models.Model):
    """A one-time link to an account's password (R5.5): the notice carries the link, never
    the password; opening it shows the password once and forgets it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link {self.account_id}"


class OverUsage(models.Model):
    """R2.5: an account found above one of its limits. Told to the customer and to staff
    once a month per limit; the service keeps running (over-usage never stops it)."""

    class Measure(models.TextChoices):
        DISK = "disk", _("Disk")
        TRAFFIC = "traffic", _("Traffic")
        MAILBOXES = "mailboxes", _("Mailboxes")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="over_usages")
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    month = models.DateField(_("month"))
    used = models.DecimalField(_("used"), max_digits=14, decimal_places=2)
    limit = models.DecimalField(_("limit"), max_digits=14, decimal_places=2)
    found_at = models.DateTimeField(_("found at"))
    ticket_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at"]
        verbose_name = _("over-usage")
        verbose_name_plural = _("over-usages")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "measure", "month"], name="provisioning_over_usage_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.used}/{self.limit} ({self.account_id})"
