from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """Notice kinds (R3.9, R12.1); each has a template per language."""

    RENEWAL_INVOICE = "renewal_invoice", _("Renewal invoice")
    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    EXPIRY_WARNING = "expiry_warning", _("Expiry warning")
    SERVICE_SUSPENDED = "service_suspended", _("Service suspended")
    SERVICE_TERMINATED = "service_terminated", _("Service terminated")
    SERVICE_RENEWED = "service_renewed", _("Service renewed")
    SERVICE_REACTIVATED = "service_reactivated", _("Service reactivated")
    SERVICE_CANCELLED = "service_cancelled", _("Service cancelled")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")


class Outbox(models.Model):
    """A notice waiting to be sent, written in the same transaction as its cause.

    The row is also the ledger of notices: a notice about a service is unique per
    (event, service, anchor date, offset), so the daily run can never write it twice.
    A notice whose moment has passed is stored with status ``skipped`` and never sent.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    # Not ``choices``: other apps add events through ``services.register_event``.
    event = models.CharField(max_length=40)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
        help_text=_("Empty for notices to staff or to people who are not customers."),
    )
    to_email = models.EmailField()
    language = models.CharField(max_length=2)
    context = models.JSONField(default=dict, blank=True)
    # What the notice is about (no foreign key: lifecycle and billing sit above this app).
    service_id = models.BigIntegerField(null=True, blank=True)
    invoice_id = models.BigIntegerField(null=True, blank=True)
    anchor_date = models.DateField(
        null=True, blank=True, help_text=_("The expiry date the notice is about.")
    )
    offset_days = models.SmallIntegerField(default=0)
    for_date = models.DateField(help_text=_("The day the notice is due."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # ``[{"kind": "invoice_pdf", "id": 12}]``: rendered at send time by the renderer that
    # the owning app registered in ``notifications.attachments``.
    attachments = models.JSONField(default=list, blank=True)
    # Extra headers, e.g. List-Unsubscribe on marketing e-mail (RFC 8058).
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "outbox"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "service_id", "anchor_date", "offset_days"],
                condition=Q(service_id__isnull=False, anchor_date__isnull=False),
                name="outbox_one_notice_per_moment",
            )
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="outbox_queue"),
            models.Index(fields=["customer", "-id"], name="outbox_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.to_email} ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id
