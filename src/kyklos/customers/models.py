from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    GREEK = "el", "Ελληνικά"
    ENGLISH = "en", "English"
    POLISH = "pl", "Polski"


class Customer(models.Model):
    """A person or a company (R1.1) with its current particulars (R1.2).

    Changes of particulars are recorded in :class:`ParticularsChange`; the fields in
    ``customers.services.FIELDS_NEEDING_APPROVAL`` change only through an approved
    :class:`ChangeRequest` (R1.3).
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked")  # relationship ended; kept for legal holds (R1.4)

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    name = models.CharField(_("name"), max_length=200, help_text=_("Person's or contact's name"))
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    tax_office = models.CharField(_("tax office"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. GR"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("primary e-mail"))
    secondary_email = models.EmailField(_("secondary e-mail"), blank=True)
    admin_email = models.EmailField(
        _("administrative e-mail"), blank=True, help_text=_("Receives receipts and notices")
    )
    billing_email = models.EmailField(
        _("billing e-mail"), blank=True, help_text=_("Receives invoices")
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.GREEK)
    adult_confirmed_at = models.DateTimeField(_("confirmed 18 or older at"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return (
            self.company_name if self.kind == self.Kind.COMPANY and self.company_name else self.name
        )

    @property
    def audit_customer_id(self) -> int:
        return self.pk

    @property
    def notice_email(self) -> str:
        """Where notices and receipts go (R1.2): the administrative e-mail, else primary."""
        return self.admin_email or self.email

    @property
    def invoice_email(self) -> str:
        """Where invoices go (R1.2, R6.8): the billing e-mail, else primary."""
        return self.billing_email or self.email

    def clean(self) -> None:
        if self.kind == self.Kind.COMPANY and not self.company_name:
            raise ValidationError({"company_name": _("A company needs its legal name.")})


class ParticularsChange(models.Model):
    """One changed field of a customer's particulars; the old value stays here (R1.3)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="history")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_request = models.ForeignKey(
        "ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


def change_document_path(instance: "ChangeRequest", filename: str) -> str:
    return f"change-requests/{instance.customer_id}/{filename}"


class ChangeRequest(models.Model):
    """A change of particulars that needs a supporting document and staff approval (R1.3)."""

    class Field(models.TextChoices):
        VAT_ID = "vat_id", _("VAT id")
        COMPANY_NAME = "company_name", _("Company name")
        COUNTRY = "country", _("Billing country")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="change_requests")
    field = models.CharField(max_length=20, choices=Field.choices)
    new_value = models.CharField(max_length=200)
    document = models.FileField(upload_to=change_document_path)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer} {self.field} → {self.new_value} ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class TermsAcceptance(models.Model):
    """Acceptance of the terms of service: version, time and channel (R1.1)."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        API = "api", _("API")
        STAFF = "staff", _("Staff")
        EMAIL = "email", _("E-mail")
        IMPORT = "import", _("Import")
        SIGNUP = "signup", _("Sign-up in the shop")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="terms")
    version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"terms {self.version} ({self.channel})"


class TermsVersion(models.Model):
    """A published version of the terms of service (R12.3), in every language.

    The version in force on a day is the one with the latest ``published_on`` on or before
    it; an acceptance (:class:`TermsAcceptance`) names the version accepted. Published
    versions are never edited: a change is a new version. A significant one is notified to
    every customer (``storefront.services.publish_terms``).
    """

    version = models.CharField(_("version"), max_length=20, unique=True)
    published_on = models.DateField(_("published on"))
    significant = models.BooleanField(
        _("significant change"),
        default=False,
        help_text=_("Customers are notified of a significant change (R12.3)."),
    )
    summary = models.CharField(
        _("what changed"), max_length=300, blank=True, help_text=_("Said in the notice.")
    )
    text_el = models.TextField(_("text in Greek"))
    text_en = models.TextField(_("text in English"))
    text_pl = models.TextField(_("text in Polish"))
    created_at = models.DateTimeField()
    notified_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return f"terms {self.version} ({self.published_on.isoformat()})"

    def text(self, language: str) -> str:
        """The text in ``language``, else in English."""
        return getattr(self, f"text_{language}", "") or self.text_en
