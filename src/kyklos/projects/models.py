"""Quotes, projects and hours (R7).

A :class:`Quote` is drafted (by staff, or from a support ticket), sent, and accepted by
the customer — in the portal or by an e-mail reply that staff record. The acceptance is a
:class:`Signature`: who, when, how, from where, and a snapshot of the exact version
accepted. An accepted quote becomes a :class:`Project` with its payment plan (R7.2);
:class:`Variation` rows add or omit work once the customer confirms them (R7.3);
:class:`ProjectInvoice` links the project to the billing documents issued for it.
:class:`TimeEntry` rows are hourly work billed by R7.4 at the rate in force.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

POSITIVE = [MinValueValidator(Decimal("0.01"))]


class WorkKind(models.Model):
    """A kind of work with its own hourly rates (R7.4): design, development, support,
    training are seeded; staff add more in the admin."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    names = models.JSONField(
        default=dict, blank=True, help_text=_('Name per language, e.g. {"el": "Σχεδιασμός"}.')
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("kind of work")
        verbose_name_plural = _("kinds of work")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str | None = None) -> str:
        from django.utils import translation

        return self.names.get(language or translation.get_language() or "", "") or self.name


class RatePolicy(models.Model):
    """How the standard rates may change (R7.4, R7.7); one row, seeded, editable."""

    notice_days = models.PositiveSmallIntegerField(
        _("notice of a rise (days)"),
        default=30,
        help_text=_("A rise comes into force at least this many days after it is announced."),
    )
    days_between_rises = models.PositiveSmallIntegerField(
        _("days between rises"),
        default=365,
        help_text=_("Rates may rise once a year: two rises are at least this far apart."),
    )
    rush_multiplier = models.DecimalField(
        _("rush multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1.01"))],
        help_text=_("A rush request without its own dated rush rate: the normal rate times this."),
    )

    class Meta:
        verbose_name = _("rate policy")
        verbose_name_plural = _("rate policy")

    def __str__(self) -> str:
        return str(_("Rate policy"))


class RateChange(models.Model):
    """A change of the standard rates, announced on one day, in force from another (R7.4).

    A rise needs the policy's notice and comes at most once a year; its announcement goes
    to the customers billed at the standard rates."""

    announced_on = models.DateField()
    effective_on = models.DateField(_("in force from"))
    is_rise = models.BooleanField(default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    notified_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("rate change")

    def __str__(self) -> str:
        return f"{self.effective_on} (announced {self.announced_on})"


class HourlyRate(models.Model):
    """A standard hourly rate from a date on (R7.4, R7.7): for one kind of work or, without
    a kind, for all kinds without their own; a normal or a rush rate. Dated, so a yearly
    rise applies to work from its date."""

    kind = models.ForeignKey(
        WorkKind,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rates",
        verbose_name=_("kind of work"),
        help_text=_("Empty: every kind without a rate of its own."),
    )
    rush = models.BooleanField(_("rush"), default=False)
    amount = models.DecimalField(
        _("amount per hour"), max_digits=10, decimal_places=2, validators=POSITIVE
    )
    currency = models.CharField(max_length=3, default="EUR")
    valid_from = models.DateField(_("valid from"))
    change = models.ForeignKey(
        RateChange, null=True, blank=True, on_delete=models.PROTECT, related_name="rates"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-valid_from", "kind", "rush"]
        verbose_name = _("standard hourly rate")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "rush", "valid_from"], name="hourly_rate_per_kind_day"
            ),
            models.UniqueConstraint(
                fields=["rush", "valid_from"],
                condition=models.Q(kind__isnull=True),
                name="hourly_rate_general_per_day",
            ),
        ]

    def __str__(self) -> str:
        what = self.kind.name if self.kind_id else "all"
        rush = " rush" if self.rush else ""
        return f"{what}{rush}: {self.amount} {self.currency}/h from {self.valid_from}"


class SlaVersion(models.Model):
    """A published version of the service level agreement every quote carries (R7.7).

    Like the privacy notice, a change publishes a new numbered version and the old ones
    stay: a quote records the version in force when it was sent, and its acceptance
    records the same version."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField()
    texts = models.JSONField(help_text=_('The text per language: {"en": …, "el": …, "pl": …}.'))
    digest = models.CharField(max_length=64)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("SLA version")

    def __str__(self) -> str:
        return f"SLA v{self.number}"

    def text(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get("en") or next(iter(self.texts.values()))


class AgreedRate(models.Model):
    """An hourly rate agreed with one customer, from a date on (R7.4 "or an agreed one")."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="agreed_rates"
    )
    amount = models.DecimalField(
        _("amount per hour"), max_digits=10, decimal_places=2, validators=POSITIVE
    )
    currency = models.CharField(max_length=3, default="EUR")
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["customer", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "valid_from"], name="agreed_rate_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.amount} {self.currency}/h from {self.valid_from}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail reply")
    PORTAL = "portal", _("Portal")


class Signature(models.Model):
    """A customer's written consent (R7.1, R7.3): to a quote, or to a variation.

    ``snapshot`` holds exactly what was agreed (the version's title, lines and totals);
    ``digest`` is the SHA-256 of its canonical JSON, so later edits cannot pass unnoticed.
    """

    class Subject(models.TextChoices):
        QUOTE = "quote", _("Quote")
        VARIATION = "variation", _("Variation")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="signatures"
    )
    subject = models.CharField(max_length=10, choices=Subject.choices)
    reference = models.CharField(max_length=60, help_text=_("e.g. Q-2027-000012 v2"))
    version = models.PositiveIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    signed_at = models.DateTimeField()
    signer_name = models.CharField(max_length=200)
    signer_email = models.EmailField(blank=True)
    source = models.CharField(
        max_length=300,
        help_text=_("Portal: the IP address; e-mail: the message id or sender of the reply."),
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The portal login that clicked."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The staff member who recorded an e-mail reply."),
    )
    recorded_at = models.DateTimeField()
    snapshot = models.JSONField()
    digest = models.CharField(max_length=64)
    sla_version = models.ForeignKey(
        SlaVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The SLA version accepted with the quote."),
    )

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} signed by {self.signer_name} ({self.channel})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class PaymentPlan(models.TextChoices):
    """R7.2."""

    DEPOSIT = "deposit", _("Deposit, then the balance within 30 days of delivery")
    MONTHLY = "monthly", _("Monthly interim invoices and a final invoice")


class Quote(models.Model):
    """An offer of work (R7.1, R8.5), valid 14 days from sending unless it says otherwise.

    Editing a sent quote makes a new version that must be sent again: a customer can
    only accept the version they were shown.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Signed")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="quotes"
    )
    title = models.CharField(_("title"), max_length=200)
    is_estimate = models.BooleanField(
        _("estimate"),
        default=False,
        help_text=_("An estimate is not a quote: it binds nobody and cannot be accepted (R7.7)."),
    )
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Where the request came from, e.g. a ticket."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    currency = models.CharField(max_length=3, default="EUR")
    language = models.CharField(max_length=2, default="el")
    validity_days = models.PositiveSmallIntegerField(
        _("valid for (days)"), default=14, validators=[MinValueValidator(1)]
    )
    sent_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    plan = models.CharField(
        _("payment plan"), max_length=10, choices=PaymentPlan.choices, default=PaymentPlan.DEPOSIT
    )
    deposit_percent = models.DecimalField(
        _("deposit (%)"), max_digits=5, decimal_places=2, default=Decimal("50")
    )
    final_due_days = models.PositiveSmallIntegerField(
        _("final invoice due (days after delivery)"), default=30
    )
    hourly_rate = models.DecimalField(
        _("agreed hourly rate"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text=_("For hours on the project; empty: the standard rate."),
    )
    notes = models.TextField(_("notes for the customer"), blank=True)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    acceptance = models.OneToOneField(
        Signature, null=True, blank=True, on_delete=models.PROTECT, related_name="quote"
    )
    sla_version = models.ForeignKey(
        SlaVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quotes",
        help_text=_("The SLA version in force when the quote was sent."),
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="quote_status_validity"),
            models.Index(fields=["customer", "-created_at"], name="quote_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.number or 'quote'} {self.title}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def reference(self) -> str:
        return f"{self.number} v{self.version}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    kind = models.ForeignKey(
        WorkKind,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Hours of this kind of work: the quantity is hours, priced at its rate."),
    )
    rush = models.BooleanField(default=False)

    class Meta:
        ordering = ["quote", "position"]

    def __str__(self) -> str:
        return self.description


class Project(models.Model):
    """The work of an accepted quote and its payment plan (R7.2–R7.5)."""

    class Status(models.TextChoices):
        AWAITING_DEPOSIT = "awaiting_deposit", _("Awaiting deposit")
        IN_PROGRESS = "in_progress", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")  # final invoice paid: ownership passed
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="projects"
    )
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="project")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices)
    currency = models.CharField(max_length=3, default="EUR")
    plan = models.CharField(max_length=10, choices=PaymentPlan.choices)
    deposit_percent = models.DecimalField(max_digits=5, decimal_places=2)
    final_due_days = models.PositiveSmallIntegerField(default=30)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    contract_amount = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("The accepted quote's net total.")
    )
    accepted_on = models.DateField()
    started_on = models.DateField(null=True, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    ownership_transferred_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("The day the final invoice was paid: the work became the customer's (R7.5)."),
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="project_customer")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def ownership_transferred(self) -> bool:
        return self.ownership_transferred_on is not None


class Variation(models.Model):
    """Work added beyond the quote or quoted work omitted (R7.3).

    Only confirmed variations count: added work is billed extra on the final invoice,
    omitted work is deducted from it.
    """

    class Kind(models.TextChoices):
        ADDED = "added", _("Added work")
        OMITTED = "omitted", _("Omitted work")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting the customer")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="variations")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(
        _("net amount"), max_digits=14, decimal_places=2, validators=POSITIVE
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmation = models.OneToOneField(
        Signature, null=True, blank=True, on_delete=models.PROTECT, related_name="variation"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="variation_position")
        ]

    def __str__(self) -> str:
        return f"{self.project.number} #{self.position} {self.get_kind_display()}"

    @property
    def audit_customer_id(self) -> int:
        return self.project.customer_id

    @property
    def reference(self) -> str:
        return f"{self.project.number}/V{self.position}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.kind == self.Kind.ADDED else -self.amount


class ProjectInvoice(models.Model):
    """A billing document issued for a project, and what it is for."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        INTERIM = "interim", _("Interim invoice")
        FINAL = "final", _("Final invoice")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="project_link"
    )
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text=_("Net amount for the contract, recharged costs not included."),
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(kind="final"),
                name="one_final_invoice_per_project",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(kind="deposit"),
                name="one_deposit_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.number} {self.kind} {self.invoice_id}"


class TimeEntry(models.Model):
    """Hourly work for a customer (R7.4), billed at the rate in force when logged.

    Entries with the same ``reference`` form one request: the request is billed at least
    15 minutes, then by the minute. ``billable_minutes`` is this entry's share, so the
    entries of a request always add up to ``max(15, total minutes)``.
    """

    class RateSource(models.TextChoices):
        GIVEN = "given", _("Agreed for this work")
        PROJECT = "project", _("Agreed for the project")
        CUSTOMER = "customer", _("Agreed with the customer")
        STANDARD = "standard", _("Standard rate")
        RUSH = "rush", _("Rush rate")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="time_entries"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="time_entries"
    )
    worked_on = models.DateField()
    kind = models.ForeignKey(
        WorkKind, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rush = models.BooleanField(default=False, help_text=_("A rush request (R7.7)."))
    minutes = models.PositiveIntegerField()
    billable_minutes = models.PositiveIntegerField()
    rate = models.DecimalField(max_digits=10, decimal_places=2)
    rate_source = models.CharField(max_length=10, choices=RateSource.choices)
    currency = models.CharField(max_length=3, default="EUR")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=300)
    reference = models.CharField(
        max_length=100, blank=True, help_text=_("The request (e.g. a ticket number).")
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-worked_on", "-id"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["customer", "reference"], name="time_request"),
            models.Index(
                fields=["customer", "worked_on"],
                condition=models.Q(invoice__isnull=True),
                name="time_unbilled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worked_on} {self.minutes} min {self.description}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class ThirdPartyCost(models.Model):
    """A licence, stock image, font … bought for a project and recharged at cost (R7.8):
    on the project's next invoice, once, without markup."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="third_party_costs")
    supplier = models.CharField(_("supplier"), max_length=200)
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(
        _("net amount"), max_digits=14, decimal_places=2, validators=POSITIVE
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    receipt_reference = models.CharField(_("receipt reference"), max_length=100)
    incurred_on = models.DateField(_("bought on"))
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="third_party_costs",
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["project", "incurred_on", "id"]
        verbose_name = _("third-party cost")

    def __str__(self) -> str:
        return f"{self.supplier}: {self.description} ({self.amount} {self.currency})"

    @property
    def audit_customer_id(self) -> int:
        return self.project.customer_id
from kyklos.projects.models_deliverables import *  # noqa: E402, F403  (R7.6, R7.9, R7.10)
