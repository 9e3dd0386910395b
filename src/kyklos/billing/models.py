from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """R6.1."""

    PROFORMA = "proforma", _("Proforma")
    INVOICE = "invoice", _("Tax invoice")
    RECEIPT = "receipt", _("Receipt")
    CREDIT_NOTE = "credit_note", _("Credit note")


#: Kinds with tax effect: numbered gaplessly, never edited or deleted.
TAX_DOCUMENT_KINDS = {DocumentKind.INVOICE, DocumentKind.RECEIPT, DocumentKind.CREDIT_NOTE}


class NumberSeries(models.Model):
    """A gapless numbering series per document kind and year (R6.1).

    The next number is taken under a row lock inside the issuing transaction, so a
    rolled-back issue gives its number back and two issuers never share one.
    """

    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=20)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "number series"
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="series_per_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year} (next {self.next_number})"


class Invoice(models.Model):
    """A billing document. Proformas ask for payment; tax documents record it.

    The parties' particulars are copied at issue (EU VAT Directive art. 226), so later
    changes of the customer never alter an issued document.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")  # issued, awaiting payment
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")  # proformas only; tax docs need a credit note

    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    number = models.CharField(max_length=40, unique=True)
    series = models.ForeignKey(NumberSeries, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    related = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived",
        help_text=_("The proforma a tax document settles, or the invoice a credit note corrects."),
    )
    issued_on = models.DateField()
    due_on = models.DateField()
    paid_on = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    vat_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    language = models.CharField(max_length=2, default="el")
    # Snapshot of the parties (art. 226).
    seller = models.JSONField(default=dict)
    buyer_name = models.CharField(max_length=200)
    buyer_address = models.CharField(max_length=400, blank=True)
    buyer_country = models.CharField(max_length=2)
    buyer_vat_id = models.CharField(max_length=20, blank=True)
    vat_note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="invoice_series_sequence")
        ]
        indexes = [
            models.Index(fields=["customer", "-issued_on"], name="invoice_customer"),
            models.Index(fields=["status", "kind", "due_on"], name="invoice_open"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def is_tax_document(self) -> bool:
        return self.kind in TAX_DOCUMENT_KINDS


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    product_code = models.CharField(max_length=50, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    vat = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return self.description
