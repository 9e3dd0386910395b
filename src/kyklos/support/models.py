"""The support desk: tickets, their messages and attachments, and the SLA as data (R8).

State changes go through :mod:`kyklos.support.services` only; each writes an audit event.
The SLA clock (first-response and resolution due times) is computed by
:mod:`kyklos.support.sla` and stored on the ticket, so the frequent check and the staff
queue are plain indexed queries.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Priority(models.TextChoices):
    """R8.3, most urgent first."""

    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", pgettext_lazy("not yet closed", "Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


#: Statuses in which the SLA clock does not run: the customer has the ball (R8.4), or the
#: request is done.
PAUSED_STATUSES = (Status.WAITING_CUSTOMER,)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
#: Statuses whose tickets are in the staff queue.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    STAFF = "staff", _("Staff")
    API = "api", _("API")
    WEB_FORM = "web_form", _("Contact form")


class BusinessCalendar(models.Model):
    """The working time of a provider country: weekdays, hours, public holidays from the
    ``holidays`` package, and extra closed days (:class:`ClosedDay`)."""

    country = models.CharField(
        _("country"), max_length=2, unique=True, help_text=_("ISO 3166 code, e.g. GR")
    )
    time_zone = models.CharField(max_length=50, default="Europe/Athens")
    opens_at = models.TimeField(default=time(9, 0))
    closes_at = models.TimeField(default=time(17, 0))
    workdays = models.JSONField(
        default=list, help_text=_("Weekdays that are open: 0 = Monday … 6 = Sunday.")
    )
    subdivision = models.CharField(
        max_length=10, blank=True, help_text=_("Region code for regional holidays, if any.")
    )

    class Meta:
        ordering = ["country"]

    def __str__(self) -> str:
        return f"{self.country} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self) -> None:
        if self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("Closing time must come after opening time.")})
        days = self.workdays
        if not isinstance(days, list) or not days or not all(d in range(7) for d in days):
            raise ValidationError({"workdays": _("Give open weekdays, e.g. [0, 1, 2, 3, 4].")})


class ClosedDay(models.Model):
    """A day the desk is closed besides weekends and public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closed_days"
    )
    day = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="closed_day_once")]

    def __str__(self) -> str:
        return f"{self.calendar.country} {self.day} {self.reason}"


class SlaTarget(models.Model):
    """The first-response and resolution targets of a priority (R8.2, R8.3), as data."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("Hours (round the clock)")
        BUSINESS_HOURS = "business_hours", _("Business hours")
        BUSINESS_DAYS = "business_days", _("Business days")

    priority = models.CharField(max_length=10, choices=Priority.choices, unique=True)
    first_response = models.PositiveIntegerField(default=24)
    first_response_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.HOURS)
    resolution = models.PositiveIntegerField()
    resolution_unit = models.CharField(max_length=16, choices=Unit.choices)
    warn_at_percent = models.PositiveSmallIntegerField(
        default=75, help_text=_("Warn the assignee when this share of the target has elapsed.")
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.resolution} {self.resolution_unit}"

    def clean(self) -> None:
        if self.first_response < 1 or self.resolution < 1:
            raise ValidationError(_("A target is at least 1."))
        if not 1 <= self.warn_at_percent <= 99:
            raise ValidationError({"warn_at_percent": _("Between 1 and 99.")})


class Department(models.Model):
    """Where a request goes (R8.1). Staff add more in the admin."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    names = models.JSONField(
        default=dict, blank=True, help_text=_('Name per language, e.g. {"el": "Τεχνικό"}.')
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Receives escalations when a ticket breaches its SLA."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the calendar of the provider's country."),
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str | None = None) -> str:
        from django.utils import translation

        return self.names.get(language or translation.get_language() or "", "") or self.name


class TicketSequence(models.Model):
    """The last ticket number used in a year (numbers are T-YYYY-NNNNNN)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(models.Model):
    """A request (R8): who asked, about what, how urgent, where it stands, and its SLA."""

    number = models.CharField(max_length=20, unique=True, editable=False)
    subject = models.CharField(max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text=_("Empty while the sender is not matched to a customer."),
    )
    requester_email = models.EmailField(
        blank=True, help_text=_("Who wrote in, when not (yet) a customer.")
    )
    requester_name = models.CharField(max_length=200, blank=True)
    service = models.ForeignKey(
        "lifecycle.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    language = models.CharField(max_length=2, default="el")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    linked_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text=_("The closed ticket this one continues."),
    )
    # R8.4: what a good request names.
    wished_date = models.DateField(_("wished date or deadline"), null=True, blank=True)
    hard_deadline = models.BooleanField(_("the date is a hard deadline"), default=False)
    budget = models.DecimalField(
        _("budget"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    budget_currency = models.CharField(max_length=3, blank=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    context = models.TextField(_("context and goals"), blank=True)
    features = models.TextField(_("required features"), blank=True)
    specs = models.TextField(_("technical specifications"), blank=True)
    examples = models.TextField(_("examples"), blank=True)
    # Out of scope (R8.5): the quote drafted for it.
    out_of_scope_at = models.DateTimeField(null=True, blank=True)
    quote_id = models.BigIntegerField(null=True, blank=True)
    # R8.6: the customer changed code or settings themselves; the SLA does not apply.
    sla_void_reason = models.CharField(max_length=200, blank=True)
    # Times; ``opened_at`` is the start of the SLA clock.
    opened_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(
        null=True, blank=True, help_text=_("Since when the SLA clock is stopped.")
    )
    #: Earlier stretches the clock stood still, ``[[start, end], …]`` as ISO instants.
    pauses = models.JSONField(default=list, blank=True)
    # The SLA clock (see kyklos.support.sla): due times and the moments to warn.
    first_response_due = models.DateTimeField(null=True, blank=True)
    first_response_warn = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolution_warn = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="ticket_queue"),
            models.Index(fields=["customer", "-opened_at"], name="ticket_customer"),
            models.Index(
                fields=["resolution_warn"],
                condition=Q(resolved_at__isnull=True, paused_since__isnull=True),
                name="ticket_resolution_clock",
            ),
            models.Index(
                fields=["first_response_warn"],
                condition=Q(first_responded_at__isnull=True, paused_since__isnull=True),
                name="ticket_response_clock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id

    @property
    def subject_tag(self) -> str:
        """What an e-mail subject carries so replies find the ticket: ``[#T-2027-000123]``."""
        return f"[#{self.number}]"

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES


class Message(models.Model):
    """One entry of a ticket's thread: a public reply or an internal note."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.REPLY)
    from_staff = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_email = models.EmailField(blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    body = models.TextField()
    # E-mail threading: our own Message-ID for what we send, the sender's for what arrives.
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="message_id_once"
            ),
            models.CheckConstraint(
                condition=Q(kind="reply") | Q(from_staff=True), name="notes_are_staff_only"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_thread")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.ticket.customer_id

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.REPLY


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"support/{instance.message.ticket_id}/{instance.message_id}/{PurePath(filename).name}"


class Attachment(models.Model):
    """A file on a message, at most ``support.services.MAX_ATTACHMENT_BYTES`` (R5.4)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class SlaEvent(models.Model):
    """A warning (a share of the target elapsed) or a breach of one SLA target.

    Unique per ticket, target, kind and due time: the check writes each once, and a due
    time recomputed after a priority change or a pause gets its own warning.
    """

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    target = models.CharField(max_length=16, choices=Target.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_at = models.DateTimeField()
    at = models.DateTimeField()
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "kind", "due_at"], name="sla_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind}"


class SlaCheck(models.Model):
    """One row: the SLA check locks it so that two checks never notify twice."""

    last_run_at = models.DateTimeField(null=True, blank=True)
    warnings = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"SLA check, last run {self.last_run_at}"


class CannedReply(models.Model):
    """A ready answer staff insert into a reply, per department and language."""

    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Empty: offered in every department."),
    )
    language = models.CharField(max_length=2, choices=settings.LANGUAGES)
    title = models.CharField(max_length=100)
    body = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Server(models.Model):
    """A machine that services run on, so maintenance can be announced to its customers."""

    name = models.CharField(max_length=100, unique=True, help_text=_("Host name"))
    services = models.ManyToManyField("lifecycle.Service", blank=True, related_name="+")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Announcement(models.Model):
    """Planned maintenance (R12.2): day, time and expected downtime, e-mailed to the
    customers whose live services run on the servers or are of the products named."""

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    downtime_minutes = models.PositiveIntegerField(_("expected downtime (minutes)"))
    details = models.TextField(blank=True)
    servers = models.ManyToManyField(Server, blank=True, related_name="announcements")
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+")
    created_at = models.DateTimeField(editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"


class OutageExclusion(models.TextChoices):
    """R5.3: what does not count as downtime, as data (the uptime selector counts only
    confirmed outages with no exclusion)."""

    MAINTENANCE = "maintenance", _("Scheduled or emergency maintenance")
    ACCESS = "access", _("DNS, FTP or mail access problem")
    CUSTOMER_CODE = "customer_code", _("The customer's own code")
    FORCE_MAJEURE = "force_majeure", _("Beyond the provider's control")


class OutageReport(models.Model):
    """A ticket marked as a customer's report that a hosting service was down (R5.3).

    Downtime counts from the customer's report (``reported_at``, the ticket's opening)
    to the end staff confirm; an excluded outage is kept but does not count.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="outage")
    service = models.ForeignKey(
        "lifecycle.Service", on_delete=models.PROTECT, related_name="outage_reports"
    )
    reported_at = models.DateTimeField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    exclusion = models.CharField(max_length=20, choices=OutageExclusion.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "started_at"]
        indexes = [models.Index(fields=["service", "ended_at"], name="outage_service_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gt=models.F("started_at")), name="outage_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"outage of service {self.service_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.ticket.customer_id

    @property
    def counts(self) -> bool:
        return not self.exclusion


class UptimeYear(models.Model):
    """A hosting service's availability over a closed calendar year, evaluated once; below
    the promise (R5.3) it records the month credited to the customer's account."""

    service = models.ForeignKey(
        "lifecycle.Service", on_delete=models.PROTECT, related_name="uptime_years"
    )
    year = models.PositiveSmallIntegerField()
    availability = models.DecimalField(max_digits=6, decimal_places=3)
    credit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    credit_entry = models.ForeignKey(
        "payments.CreditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_on = models.DateField()

    class Meta:
        ordering = ["service", "year"]
        constraints = [
            models.UniqueConstraint(fields=["service", "year"], name="uptime_once_per_year")
        ]

    def __str__(self) -> str:
        return f"service {self.service_id} {self.year}: {self.availability} %"

    @property
    def audit_customer_id(self) -> int:
        return self.service.customer_id
