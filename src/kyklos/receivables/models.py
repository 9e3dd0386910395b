"""Collections (R6.6) and late interest (R6.7).

An invoice is payable on receipt. Once it is past due, a :class:`CollectionCase` follows
it: reminders on the days of the :class:`CollectionPolicy`, then — after the grace
period — the customer's services are suspended and a formal notice goes out, and later
the debt is handed to collection. :class:`InterestCharge` rows record the late interest
charged on project balances, day by day, so no day is ever charged twice.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def _validate_days(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and v >= 1 for v in value):
        raise ValidationError(_("Give a list of whole days after the due date, e.g. [7, 21, 28]."))


class CollectionPolicy(models.Model):
    """The collection schedule as data (R6.6, R6.7). The one with code ``default``
    applies; staff change it in the admin."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days after the due date)"), default=30
    )
    reminder_days = models.JSONField(
        _("reminders (days after the due date)"),
        default=list,
        validators=[_validate_days],
        help_text=_("e.g. [7, 21, 28]; a reminder whose day has passed is not sent late."),
    )
    suspend_services = models.BooleanField(
        _("suspend the customer's services after the grace period"), default=True
    )
    collection_after_days = models.PositiveSmallIntegerField(
        _("hand to collection (days after the formal notice)"), default=14
    )
    interest_rate = models.DecimalField(
        _("late interest (percent a year)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
    )
    interest_free_days = models.PositiveSmallIntegerField(
        _("interest-free days after the due date"),
        default=30,
        help_text=_("Interest accrues from the day after these days (the grace period)."),
    )

    class Meta:
        verbose_name_plural = "collection policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        _validate_days(self.reminder_days)
        if any(day > self.grace_days for day in self.reminder_days):
            raise ValidationError({"reminder_days": _("Reminders go out within the grace period.")})


class CollectionCase(models.Model):
    """One overdue invoice on its way through the schedule. Billing's documents are
    never changed: the state of the chase lives here."""

    class Stage(models.TextChoices):
        OVERDUE = "overdue", _("Overdue")  # reminders
        NOTICE_SENT = "notice_sent", _("Formal notice sent")  # services suspended
        IN_COLLECTION = "in_collection", _("Sent to collection")
        CLOSED = "closed", _("Case closed")

    class Outcome(models.TextChoices):
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Document credited")
        CANCELLED = "cancelled", _("Document cancelled")
        WRITTEN_OFF = "written_off", _("Written off")

    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="collection_case"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="collection_cases"
    )
    stage = models.CharField(max_length=14, choices=Stage.choices, default=Stage.OVERDUE)
    opened_on = models.DateField()
    last_reminder_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("The latest reminder sent (days after the due date).")
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    notice_sent_on = models.DateField(null=True, blank=True)
    suspended_service_ids = models.JSONField(default=list, blank=True)
    collection_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["stage", "customer"], name="case_stage")]

    def __str__(self) -> str:
        return f"{self.invoice} ({self.stage})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class InterestCharge(models.Model):
    """Late interest charged on one overdue project document for a run of days (R6.7).

    ``segments`` lists the balance of each stretch of days (a part payment starts a new
    one); ``amount`` is their sum, rounded once.
    """

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="interest_charges"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="interest_charges"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    days = models.PositiveIntegerField()
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    segments = models.JSONField(default=list)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    charged_on = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        related_name="interest_lines",
        help_text=_("The document the interest was invoiced on."),
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "first_day"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "first_day"], name="interest_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.first_day}–{self.last_day}: {self.amount}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id
