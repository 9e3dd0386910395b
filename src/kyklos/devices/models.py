from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    """A set-top box registered to a customer and subscription (R11.1)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        RETURNED = "returned", _("Returned")
        RETIRED = "retired", _("Retired")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="devices"
    )
    service = models.ForeignKey(
        "lifecycle.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
        help_text=_("The subscription the box serves."),
    )
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    mac = models.CharField(_("MAC address"), max_length=17, unique=True)
    model_name = models.CharField(_("model"), max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    registered_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["customer_id", "serial"]

    def __str__(self) -> str:
        return f"{self.serial} ({self.mac})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class DeviceActivity(models.Model):
    """One event reported by a box; kept only for the retention period (R9.4, R11.1)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("device activity")
        indexes = [
            models.Index(fields=["at"], name="device_activity_at"),
            models.Index(fields=["device", "-at"], name="device_activity_device"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ActivityStat(models.Model):
    """Anonymised statistics kept after the activity itself is deleted: events and
    distinct boxes per day and kind, with no link to a box or a customer."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    events = models.PositiveIntegerField()
    devices = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "kind"], name="device_stat_day_kind")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.events}"


class ShipmentQuerySet(models.QuerySet):
    def _refuse_completed(self, message) -> None:
        if self.filter(status__in=Shipment.COMPLETE).exists():
            raise ValidationError(message)

    def update(self, **kwargs):
        self._refuse_completed(_("A completed shipment cannot be changed."))
        return super().update(**kwargs)

    def delete(self):
        self._refuse_completed(_("A completed shipment cannot be deleted."))
        return super().delete()


class Shipment(models.Model):
    """A parcel sent to a customer (a box, a token …); immutable once complete (R11.2)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned to sender")
        LOST = "lost", _("Lost")

    COMPLETE = (Status.DELIVERED, Status.RETURNED, Status.LOST)

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="shipments"
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    sender_name = models.CharField(_("sender"), max_length=200)
    sender_address = models.CharField(_("sender address"), max_length=400)
    recipient_name = models.CharField(_("recipient"), max_length=200)
    recipient_address = models.CharField(_("recipient address"), max_length=400)
    recipient_phone = models.CharField(_("recipient phone"), max_length=40, blank=True)
    contents = models.CharField(_("contents"), max_length=200)
    carrier = models.CharField(_("carrier"), max_length=80, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.contents} → {self.recipient_name} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = Shipment.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in self.COMPLETE:
                raise ValidationError(_("A completed shipment cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Shipment.objects.filter(pk=self.pk, status__in=self.COMPLETE).exists():
            raise ValidationError(_("A completed shipment cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def is_complete(self) -> bool:
        return self.status in self.COMPLETE
