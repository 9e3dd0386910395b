"""Staff work on proofs (R7.9) and support hours (R7.10, R7.6); imported by
:mod:`kyklos.projects.admin`. Every change goes through :mod:`kyklos.projects.services`.

- Projects › Deliverables › Add: send a proof (link and/or file, with a note); actions
  "Record an approval received by e-mail" (the reply's sender, Message-ID and date) and
  "Withdraw".
- Projects › Deliverable issues › Add: after approval, a defect (fixed free) or a change
  (an amount: it becomes a variation the customer confirms); action "Mark fixed".
- Projects › Support packages › Add: a monthly package, or a training's 3 hours; the
  list shows this month's balance. Statements (the hours beyond, billed) are read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceForm,
    service_action,
)
from kyklos.projects import selectors, services
from kyklos.projects.admin import AddedThroughService, email_consent_action
from kyklos.projects.models import (
    Deliverable,
    DeliverableIssue,
    PackageStatement,
    SupportPackage,
)

# --- proofs ------------------------------------------------------------------------------


class DeliverableForm(ServiceForm):
    link = forms.URLField(
        label=_("link to the proof or demo"), max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Deliverable
        fields = ["project", "revision_of", "title", "note", "link", "file"]

    def run(self, data):
        return services.send_deliverable(
            data["project"],
            title=data["title"],
            note=data.get("note", ""),
            link=data.get("link", ""),
            file=data.get("file"),
            revision_of=data.get("revision_of"),
            actor=self.actor,
        )


class IssueInline(ReadOnlyInline):
    model = DeliverableIssue
    fields = ["kind", "description", "status", "variation", "logged_at", "fixed_at"]


@admin.register(Deliverable)
class DeliverableAdmin(AddedThroughService):
    add_form = DeliverableForm
    list_display = ["__str__", "status", "sent_at", "channel", "answered_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["project"]
    search_fields = ["title", "project__number", "project__title"]
    raw_id_fields = ["project", "revision_of"]
    inlines = [IssueInline]
    actions = ["record_email_approval", "withdraw"]
    readonly_fields = [
        "project",
        "position",
        "revision_of",
        "title",
        "note",
        "link",
        "file",
        "file_sha256",
        "status",
        "sent_at",
        "sent_by",
        "answered_at",
        "channel",
        "signer_name",
        "signer_email",
        "source",
        "ip_address",
        "user",
        "recorded_by",
        "comment",
        "digest",
    ]

    record_email_approval = email_consent_action(
        _("Record an approval received by e-mail"),
        services.approve_deliverable,
        name="record_email_approval",
        title=_("Record an e-mail approval"),
        submit_label=_("Record the approval"),
    )

    withdraw = service_action(
        _("Withdraw"), services.withdraw_deliverable, _("%(n)d proofs withdrawn.")
    )


class IssueForm(ServiceForm):
    amount = forms.DecimalField(
        label=_("Net amount of the change"),
        required=False,
        help_text=_("Changes only: the customer confirms it as a variation. Defects are free."),
    )

    class Meta:
        model = DeliverableIssue
        fields = ["deliverable", "kind", "description", "amount"]

    def run(self, data):
        if data["kind"] == DeliverableIssue.Kind.CHANGE:
            return services.request_change(
                data["deliverable"],
                description=data["description"],
                amount=data.get("amount"),
                actor=self.actor,
            )
        return services.log_defect(
            data["deliverable"], description=data["description"], actor=self.actor
        )


@admin.register(DeliverableIssue)
class DeliverableIssueAdmin(AddedThroughService):
    add_form = IssueForm
    list_display = ["__str__", "description", "status", "variation", "logged_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["deliverable__project", "variation"]
    raw_id_fields = ["deliverable"]
    actions = ["fix"]
    readonly_fields = [
        "deliverable",
        "kind",
        "description",
        "status",
        "variation",
        "logged_at",
        "logged_by",
        "fixed_at",
    ]

    fix = service_action(_("Mark fixed"), services.fix_defect, _("%(n)d defects fixed."))


# --- support hours -----------------------------------------------------------------------


class PackageForm(ServiceForm):
    hours = forms.DecimalField(
        label=_("Hours"), required=False, help_text=_("A month's hours (monthly packages).")
    )
    valid_until = forms.DateField(
        label=_("Training hours valid until"),
        required=False,
        help_text=_("Empty: no expiry (R7.6 sets none)."),
    )

    class Meta:
        model = SupportPackage
        fields = [
            "customer",
            "kind",
            "title",
            "hours",
            "price",
            "overage_rate",
            "starts_on",
            "ends_on",
            "project",
            "valid_until",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("customer", "title"):
            self.fields[name].required = False
        self.fields["starts_on"].help_text = _("Training: the day it ended.")

    def run(self, data):
        if data["kind"] == SupportPackage.Kind.TRAINING:
            if data.get("project") is None:
                raise forms.ValidationError({"project": _("Choose the training project.")})
            return services.grant_training_support(
                data["project"],
                ended_on=data["starts_on"],
                valid_until=data.get("valid_until"),
                actor=self.actor,
            )
        if data.get("customer") is None:
            raise forms.ValidationError({"customer": _("Choose the customer.")})
        return services.create_package(
            data["customer"],
            hours=data.get("hours"),
            starts_on=data["starts_on"],
            title=data.get("title") or "",
            price=data.get("price"),
            overage_rate=data.get("overage_rate"),
            ends_on=data.get("ends_on"),
            actor=self.actor,
        )


class StatementInline(ReadOnlyInline):
    model = PackageStatement
    fields = ["month", "minutes", "amount", "invoice", "created_at"]


@admin.register(SupportPackage)
class SupportPackageAdmin(AddedThroughService):
    add_form = PackageForm
    list_display = ["title", "customer", "kind", "starts_on", "ends_on", "balance"]
    list_filter = ["kind"]
    list_select_related = ["customer"]
    search_fields = ["title", "customer__name", "customer__company_name"]
    raw_id_fields = ["customer", "project"]
    inlines = [StatementInline]
    readonly_fields = [
        "customer",
        "kind",
        "title",
        "minutes",
        "price",
        "overage_rate",
        "currency",
        "starts_on",
        "ends_on",
        "project",
        "balance",
        "created_at",
        "created_by",
    ]

    @admin.display(description=_("Used / included (this month), beyond"))
    def balance(self, obj):
        row = selectors.package_balance(obj)
        return f"{row.used_hm} / {row.allowance_hm}, {row.beyond_hm}"


@admin.register(PackageStatement)
class PackageStatementAdmin(ReadOnlyAdmin):
    list_display = ["package", "month", "minutes", "amount", "invoice"]
    list_select_related = ["package", "invoice"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PackageStatement._meta.fields]
