from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyklos.catalog.models import Cycle


class State(models.TextChoices):
    """R3.1. "Expiring" is not stored: it is an active service inside its notice window."""

    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    CANCELLED = "cancelled", _("Cancelled")
    FRAUD = "fraud", _("Fraud")


#: States in which a service still belongs to the renewal cycle.
LIVE_STATES = (State.ACTIVE, State.SUSPENDED)
FINAL_STATES = (State.TERMINATED, State.CANCELLED, State.FRAUD)


class Service(models.Model):
    """A product a customer holds, with its cycle, price basis and expiry.

    State changes go through :mod:`kyklos.lifecycle.transitions` only.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="services"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="addons",
        help_text=_("For add-ons: the service they attach to and share a cycle with (R2.5)."),
    )
    label = models.CharField(
        max_length=200, blank=True, help_text=_("Domain, host name or plan label")
    )
    cycle = models.CharField(max_length=12, choices=Cycle.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    state_changed_on = models.DateField()
    ordered_on = models.DateField()
    started_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    auto_renew = models.BooleanField(default=True)
    coupon = models.ForeignKey(
        "catalog.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Overrides the list price on renewals when set."),
    )
    cancel_requested_on = models.DateField(null=True, blank=True)
    cancel_effective_on = models.DateField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "expires_on"], name="service_due"),
            models.Index(fields=["customer", "state"], name="service_customer"),
            models.Index(
                fields=["cancel_effective_on"],
                condition=models.Q(cancel_effective_on__isnull=False),
                name="service_cancel_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label or self.product_id} ({self.state})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def display_label(self) -> str:
        """What notices and lists call the service: its label, else its product's name."""
        return self.label or self.product.name


class Renewal(models.Model):
    """One billed period of a service and the proforma that asks for it.

    Unique per (service, period start): the daily run can never bill a period twice.
    """

    class Kind(models.TextChoices):
        ORDER = "order", _("First period of an order")
        RENEWAL = "renewal", _("Renewal")
        RESTORE = "restore", _("Restore after termination")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="renewals")
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="renewals"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.RENEWAL)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["service", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["service", "period_start"], name="renewal_once")
        ]
        indexes = [
            models.Index(fields=["invoice"], name="renewal_invoice"),
            # The daily run's reminders and warnings ask whether a service's current
            # period is billed and still open: a few percent of all renewals.
            models.Index(
                fields=["service", "period_start"],
                condition=models.Q(status="open"),
                name="renewal_open",
            ),
        ]

    def __str__(self) -> str:
        return f"service {self.service_id} {self.period_start}–{self.period_end}"


class PlanChange(models.Model):
    """A move of a service to another plan of its product type (upgrade or downgrade).

    The price difference is prorated on the days left of the paid period: an upgrade is
    billed on a proforma and the service moves when it is paid; a downgrade moves at once
    and the difference becomes account credit (decision 0027). The row is also the
    service's plan history.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for payment")
        DONE = "done", _("Done")
        VOID = "void", _("Void")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="plan_changes")
    from_product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    to_product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    period_end = models.DateField(
        help_text=_("The end of the paid period the change is prorated on.")
    )
    days_left = models.PositiveIntegerField()
    days_in_period = models.PositiveIntegerField()
    old_price = models.DecimalField(max_digits=12, decimal_places=2)
    new_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text=_("The prorated difference: positive is billed, negative is credited."),
    )
    currency = models.CharField(max_length=3)
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_changes",
        help_text=_("The proforma of an upgrade."),
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["service", "-requested_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="open"),
                name="plan_change_one_open",
            )
        ]
        indexes = [models.Index(fields=["invoice"], name="plan_change_invoice")]

    def __str__(self) -> str:
        return (
            f"service {self.service_id} {self.from_product_id}→{self.to_product_id} ({self.status})"
        )

    @property
    def audit_customer_id(self) -> int:
        return self.service.customer_id
