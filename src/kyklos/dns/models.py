"""Hosted DNS zones: Kyklos keeps the zone and its records (the source of truth, edited in
the portal and the API) and pushes them to PowerDNS by a durable job (decision 0029)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneTemplate(models.Model):
    """The records a new zone starts with (data, edited in the admin).

    ``records`` is a list of ``{"name", "type", "ttl", "content"}``; ``name`` is relative
    to the zone (``@`` for the apex) and ``content`` may use ``{zone}``, ``{web_ipv4}``
    and ``{mail_host}`` (settings ``KYKLOS_DNS_WEB_IPV4``, ``KYKLOS_DNS_MAIL_HOST``). The
    SOA and the apex NS come from the settings, never from a template."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    default = models.BooleanField(
        _("default"), default=False, help_text=_("Used for every new zone.")
    )
    records = models.JSONField(_("records"), default=list, blank=True)

    class Meta:
        verbose_name = _("zone template")
        verbose_name_plural = _("zone templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["default"], condition=models.Q(default=True), name="one_default_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """A zone hosted on PowerDNS for a customer.

    ``wanted`` says whether the zone should exist at PowerDNS (``present``) or be removed
    (``removed``); ``sync`` is how far the push job got. ``version`` grows with every
    change, so a push that ran while the zone changed leaves it pending for another push."""

    class Wanted(models.TextChoices):
        PRESENT = "present", _("Hosted")
        REMOVED = "removed", _("Removed")

    class Sync(models.TextChoices):
        PENDING = "pending", _("Waiting to be published")
        PUSHING = "pushing", _("Publishing")
        SYNCED = "synced", _("Published")
        RETRY = "retry", _("Will retry")
        FAILED = "failed", _("Failed: needs staff")

    name = models.CharField(_("name"), max_length=253, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="dns_zones"
    )
    service = models.ForeignKey(
        "lifecycle.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dns_zones",
    )
    wanted = models.CharField(
        _("wanted"), max_length=8, choices=Wanted.choices, default=Wanted.PRESENT
    )
    sync = models.CharField(
        _("publication"), max_length=8, choices=Sync.choices, default=Sync.PENDING
    )
    version = models.PositiveIntegerField(default=1)
    pushed_version = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("DNS zone")
        verbose_name_plural = _("DNS zones")
        ordering = ["name"]
        indexes = [models.Index(fields=["sync", "next_attempt_at"], name="dns_zone_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class Record(models.Model):
    """One record of a zone, in PowerDNS's presentation: ``name`` absolute without the
    final dot, ``content`` as PowerDNS reads it (absolute names end with a dot, TXT
    quoted). The records of one name and type form an RRset with one TTL."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="records")
    name = models.CharField(_("name"), max_length=253)
    type = models.CharField(_("type"), max_length=10)
    ttl = models.PositiveIntegerField(_("TTL"))
    content = models.TextField(_("content"))

    class Meta:
        verbose_name = _("DNS record")
        verbose_name_plural = _("DNS records")
        ordering = ["zone_id", "name", "type", "content"]
        indexes = [models.Index(fields=["zone", "name", "type"], name="dns_rrset")]

    def __str__(self) -> str:
        return f"{self.name} {self.ttl} {self.type} {self.content}"


class PushAttempt(models.Model):
    """One push of a zone to PowerDNS: when, what came of it and the raw exchange."""

    class Result(models.TextChoices):
        DONE = "done", _("Published")
        TEMPORARY = "temporary", _("Temporary failure")
        PERMANENT = "permanent", _("Refused")

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="push_attempts")
    number = models.PositiveIntegerField()
    sender = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=Result.choices)
    request = models.TextField(blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["zone_id", "number"]

    def __str__(self) -> str:
        return f"{self.zone_id} #{self.number} {self.result}"
