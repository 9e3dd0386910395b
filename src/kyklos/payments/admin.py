"""Staff screens for payments. Every write goes through a service; payment records are
never edited or deleted. The review queue is the proofs and statement lines waiting
for review (filter "status: waiting for review")."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import (
    NoAdd,
    NoDelete,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceForm,
    with_actor,
)
from kyklos.payments import bank, identity, refunds
from kyklos.payments.models import (
    BankStatement,
    CardCharge,
    CardProfile,
    Checkout,
    CreditEntry,
    IdentityCheck,
    MethodFee,
    Payment,
    RecordedMethod,
    Refund,
    ReviewStatus,
    SavedCard,
    StatementLine,
    TransferProof,
    WebhookEvent,
)
from kyklos.payments.services import record_payment


class ServiceAdmin(NoDelete, admin.ModelAdmin):
    """Every save runs ``service_form`` (a :class:`ServiceForm`); nothing is deleted."""

    service_form = None

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = with_actor(self.service_form, request)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = form.result.pk


# --- payments -----------------------------------------------------------------------------


class PaymentForm(ServiceForm):
    class Meta:
        model = Payment
        fields = ["invoice", "amount", "method", "paid_on", "reference"]

    method = forms.ChoiceField(choices=RecordedMethod.choices)
    excess_to_credit = forms.BooleanField(
        required=False, label=_("Put what exceeds the amount owed on the account credit")
    )

    def run(self, data):
        return record_payment(
            data["invoice"],
            amount=data["amount"],
            method=data["method"],
            paid_on=data["paid_on"],
            reference=data.get("reference", ""),
            excess_to_credit=data.get("excess_to_credit", False),
            actor=self.actor,
        )


@admin.register(Payment)
class PaymentAdmin(ServiceAdmin):
    service_form = PaymentForm
    list_display = ["id", "invoice", "customer", "direction", "amount", "currency", "method"]
    list_filter = ["direction", "method", "paid_on"]
    list_select_related = ["invoice", "customer"]
    search_fields = ["reference", "provider_reference", "invoice__number", "customer__email"]
    raw_id_fields = ["invoice"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


# --- bank transfers: proofs and statements ------------------------------------------------


class ProofDecisionForm(ServiceForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve: the money arrived")), ("reject", _("Reject"))]
    )
    amount_seen = forms.DecimalField(
        required=False, label=_("Amount that arrived (if not the amount given)")
    )
    note = forms.CharField(required=False, max_length=300, label=_("Note (required to reject)"))

    class Meta:
        model = TransferProof
        fields = []

    def run(self, data):
        if data["decision"] == "approve":
            return bank.approve_proof(
                self.instance, actor=self.actor, amount=data.get("amount_seen"), note=data["note"]
            )
        return bank.reject_proof(self.instance, actor=self.actor, note=data["note"])


@admin.register(TransferProof)
class TransferProofAdmin(NoAdd, ServiceAdmin):
    service_form = ProofDecisionForm
    list_display = ["id", "invoice", "customer", "amount", "paid_on", "status", "uploaded_at"]
    list_filter = ["status"]
    list_select_related = ["invoice", "customer"]
    search_fields = ["invoice__number", "customer__email", "bank_reference"]
    readonly_fields = [
        "invoice",
        "customer",
        "document",
        "amount",
        "currency",
        "paid_on",
        "bank_reference",
        "status",
        "decided_at",
        "decided_by",
        "decision_note",
        "payment",
    ]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == ReviewStatus.PENDING)


class StatementUploadForm(ServiceForm):
    file = forms.FileField(label=_("camt.053 statement (XML)"))

    class Meta:
        model = BankStatement
        fields = []

    def run(self, data):
        upload = data["file"]
        return bank.import_statement(upload.read(), file_name=upload.name, actor=self.actor)


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    fields = ["booked_on", "amount", "currency", "debtor_name", "remittance", "status", "invoice"]


@admin.register(BankStatement)
class BankStatementAdmin(ServiceAdmin):
    service_form = StatementUploadForm
    list_display = ["statement_id", "account_iban", "imported_at", "summary"]
    inlines = [StatementLineInline]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj else []


class LineDecisionForm(ServiceForm):
    decision = forms.ChoiceField(
        choices=[
            ("assign", _("It pays this document")),
            ("credit", _("Put it on this customer's account credit")),
            ("ignore", _("Not a customer payment (give the reason)")),
        ]
    )
    note = forms.CharField(required=False, max_length=300)

    class Meta:
        model = StatementLine
        fields = ["invoice", "customer"]

    def run(self, data):
        line = StatementLine.objects.get(pk=self.instance.pk)
        if data["decision"] == "assign":
            if not data.get("invoice"):
                raise ValidationError({"invoice": _("Choose the document it pays.")})
            return bank.assign_line(
                line, invoice=data["invoice"], actor=self.actor, note=data["note"]
            )
        if data["decision"] == "credit":
            if not data.get("customer"):
                raise ValidationError({"customer": _("Choose the customer.")})
            return bank.credit_line(
                line, customer=data["customer"], actor=self.actor, note=data["note"]
            )
        bank.ignore_lines([line], actor=self.actor, note=data["note"])
        return line


@admin.register(StatementLine)
class StatementLineAdmin(NoAdd, ServiceAdmin):
    service_form = LineDecisionForm
    list_display = ["booked_on", "amount", "currency", "debtor_name", "remittance", "status"]
    list_filter = ["status", "booked_on"]
    search_fields = ["remittance", "debtor_name", "entry_reference"]
    raw_id_fields = ["invoice", "customer"]
    readonly_fields = [
        "statement",
        "entry_reference",
        "booked_on",
        "amount",
        "currency",
        "debtor_name",
        "debtor_iban",
        "remittance",
        "status",
        "problem",
        "payment",
    ]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == StatementLine.Status.UNMATCHED)


# --- identity, credit, refunds, providers --------------------------------------------------


class IdentityCheckForm(ServiceForm):
    decision = forms.ChoiceField(
        required=False,
        choices=[("", "—"), ("verified", _("Verified")), ("failed", _("Failed"))],
    )
    note = forms.CharField(required=False, max_length=300)

    class Meta:
        model = IdentityCheck
        fields = ["invoice", "reason"]

    def run(self, data):
        if self.instance.pk is None:
            return identity.request_check(data["invoice"], reason=data["reason"], actor=self.actor)
        if not data.get("decision"):
            raise ValidationError({"decision": _("Choose verified or failed.")})
        return identity.decide_check(
            self.instance,
            verified=data["decision"] == "verified",
            actor=self.actor,
            note=data["note"],
        )


@admin.register(IdentityCheck)
class IdentityCheckAdmin(ServiceAdmin):
    service_form = IdentityCheckForm
    list_display = ["id", "invoice", "customer", "status", "requested_at"]
    list_filter = ["status"]
    raw_id_fields = ["invoice"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == IdentityCheck.Status.REQUESTED)


class RefundPayoutForm(ServiceForm):
    reference = forms.CharField(
        max_length=140, label=_("Reference of the transfer to the customer")
    )

    class Meta:
        model = Refund
        fields = []

    def run(self, data):
        return refunds.mark_paid_out(self.instance, reference=data["reference"], actor=self.actor)


@admin.register(Refund)
class RefundAdmin(NoAdd, ServiceAdmin):
    service_form = RefundPayoutForm
    list_display = ["id", "customer", "credit_note", "kind", "amount", "status", "method"]
    list_filter = ["status", "kind"]
    readonly_fields = ["customer", "invoice", "credit_note", "kind", "amount", "breakdown"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == Refund.Status.PAYOUT_PENDING)


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "amount", "currency", "kind", "invoice"]
    list_filter = ["kind", "currency"]
    search_fields = ["customer__email", "note"]


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "invoice", "method", "amount", "status", "provider_reference"]
    list_filter = ["method", "status"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "outcome"]
    list_filter = ["provider", "outcome"]


@admin.register(MethodFee)
class MethodFeeAdmin(NoDelete, admin.ModelAdmin):
    list_display = ["method", "percent", "threshold", "extra_percent"]


@admin.register(CardCharge)
class CardChargeAdmin(ReadOnlyAdmin):
    """Every automatic charge of a saved card, with the provider's answer (R6.10)."""

    list_display = [
        "invoice",
        "customer",
        "attempt",
        "scheduled_on",
        "status",
        "amount",
        "error_code",
        "finished_at",
    ]
    list_filter = ["status", "scheduled_on"]
    search_fields = ["invoice__number", "provider_reference", "customer__email"]


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyAdmin):
    list_display = [
        "customer",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "created_at",
        "removed_at",
    ]
    search_fields = ["customer__email", "last4"]


@admin.register(CardProfile)
class CardProfileAdmin(ReadOnlyAdmin):
    list_display = ["customer", "provider_customer", "auto_pay", "auto_pay_changed_at"]
    list_filter = ["auto_pay"]
