from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """R6.1."""

    PROFORMA = "proforma", _("Proforma")
    INVOICE = "invoice", _("Tax invoice")
    RECEIPT = "receipt", _("Receipt")
    CREDIT_NOTE = "credit_note", _("Credit note")


#: Kinds with tax effect: numbered gaplessly, never edited or deleted.
TAX_DOCUMENT_KINDS = {DocumentKind.INVOICE, DocumentKind.RECEIPT, DocumentKind.CREDIT_NOTE}


#: The default shape of a document number: ``INV-2027-000001``.
DEFAULT_NUMBER_PATTERN = "{prefix}-{year}-{number:06d}"


def validate_number_pattern(pattern: str) -> None:
    """A pattern must contain ``{number…}`` and format without error."""
    try:
        sample = pattern.format(prefix="INV", year=2027, number=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValidationError(
            gettext("The number pattern %(p)s is not valid: %(e)s") % {"p": pattern, "e": error}
        ) from None
    if "{number" not in pattern or len(sample) > 40:
        raise ValidationError(
            gettext(
                "A number pattern uses {prefix}, {year} and {number:06d} and gives at most "
                "40 characters."
            )
        )


class NumberSeries(models.Model):
    """A gapless numbering series per document kind and year (R6.1).

    The next number is taken under a row lock inside the issuing transaction, so a
    rolled-back issue gives its number back and two issuers never share one.
    """

    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=20)
    pattern = models.CharField(
        max_length=60,
        default=DEFAULT_NUMBER_PATTERN,
        validators=[validate_number_pattern],
        help_text=_("How numbers look, e.g. {prefix}-{year}-{number:06d} → INV-2027-000001."),
    )
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "number series"
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="series_per_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year} (next {self.next_number})"

    def format(self, sequence: int) -> str:
        return self.pattern.format(prefix=self.prefix, year=self.year, number=sequence)


class IssuedDocumentError(ValidationError):
    """An attempt to edit or delete an issued document (R6.1)."""


def _refuse(message: str) -> None:
    raise IssuedDocumentError(message)


#: The one edit data-protection law imposes on an issued document: when its retention ends
#: (proformas with the customer's other records, tax documents after the tax period), the
#: buyer's particulars are replaced by the erased marker, and nothing else changes.
ANONYMISABLE_FIELDS = frozenset({"buyer_name", "buyer_address", "buyer_vat_id"})


def _anonymises_buyer(values: dict) -> bool:
    from kyklos.core.personal_data import ERASED_NAME

    return (
        set(values) <= ANONYMISABLE_FIELDS | Invoice.MUTABLE_FIELDS
        and values.get("buyer_name") == ERASED_NAME
        and values.get("buyer_address", "") == ""
        and values.get("buyer_vat_id", "") == ""
    )


class InvoiceQuerySet(models.QuerySet):
    """Issued documents are never deleted, and only their payment state changes."""

    def delete(self):
        _refuse(gettext("Issued documents are never deleted; correct them with a credit note."))

    delete.queryset_only = True

    def update(self, **kwargs):
        changed = set(kwargs) - Invoice.MUTABLE_FIELDS
        if changed and not _anonymises_buyer(kwargs):
            _refuse(
                gettext("Issued documents cannot be edited (%(fields)s).")
                % {"fields": ", ".join(sorted(changed))}
            )
        return super().update(**kwargs)


class LineQuerySet(models.QuerySet):
    def delete(self):
        _refuse(gettext("The lines of an issued document are never deleted."))

    delete.queryset_only = True

    def update(self, **kwargs):
        _refuse(gettext("The lines of an issued document cannot be edited."))


class Invoice(models.Model):
    """A billing document. Proformas ask for payment; tax documents record it.

    The parties' particulars are copied at issue (EU VAT Directive art. 226), so later
    changes of the customer never alter an issued document.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")  # issued, awaiting payment
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")  # proformas only; tax docs need a credit note
        CREDITED = "credited", _("Credited")  # an unpaid tax document wholly credited
        ISSUED = "issued", _("Issued")  # a credit note: nothing to pay

    class VatCase(models.TextChoices):
        DOMESTIC = "domestic", _("Domestic")
        EU_B2C = "eu_b2c", _("EU consumer (OSS)")
        REVERSE_CHARGE = "reverse_charge", _("Reverse charge")
        OUTSIDE_SCOPE = "outside_scope", _("Outside the scope of EU VAT")

    class VatCheck(models.TextChoices):
        NONE = "none", _("No VAT id")
        FORMAT = "format", _("Format and check digit")
        VIES_VALID = "vies_valid", _("Confirmed by VIES")
        VIES_INVALID = "vies_invalid", _("Rejected by VIES")
        VIES_UNAVAILABLE = "vies_unavailable", _("VIES unreachable; format and check digit")

    #: The only fields that change once a document is issued (its payment state).
    MUTABLE_FIELDS = frozenset({"status", "paid_on"})

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
    buyer_tax_office = models.CharField(max_length=100, blank=True)
    vat_note = models.CharField(max_length=200, blank=True)
    # The VAT decision (R6.3) and how the buyer's VAT id was checked.
    vat_case = models.CharField(max_length=16, choices=VatCase.choices, blank=True)
    vat_country = models.CharField(
        max_length=2, blank=True, help_text=_("The member state whose VAT applies.")
    )
    vat_check = models.CharField(max_length=20, choices=VatCheck.choices, default=VatCheck.NONE)
    vat_check_reference = models.CharField(
        max_length=80, blank=True, help_text=_("The VIES consultation number, when VIES answered.")
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text=_("Why a credit note was issued.")
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvoiceQuerySet.as_manager()

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

    def save(self, *args, **kwargs):
        """A document is written once; afterwards only its payment state changes."""
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or set(fields) - self.MUTABLE_FIELDS:
                _refuse(
                    gettext("%(number)s is issued and cannot be edited.") % {"number": self.number}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse(
            gettext("%(number)s is issued and is never deleted; correct it with a credit note.")
            % {"number": self.number}
        )

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id

    @property
    def is_tax_document(self) -> bool:
        return self.kind in TAX_DOCUMENT_KINDS

    @property
    def is_credit_note(self) -> bool:
        return self.kind == DocumentKind.CREDIT_NOTE


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
    credited_line = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credits",
        help_text=_("On a credit note: the line of the original document it corrects."),
    )

    objects = LineQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse(gettext("The lines of an issued document cannot be edited."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse(gettext("The lines of an issued document are never deleted."))


class VatRate(models.Model):
    """A member state's standard VAT rate from a date (R6.3).

    The rate in force on a day is the row with the latest ``valid_from`` on or before it,
    so a rate change is a new row and older documents keep the rate of their day.
    """

    country = models.CharField(max_length=2, help_text=_("ISO 3166 code, e.g. GR"))
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    valid_from = models.DateField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["country", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "valid_from"], name="vat_rate_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.rate}% from {self.valid_from}"


class Transmission(models.Model):
    """A document's report to a national e-invoicing system (Greek myDATA, Polish KSeF, …)
    through one channel, and what the system answered: its identifiers (myDATA MARK and
    UID, KSeF number, …) and the QR code link printed on the document.

    Kept beside the document so the document itself stays immutable. One row per document
    and channel (``authority`` holds the channel's code); ``kyklos.einvoicing`` creates the
    rows when documents are issued and moves them through the states of :class:`Status`
    (docs/einvoicing.md); every attempt's raw exchange is kept there too.
    """

    class Authority(models.TextChoices):
        MYDATA = "mydata", "myDATA (AADE)"
        KSEF = "ksef", "KSeF"
        PEPPOL = "peppol", "Peppol"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # created, never tried
        SENDING = "sending", _("Sending")  # claimed by a sender
        RETRY = "retry", _("Waiting to retry")  # a temporary failure; next_attempt_at
        SENT = "sent", _("Reported")  # the system accepted it (identifiers received)
        FAILED = "failed", _("Failed")  # refused, or too many attempts: staff act
        NOT_REQUIRED = "not_required", _("Not required")  # the channel does not report it
        # Sent in error and cancelled at the system by staff (its MARK kept, the cancellation
        # mark in identifiers); the document itself stays issued.
        CANCELLED = "cancelled", _("Cancelled")

    #: States in which a document still waits to be reported.
    UNREPORTED = (Status.PENDING, Status.SENDING, Status.RETRY, Status.FAILED)

    class Environment(models.TextChoices):
        TEST = "test", _("Test")
        PRODUCTION = "production", _("Production")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="transmissions")
    authority = models.CharField(
        _("channel"), max_length=20, help_text=_("The e-invoicing channel's code, e.g. mydata.")
    )
    environment = models.CharField(
        max_length=10, choices=Environment.choices, default=Environment.PRODUCTION
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    mark = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The authority's identifier: the myDATA MARK or the KSeF number."),
    )
    uid = models.CharField(max_length=100, blank=True)
    qr_url = models.URLField(max_length=1000, blank=True)
    identifiers = models.JSONField(
        default=dict, blank=True, help_text=_("Everything the system assigned, by name.")
    )
    duplicate = models.BooleanField(
        default=False, help_text=_("The system answered that it already had the document.")
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, help_text=_("The sender working on it."))
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["invoice_id", "authority"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "authority"], name="one_transmission")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="transmission_due")]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.authority} ({self.status})"

    @property
    def authority_label(self) -> str:
        return dict(self.Authority.choices).get(self.authority, self.authority)
