"""Deliverables the customer approves (R7.9) and support hours (R7.10, R7.6).

A :class:`Deliverable` is a proof or demo sent to the customer (a link or a file, with a
note); the customer approves it or asks for changes, in the portal or by an e-mail reply
that staff record. What happens after approval is a :class:`DeliverableIssue`: a defect
against the agreed specification (fixed free) or a change (billed as a variation).

A :class:`SupportPackage` holds hours a month (or, for a training, a one-off allowance
of 3 hours). Each time entry the package covers has a :class:`PackageUse`; the minutes
beyond the month's hours are billed once, on a :class:`PackageStatement`'s proforma.

Imported by :mod:`kyklos.projects.models`, so the models belong to the projects app.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

POSITIVE = [MinValueValidator(Decimal("0.01"))]

__all__ = [
    "Deliverable",
    "DeliverableIssue",
    "PackageStatement",
    "PackageUse",
    "SupportPackage",
    "deliverable_path",
]


def deliverable_path(instance: Deliverable, filename: str) -> str:
    return f"projects/{instance.project_id}/proofs/{PurePath(filename).name}"


class Deliverable(models.Model):
    """A proof or demo the customer is asked to approve (R7.9).

    One row per round: asking for changes closes the row, and the corrected proof is a
    new row (``revision_of`` the previous one). ``snapshot`` and ``digest`` fix exactly
    what was shown when the customer answered.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Awaiting your approval")
        APPROVED = "approved", _("Approved")
        CHANGES = "changes", _("Changes asked")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="deliverables"
    )
    position = models.PositiveSmallIntegerField()
    revision_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="revision"
    )
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note for the customer"), blank=True)
    link = models.URLField(_("link to the proof or demo"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=deliverable_path, max_length=300, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer's answer (approval or changes asked).
    answered_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    signer_name = models.CharField(max_length=200, blank=True)
    signer_email = models.EmailField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(_("the customer's comment"), blank=True)
    snapshot = models.JSONField(default=dict)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="deliverable_position")
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def audit_customer_id(self) -> int:
        return self.project.customer_id

    @property
    def reference(self) -> str:
        return f"{self.project.number}/D{self.position}"

    @property
    def file_name(self) -> str:
        return PurePath(self.file.name).name if self.file else ""


class DeliverableIssue(models.Model):
    """Something raised on an approved deliverable (R7.9): a defect against the agreed
    specification, fixed free, or a change, billed as a variation the customer confirms."""

    class Kind(models.TextChoices):
        DEFECT = "defect", _("Defect against the specification (free)")
        CHANGE = "change", _("Change after approval (billed)")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("not yet closed", "Open")
        FIXED = "fixed", _("Fixed")

    deliverable = models.ForeignKey(Deliverable, on_delete=models.PROTECT, related_name="issues")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    variation = models.OneToOneField(
        "projects.Variation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliverable_issue",
    )
    logged_at = models.DateTimeField()
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deliverable", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="change") | models.Q(variation__isnull=True),
                name="a_defect_is_never_billed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.deliverable.reference} {self.get_kind_display()}"

    @property
    def audit_customer_id(self) -> int:
        return self.deliverable.project.customer_id


class SupportPackage(models.Model):
    """Support hours held by a customer (R7.10, R7.6).

    Monthly: ``minutes`` every calendar month from ``starts_on`` (through ``ends_on``);
    unused minutes lapse at the month's end (R7.10 carries nothing over). Training: a
    one-off ``minutes`` (3 hours) usable from the training's end through ``ends_on``
    (empty: no expiry). Minutes beyond a package are billed at ``overage_rate``, or else
    at the rate each time entry was logged at (the rate in force).
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Support package (hours a month)")
        TRAINING = "training", _("Support after a training")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="support_packages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    minutes = models.PositiveIntegerField(
        _("minutes"), help_text=_("A month's hours × 60 (or the training's allowance).")
    )
    price = models.DecimalField(
        _("price per month"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Net; billed as the customer's subscription, shown here for reference."),
    )
    overage_rate = models.DecimalField(
        _("rate for hours beyond the package"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text=_("Empty: the rate in force for each piece of work."),
    )
    currency = models.CharField(max_length=3, default="EUR")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_packages",
        help_text=_("The training project that granted the hours."),
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["customer", "-starts_on", "-id"]
        indexes = [models.Index(fields=["customer", "starts_on"], name="package_customer")]

    def __str__(self) -> str:
        return f"{self.title} ({self.minutes // 60} h)"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))


class PackageStatement(models.Model):
    """The hours beyond a package billed for a month, once (R7.10): one proforma."""

    package = models.ForeignKey(SupportPackage, on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(help_text=_("The first day of the month billed."))
    minutes = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="package_statement"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["package", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["package", "month"], name="one_statement_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.package} {self.month:%Y-%m}"


class PackageUse(models.Model):
    """How much of one time entry a package covered, and what went beyond it. A training's
    hours are used first; what they leave of the entry falls to the monthly package."""

    entry = models.ForeignKey(
        "projects.TimeEntry", on_delete=models.PROTECT, related_name="package_uses"
    )
    package = models.ForeignKey(SupportPackage, on_delete=models.PROTECT, related_name="uses")
    month = models.DateField(help_text=_("The first day of the month of the work."))
    covered_minutes = models.PositiveIntegerField()
    over_minutes = models.PositiveIntegerField()
    over_rate = models.DecimalField(
        max_digits=10, decimal_places=2, help_text=_("The rate the minutes beyond are billed at.")
    )
    statement = models.ForeignKey(
        PackageStatement, null=True, blank=True, on_delete=models.PROTECT, related_name="uses"
    )

    class Meta:
        ordering = ["package", "month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "package"], name="one_use_per_package")
        ]
        indexes = [
            models.Index(fields=["package", "month"], name="package_use_month"),
            models.Index(
                fields=["package", "month"],
                condition=models.Q(statement__isnull=True, over_minutes__gt=0),
                name="package_use_unbilled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package} {self.month:%Y-%m}: {self.covered_minutes}+{self.over_minutes}"
