"""Money in and out: payments, checkouts with providers, bank-transfer proofs, imported
bank statements, account credit, identity holds and refunds (R6.4, R6.5, R6.9).

Every row here is a billing record: never edited after the fact except for its
review status, never deleted (R9.4 keeps billing records for the tax period).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    PAYPAL = "paypal", _("PayPal")
    MANUAL = "manual", _("Manual (staff)")
    ACCOUNT_CREDIT = "credit", _("Account credit")


class RecordedMethod(models.TextChoices):
    """The methods staff and the API record payments with (account credit is used only
    through ``services.apply_credit``, which also debits the credit)."""

    BANK_TRANSFER = Method.BANK_TRANSFER.value, Method.BANK_TRANSFER.label
    CARD = Method.CARD.value, Method.CARD.label
    PAYPAL = Method.PAYPAL.value, Method.PAYPAL.label
    MANUAL = Method.MANUAL.value, Method.MANUAL.label


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Refunded")


def _user_fk(**kwargs):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        **kwargs,
    )


class Payment(models.Model):
    """Money received against an invoice (a proforma or a tax invoice), or paid back to
    the customer for a refund (``direction`` out, against the credit note)."""

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="payments"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=Method.choices)
    paid_on = models.DateField()
    reference = models.CharField(max_length=140, blank=True)
    provider_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The provider's id of the charge (e.g. a Stripe payment intent)."),
    )
    created_at = models.DateTimeField()
    created_by = _user_fk()

    class Meta:
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["invoice", "direction"], name="payment_invoice")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.paid_on} ({self.method})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class MethodFee(models.Model):
    """What a payment method costs the customer (R6.4), as data staff can change.

    The fee is ``percent`` of the amount paid; a payment above ``threshold`` carries
    ``extra_percent`` on top (card payments over €500). Each becomes a surcharge line.
    """

    method = models.CharField(max_length=20, choices=Method.choices, unique=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    threshold = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Payments above this amount (VAT included) carry the extra fee."),
    )
    extra_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["method"]

    def __str__(self) -> str:
        return f"{self.method} {self.percent}%"


class Checkout(models.Model):
    """One attempt to pay a document through an online provider (Stripe, PayPal).

    The amount is fixed when the attempt starts; the provider's confirmation must
    match it to the cent and in currency, or it is refused.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the provider")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="checkouts"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="checkouts"
    )
    method = models.CharField(max_length=20, choices=Method.choices)
    fee_invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fee_checkouts",
        help_text=_("The proforma with the method's fee lines, paid in the same checkout."),
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    provider_reference = models.CharField(max_length=200, blank=True)
    setup_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Card: the setup intent that collects the card on the pay page."),
    )
    redirect_url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    created_by = _user_fk()
    completed_at = models.DateTimeField(null=True, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="checkout"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="checkout_provider_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount} {self.currency} ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class WebhookEvent(models.Model):
    """A provider's event that was verified and handled; its id is never handled twice."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField()
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    outcome = models.CharField(max_length=40)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


def proof_path(instance: "TransferProof", filename: str) -> str:
    return f"transfer-proofs/{instance.customer_id}/{filename}"


class TransferProof(models.Model):
    """A customer's proof of a bank transfer (R6.4); staff approve or reject it."""

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="transfer_proofs"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="transfer_proofs"
    )
    document = models.FileField(upload_to=proof_path)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    paid_on = models.DateField()
    bank_reference = models.CharField(max_length=140, blank=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    uploaded_at = models.DateTimeField()
    uploaded_by = _user_fk()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = _user_fk()
    decision_note = models.CharField(max_length=300, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="proof"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["status", "uploaded_at"], name="proof_queue")]

    def __str__(self) -> str:
        return f"proof {self.amount} {self.currency} for invoice {self.invoice_id} ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class BankStatement(models.Model):
    """An imported ISO 20022 camt.053 statement; the same file is never imported twice."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=35)
    statement_id = models.CharField(max_length=35)
    account_iban = models.CharField(max_length=34)
    created_at_bank = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField()
    imported_by = _user_fk()
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.statement_id} ({self.account_iban})"


class StatementLine(models.Model):
    """A credit on an imported statement: matched to a document by the reference in its
    remittance information, or left for staff in the review queue."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched automatically")
        UNMATCHED = "unmatched", _("Waiting for review")
        RESOLVED = "resolved", _("Assigned by staff")
        IGNORED = "ignored", _("Not ours / ignored")

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    account_iban = models.CharField(max_length=34)
    entry_reference = models.CharField(max_length=100)
    booked_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    debtor_name = models.CharField(max_length=140, blank=True)
    debtor_iban = models.CharField(max_length=34, blank=True)
    remittance = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    problem = models.CharField(max_length=300, blank=True)
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = _user_fk()
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["booked_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "entry_reference"], name="statement_entry_once"
            )
        ]
        indexes = [models.Index(fields=["status", "booked_on"], name="statement_queue")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.currency} {self.remittance[:40]}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id


class CreditEntry(models.Model):
    """The account-credit ledger: positive entries add credit (overpayments, refunds to
    credit), negative ones use it on an invoice. The balance is the sum per currency."""

    class Kind(models.TextChoices):
        OVERPAYMENT = "overpayment", _("Overpayment")
        REFUND = "refund", _("Refund to credit")
        APPLIED = "applied", _("Used on an invoice")
        ADJUSTMENT = "adjustment", _("Adjustment by staff")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_entries"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = _user_fk()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit entries"
        indexes = [models.Index(fields=["customer", "currency"], name="credit_customer")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.kind})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class IdentityCheck(models.Model):
    """Staff asked for an ID before accepting payment of a document (R6.5): until it is
    verified, paying the document does not provision what it orders."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for the ID")
        VERIFIED = "verified", _("Verified")
        FAILED = "failed", _("Failed")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="identity_checks"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="identity_checks"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField()
    requested_by = _user_fk()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = _user_fk()
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status="requested"), name="one_open_id_check"
            )
        ]

    def __str__(self) -> str:
        return f"ID check for invoice {self.invoice_id} ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class Refund(models.Model):
    """Money given back for a paid order (R6.9, R4.5): its credit note and the refund
    payment record (to the original method, or to account credit)."""

    class Kind(models.TextChoices):
        MONEY_BACK = "money_back", _("Money-back guarantee (30 days)")
        GR_WITHDRAWAL = "gr_withdrawal", _(".gr withdrawal (5 days)")
        REGISTRY_REFUSED = "registry_refused", _("Refused by the registry")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Paid back")
        PAYOUT_PENDING = "payout_pending", _("Waiting for staff to transfer it")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="refunds"
    )
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="refunds")
    credit_note = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="refund"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    to_credit = models.BooleanField(default=False)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PAYOUT_PENDING)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )
    breakdown = models.JSONField(default=dict)
    requested_at = models.DateTimeField()
    requested_by = _user_fk()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} ({self.kind}, {self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class CardProfile(models.Model):
    """A customer's side at the card provider: their customer id there and whether
    renewals are charged to the saved card automatically (R6.10)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="card_profile"
    )
    provider_customer = models.CharField(max_length=200, unique=True)
    auto_pay = models.BooleanField(
        default=False,
        help_text=_("Renewal proformas are charged to the saved card on their due date."),
    )
    auto_pay_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"card profile of customer {self.customer_id}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class SavedCard(models.Model):
    """A card kept at the provider for later payments: only its reference there and what
    the customer needs to recognise it (brand, last four digits, expiry), never its number."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="saved_cards"
    )
    provider_reference = models.CharField(max_length=200, unique=True)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    created_by = _user_fk()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "removed_at"], name="saved_card_customer")]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


class CardCharge(models.Model):
    """One off-session attempt to charge a saved card for a due document (R6.10): a
    durable job row (claimed, tried outside any transaction, answered), numbered per
    document; its idempotency key at the provider is the document and the number."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be charged")
        CHARGING = "charging", _("Being charged")
        RETRY = "retry", _("Provider unreachable; will try again")
        SUCCEEDED = "succeeded", _("Paid")
        DECLINED = "declined", _("Declined")
        ACTION_REQUIRED = "action_required", _("The bank asks the customer to confirm")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Not charged")

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="card_charges"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="card_charges"
    )
    card = models.ForeignKey(SavedCard, on_delete=models.PROTECT, related_name="charges")
    attempt = models.PositiveSmallIntegerField()
    scheduled_on = models.DateField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    checkout = models.OneToOneField(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="card_charge"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "attempt"], name="card_charge_attempt")
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="card_charge_due")]

    def __str__(self) -> str:
        return f"card charge {self.attempt} of invoice {self.invoice_id} ({self.status})"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id
