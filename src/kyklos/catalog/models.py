from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductType(models.TextChoices):
    """R2.1."""

    SHARED_HOSTING = "shared_hosting", _("Shared hosting")
    EMAIL_HOSTING = "email_hosting", _("E-mail hosting")
    DOMAIN = "domain", _("Domain registration")
    SSL = "ssl", _("SSL certificate")
    DEDICATED_SERVER = "dedicated_server", _("Dedicated server")
    WEB_DEVELOPMENT = "web_development", _("Website development")
    MAINTENANCE = "maintenance", _("Maintenance retainer")
    SOCIAL_MEDIA = "social_media", _("Social-media management")
    ADS = "ads", _("Ads management")
    SEO = "seo", _("SEO")
    IPTV = "iptv", _("Set-top-box subscription")
    CHAT_SAAS = "chat_saas", _("Chat-plugin SaaS plan")
    SUPPORT_PACKAGE = "support_package", _("Support package")
    ADDON = "addon", _("Add-on")


class Cycle(models.TextChoices):
    """R2.2. The value's month count is in :data:`CYCLE_MONTHS`."""

    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Semi-annual")
    ANNUAL = "annual", _("Annual")
    BIENNIAL = "biennial", _("Biennial")
    ONE_OFF = "one_off", _("One-off")


CYCLE_MONTHS = {
    Cycle.MONTHLY: 1,
    Cycle.QUARTERLY: 3,
    Cycle.SEMIANNUAL: 6,
    Cycle.ANNUAL: 12,
    Cycle.BIENNIAL: 24,
    Cycle.ONE_OFF: 0,
}


def _validate_offsets(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and v >= 0 for v in value):
        raise ValidationError(_("Give a list of whole days, e.g. [7, 1, 0]."))


class LifecyclePolicy(models.Model):
    """How services of a product behave around expiry (R3.2–R3.8), as data.

    One policy is seeded per product type with the defaults of R3; staff edit them in the
    admin or create others and attach them to products.
    """

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    # R3.2 renewal notice: days before expiry the proforma is issued, per cycle.
    lead_days_monthly = models.PositiveSmallIntegerField(default=5)
    lead_days_quarterly = models.PositiveSmallIntegerField(default=14)
    lead_days_semiannual = models.PositiveSmallIntegerField(default=14)
    lead_days_annual = models.PositiveSmallIntegerField(default=30)
    lead_days_biennial = models.PositiveSmallIntegerField(default=30)
    # R3.4 payment should arrive this many days before expiry: the renewal proforma's due date.
    payment_due_days = models.PositiveSmallIntegerField(
        default=5,
        help_text=_("The renewal proforma falls due this many days before expiry (R3.4)."),
    )
    # R3.3 reminders (days before expiry; 0 = on the expiry day) and "expires soon" notices.
    reminder_offsets = models.JSONField(default=list, validators=[_validate_offsets])
    warning_offsets = models.JSONField(default=list, validators=[_validate_offsets])
    # R3.5 days from expiry to suspension and to termination.
    suspend_after_days = models.PositiveSmallIntegerField(default=0)
    terminate_after_days = models.PositiveSmallIntegerField(default=30)
    # R3.5/R3.6 fees.
    restore_fee = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Charged when staff restore a terminated service from backups."),
    )
    reactivation_fee = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Charged when a terminated service is restarted (e.g. a new setup fee)."),
    )
    auto_reactivate = models.BooleanField(
        default=True, help_text=_("Payment of a suspended service's invoice reactivates it (R3.6).")
    )
    # R4.4 late renewal (grace, redemption) costs extra, possibly over €100: say so.
    warn_late_fees = models.BooleanField(
        default=False, help_text=_("Notices warn that renewing late carries extra charges (R4.4).")
    )
    # Set for products whose expiry another app runs by its own data: the lifecycle's
    # suspend/terminate steps leave them alone (domains: grace, redemption and release per
    # TLD, R4.2-R4.4, in ``domains.advance``).
    expiry_handled_by = models.CharField(
        max_length=40,
        blank=True,
        default="",
        help_text=_(
            "The app that suspends and ends these services after expiry (e.g. domains); "
            "empty: the suspension and termination days above."
        ),
    )
    # R3.7 written cancellation at least N days before the end of the month, else next
    # month renews and is owed. Null: cancellation takes effect as requested (R3.8).
    cancel_days_before_month_end = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "lifecycle policies"

    def __str__(self) -> str:
        return self.name

    def lead_days(self, cycle: str) -> int | None:
        """Days before expiry that the renewal proforma is issued; None for one-off."""
        if cycle == Cycle.ONE_OFF:
            return None
        return getattr(self, f"lead_days_{cycle}")

    def renewal_due_on(self, period_start, issued_on):
        """The due date of the proforma for the period starting ``period_start`` (R3.4):
        ``payment_due_days`` before it, never before the day the proforma is issued."""
        return max(period_start - timedelta(days=self.payment_due_days), issued_on)

    def clean(self) -> None:
        if self.terminate_after_days < self.suspend_after_days:
            raise ValidationError(
                {"terminate_after_days": _("Termination cannot come before suspension.")}
            )


class Product(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=ProductType.choices)
    policy = models.ForeignKey(LifecyclePolicy, on_delete=models.PROTECT, related_name="products")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    refundable = models.BooleanField(
        default=False, help_text=_("Eligible for the 30-day money-back guarantee (R6.9).")
    )
    addon_for = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="addons",
        help_text=_("For add-ons: the products they can attach to (R2.5)."),
    )
    # R5.8: withdrawn from sale on a day, with notice to the customers who hold it and an
    # offer to move to a current product; their services renew until the notice ends.
    withdrawn_on = models.DateField(
        null=True, blank=True, help_text=_("No longer sold from this day (R5.8).")
    )
    withdrawal_notice_days = models.PositiveSmallIntegerField(
        default=90,
        help_text=_("Days after the withdrawal during which running services still renew."),
    )
    migration_target = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The current product offered instead."),
    )

    class Meta:
        ordering = ["type", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_addon(self) -> bool:
        return self.type == ProductType.ADDON

    @property
    def renewals_end_on(self):
        """The last day a withdrawn product's services still renew (R5.8), else None."""
        if self.withdrawn_on is None:
            return None
        from datetime import timedelta

        return self.withdrawn_on + timedelta(days=self.withdrawal_notice_days)


class Price(models.Model):
    """A list price of a product for a cycle from a date on (dated price lists, R2.3).

    The price in force on a day is the one with the latest ``valid_from`` on or before it.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    cycle = models.CharField(max_length=12, choices=Cycle.choices)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    setup_fee = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="EUR")
    valid_from = models.DateField()

    class Meta:
        ordering = ["product", "cycle", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "cycle", "valid_from"], name="price_unique_per_day"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.product.code} {self.cycle} {self.amount} {self.currency} from {self.valid_from}"
        )


class Coupon(models.Model):
    """A discount on the first purchase only, never on renewals, never combined (R2.4)."""

    code = models.CharField(max_length=40, unique=True)
    percent_off = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    amount_off = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    products = models.ManyToManyField(Product, blank=True, help_text=_("Empty: every product."))
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    times_used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValidationError(_("Give either a percentage or an amount off, not both."))
        if self.percent_off is not None and self.percent_off > 100:
            raise ValidationError({"percent_off": _("At most 100%.")})


class ExchangeRate(models.Model):
    """What one unit of ``currency`` is worth in the house currency (EUR) on a day (R5.9).
    The rate in force on a day is the one with the latest ``day`` on or before it."""

    currency = models.CharField(max_length=3)
    day = models.DateField()
    rate = models.DecimalField(
        max_digits=14, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))]
    )

    class Meta:
        ordering = ["currency", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="rate_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} on {self.day}"


class ForeignPrice(models.Model):
    """A dedicated server's price set in another currency (R5.9): the list price in EUR is
    ``amount`` × the rate at the last pricing; a move of 20 % or more from that rate
    schedules a new list price one month after the customers are told."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="foreign_prices")
    cycle = models.CharField(max_length=12, choices=Cycle.choices)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    rate_at_pricing = models.DecimalField(max_digits=14, decimal_places=6)
    priced_on = models.DateField()

    class Meta:
        ordering = ["product", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["product", "cycle"], name="foreign_price_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.product.code} {self.cycle} {self.amount} {self.currency}"
