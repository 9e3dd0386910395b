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
        indexes = [models.Index(fields=["invoice"], name="renewal_invoice")]

    def __str__(self) -> str:
        return f"service {self.service_id} {self.period_start}–{self.period_end}"
