"""Staff work on quotes, projects, variations and hours here; every change goes through
:mod:`kyklos.projects.services` (forms call the service while validating, so its errors
show on the form and the admin view's transaction keeps it all-or-nothing).

Drafting a quote quickly: pick the customer, type a title and one line per item as
``description | quantity | unit price`` (or ``description | unit price``), save, then
"Send to the customer".
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kyklos.core import clock
from kyklos.core.admin_tools import (
    NoAdd,
    NoDelete,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceForm,
    adopt,
    apply_each,
    form_action,
    reason_action,
    service_action,
    with_actor,
)
from kyklos.projects import services
from kyklos.projects.models import (
    AgreedRate,
    Channel,
    HourlyRate,
    Project,
    ProjectInvoice,
    Quote,
    QuoteLine,
    RateChange,
    RatePolicy,
    Signature,
    SlaVersion,
    ThirdPartyCost,
    TimeEntry,
    Variation,
    WorkKind,
)


class AddedThroughService(NoDelete, admin.ModelAdmin):
    """Rows written by a service from ``add_form`` (its ``add_fields``, by default the form's
    own fields), then only read: the service wrote the row and whatever hangs on it."""

    add_form: type[ServiceForm]
    add_fields: list[str] | None = None

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = with_actor(self.add_form, request)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields or self.add_form.Meta.fields
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            adopt(obj, form.result)

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote everything


def email_consent_action(description, service, *, name, title, submit_label, intro=""):
    """An admin action ``name`` recording the customer's written "yes" received by e-mail
    (:class:`EmailAcceptanceForm`): ``service(obj, consent=…, actor=…)`` for each row."""

    def action(modeladmin, request, queryset):
        return form_action(
            modeladmin,
            request,
            queryset,
            form_class=EmailAcceptanceForm,
            action=name,
            title=title,
            intro=intro,
            submit_label=submit_label,
            apply=lambda obj, data: service(
                obj, consent=services.Consent(channel=Channel.EMAIL, **data), actor=request.user
            ),
        )

    return admin.action(description=description)(action)


# --- quotes ------------------------------------------------------------------------------


def _price_or_kind(text: str) -> dict:
    """A unit price, or hours of a kind of work priced at its rate: ``design`` or
    ``design rush`` (R7.4, R7.7)."""
    words = text.split()
    if not words or not words[0][:1].isalpha():
        return {"unit_price": text}
    if words[1:] not in ([], ["rush"]):
        return {"kind": text, "unit_price": None}  # refused as an unknown kind
    return {"kind": words[0], "rush": words[1:] == ["rush"], "unit_price": None}


def parse_lines(text: str) -> list[dict]:
    """``description | quantity | unit price`` or ``description | unit price`` per line;
    the unit price may be a kind of work (``description | 12 | design``: 12 hours at the
    design rate in force, ``design rush`` at the rush rate)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) == 2:
            lines.append({"description": parts[0], **_price_or_kind(parts[1])})
        elif len(parts) == 3:
            lines.append(
                {"description": parts[0], "quantity": parts[1], **_price_or_kind(parts[2])}
            )
        else:
            raise ValidationError(
                _("Line %(n)d: write “description | quantity | unit price”.") % {"n": number}
            )
    return lines


def lines_text(quote: Quote) -> str:
    return "\n".join(
        f"{ln.description} | {ln.quantity.normalize():f} | {ln.unit_price}"
        for ln in quote.lines.order_by("position")
    )


class QuoteForm(ServiceForm):
    lines_text = forms.CharField(
        label=_("Lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90}),
        help_text=_(
            "One per line: description | quantity | unit price (net, excl. VAT). For hours "
            "at a rate: description | hours | kind of work (e.g. design, or design rush)."
        ),
    )

    class Meta:
        model = Quote
        fields = [
            "customer",
            "title",
            "is_estimate",
            "source",
            "validity_days",
            "plan",
            "deposit_percent",
            "final_due_days",
            "hourly_rate",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["lines_text"].initial = lines_text(self.instance)

    def clean_lines_text(self):
        return parse_lines(self.cleaned_data["lines_text"])

    def run(self, data):
        if self.instance.pk is None:
            return services.draft_quote(
                data["customer"],
                title=data["title"],
                lines=data["lines_text"],
                source=data.get("source", ""),
                validity_days=data["validity_days"],
                plan=data["plan"],
                deposit_percent=data["deposit_percent"],
                final_due_days=data["final_due_days"],
                hourly_rate=data.get("hourly_rate"),
                notes=data.get("notes", ""),
                is_estimate=data.get("is_estimate", False),
                actor=self.actor,
            )
        if not self.has_changed():
            return self.instance  # saving unchanged makes no new version
        return services.revise_quote(
            self.instance,
            title=data["title"],
            lines=data["lines_text"],
            notes=data.get("notes", ""),
            validity_days=data["validity_days"],
            is_estimate=data.get("is_estimate", self.instance.is_estimate),
            actor=self.actor,
        )


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ["position", "description", "kind", "rush", "quantity", "unit_price", "amount"]


class EmailAcceptanceForm(forms.Form):
    signer_name = forms.CharField(label=_("Name of the person who replied"), max_length=200)
    signer_email = forms.EmailField(label=_("Address the reply came from"))
    source = forms.CharField(
        label=_("Message-ID of the reply"),
        max_length=300,
        help_text=_("Or its date and subject, so the e-mail can be found again."),
    )
    signed_at = forms.DateTimeField(label=_("Sent at"), help_text=_("When the reply was sent."))


@admin.register(Quote)
class QuoteAdmin(NoDelete, admin.ModelAdmin):
    list_display = [
        "number",
        "version",
        "customer",
        "title",
        "is_estimate",
        "subtotal",
        "status",
        "valid_until",
        "sla_version",
    ]
    list_filter = ["status", "plan", "is_estimate"]
    list_select_related = ["customer"]
    search_fields = ["number", "title", "source", "customer__name", "customer__company_name"]
    raw_id_fields = ["customer"]
    date_hierarchy = "created_at"
    inlines = [QuoteLineInline]
    actions = ["send", "record_email_acceptance", "withdraw"]
    readonly_fields = [
        "number",
        "customer",
        "status",
        "version",
        "plan",
        "deposit_percent",
        "final_due_days",
        "hourly_rate",
        "subtotal",
        "sent_on",
        "valid_until",
        "acceptance",
        "sla_version",
        "decided_at",
        "decision_note",
        "source",
    ]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = with_actor(QuoteForm, request)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*QuoteForm.Meta.fields, "lines_text"]
        if obj.status in (Quote.Status.DRAFT, Quote.Status.SENT):
            return [
                "title",
                "is_estimate",
                "lines_text",
                "validity_days",
                "notes",
                *self.readonly_fields,
            ]
        return ["title", "is_estimate", "validity_days", "notes", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status in (Quote.Status.DRAFT, Quote.Status.SENT):
            return self.readonly_fields
        return [*self.readonly_fields, "title", "is_estimate", "notes", "validity_days"]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        editable = obj is None or obj.status in (Quote.Status.DRAFT, Quote.Status.SENT)
        return editable and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        adopt(obj, form.result)

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote the lines

    send = service_action(_("Send to the customer"), services.send_quote, _("%(n)d quotes sent."))
    withdraw = service_action(
        _("Withdraw"), services.withdraw_quote, _("%(n)d quotes withdrawn."), reason="staff"
    )

    record_email_acceptance = email_consent_action(
        _("Record an acceptance received by e-mail"),
        lambda quote, **given: services.accept_quote(quote, version=quote.version, **given),
        name="record_email_acceptance",
        title=_("Record an e-mail acceptance"),
        intro=_("The customer replied in writing that they accept the current version."),
        submit_label=_("Record the acceptance"),
    )


# --- projects ----------------------------------------------------------------------------


class ProjectInvoiceInline(ReadOnlyInline):
    model = ProjectInvoice
    fields = ["kind", "invoice", "amount", "created_at"]


class ThirdPartyCostInline(ReadOnlyInline):
    model = ThirdPartyCost
    fields = ["incurred_on", "supplier", "description", "amount", "receipt_reference", "invoice"]


class VariationInline(ReadOnlyInline):
    model = Variation
    fields = ["position", "kind", "description", "amount", "status", "confirmation"]


class DeliverForm(forms.Form):
    delivered_on = forms.DateField(
        label=_("Delivered on"), required=False, help_text=_("Default: today")
    )


class InterimForm(forms.Form):
    amount = forms.DecimalField(label=_("Net amount"), max_digits=14, decimal_places=2)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


@admin.register(Project)
class ProjectAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """A project comes from an accepted quote; it is never deleted."""

    list_display = [
        "number",
        "customer",
        "title",
        "status",
        "contract_amount",
        "plan",
        "delivered_on",
        "ownership_transferred_on",
    ]
    list_filter = ["status", "plan"]
    list_select_related = ["customer"]
    search_fields = ["number", "title", "customer__name", "customer__company_name"]
    inlines = [ProjectInvoiceInline, VariationInline, ThirdPartyCostInline]
    actions = ["deliver", "interim_invoice", "bill_hours", "bill_costs", "cancel"]
    fields = readonly_fields = [
        "number",
        "customer",
        "quote",
        "title",
        "status",
        "currency",
        "plan",
        "deposit_percent",
        "final_due_days",
        "hourly_rate",
        "contract_amount",
        "accepted_on",
        "started_on",
        "delivered_on",
        "completed_on",
        "ownership_transferred_on",
    ]

    @admin.action(description=_("Deliver and issue the final invoice"))
    def deliver(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=DeliverForm,
            action="deliver",
            title=_("Deliver"),
            submit_label=_("Deliver"),
            apply=lambda p, d: services.deliver_project(
                p, delivered_on=d["delivered_on"], actor=request.user
            ),
        )

    @admin.action(description=_("Issue an interim invoice"))
    def interim_invoice(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=InterimForm,
            action="interim_invoice",
            title=_("Interim invoice"),
            submit_label=_("Issue"),
            apply=lambda p, d: services.issue_interim_invoice(
                p, amount=d["amount"], description=d["description"], actor=request.user
            ),
        )

    @admin.action(description=_("Invoice the project's unbilled hours"))
    def bill_hours(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda p: services.bill_time(p.customer, project=p, actor=request.user),
            _("Hours billed on %(n)d projects."),
        )

    bill_costs = service_action(
        _("Invoice the third-party costs of delivered projects"),
        services.bill_third_party_costs,
        _("Costs billed on %(n)d projects."),
    )

    cancel = reason_action(
        _("Cancel"),
        services.cancel_project,
        name="cancel",
        title=_("Cancel projects"),
        submit_label=_("Cancel the projects"),
    )


class VariationForm(ServiceForm):
    class Meta:
        model = Variation
        fields = ["project", "kind", "description", "amount"]

    def run(self, data):
        return services.propose_variation(
            data["project"],
            kind=data["kind"],
            description=data["description"],
            amount=data["amount"],
            actor=self.actor,
        )


@admin.register(Variation)
class VariationAdmin(AddedThroughService):
    add_form = VariationForm
    list_display = ["__str__", "kind", "description", "amount", "status", "proposed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    actions = ["record_email_confirmation", "withdraw"]
    readonly_fields = [
        "project",
        "position",
        "kind",
        "description",
        "amount",
        "status",
        "proposed_at",
        "proposed_by",
        "confirmation",
        "decided_at",
    ]

    record_email_confirmation = email_consent_action(
        _("Record a confirmation received by e-mail"),
        services.confirm_variation,
        name="record_email_confirmation",
        title=_("Record an e-mail confirmation"),
        submit_label=_("Record the confirmation"),
    )

    withdraw = service_action(
        _("Withdraw"), services.withdraw_variation, _("%(n)d variations withdrawn.")
    )


# --- hours -------------------------------------------------------------------------------


class TimeEntryForm(ServiceForm):
    service_defaults = {"worked_on": _("Default: today")}
    rate = forms.DecimalField(
        label=_("Agreed rate per hour"),
        required=False,
        help_text=_("Empty: the project's, customer's or standard rate."),
    )

    class Meta:
        model = TimeEntry
        fields = [
            "customer",
            "project",
            "worked_on",
            "kind",
            "rush",
            "minutes",
            "description",
            "reference",
        ]

    def run(self, data):
        return services.log_time(
            data["customer"],
            minutes=data["minutes"],
            description=data["description"],
            rate=data.get("rate"),
            project=data.get("project"),
            reference=data.get("reference", ""),
            worked_on=data.get("worked_on"),
            kind=data.get("kind"),
            rush=data.get("rush", False),
            actor=self.actor,
        )


@admin.register(TimeEntry)
class TimeEntryAdmin(AddedThroughService):
    add_form = TimeEntryForm
    add_fields = [*TimeEntryForm.Meta.fields, "rate"]
    list_display = [
        "worked_on",
        "customer",
        "description",
        "reference",
        "kind",
        "rush",
        "minutes",
        "billable_minutes",
        "rate",
        "amount",
        "invoice",
    ]
    list_filter = ["rate_source", "kind", "rush", ("invoice", admin.EmptyFieldListFilter)]
    list_select_related = ["customer", "invoice"]
    search_fields = ["description", "reference", "customer__name", "customer__company_name"]
    raw_id_fields = ["customer", "project"]
    date_hierarchy = "worked_on"
    actions = ["bill_customers"]
    readonly_fields = [
        "customer",
        "project",
        "worked_on",
        "kind",
        "rush",
        "minutes",
        "billable_minutes",
        "rate",
        "rate_source",
        "currency",
        "amount",
        "description",
        "reference",
        "invoice",
        "created_at",
        "created_by",
    ]

    @admin.action(description=_("Invoice the unbilled hours of these customers"))
    def bill_customers(self, request, queryset):
        customers = {e.customer for e in queryset.select_related("customer")}
        apply_each(
            request,
            customers,
            lambda c: services.bill_time(c, through=clock.today(), actor=request.user),
            _("Hours billed for %(n)d customers."),
        )


@admin.register(WorkKind)
class WorkKindAdmin(NoDelete, admin.ModelAdmin):
    list_display = ["code", "name", "is_active", "position"]
    list_editable = ["is_active", "position"]


@admin.register(RatePolicy)
class RatePolicyAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """The notice of a rise, the days between rises and the rush multiplier (R7.4, R7.7)."""

    list_display = ["__str__", "notice_days", "days_between_rises", "rush_multiplier"]


@admin.register(HourlyRate)
class HourlyRateAdmin(ReadOnlyAdmin):
    """Standard rates are set through a rate change (notice and once a year, R7.4)."""

    list_display = ["valid_from", "kind", "rush", "amount", "currency", "change", "note"]
    list_filter = ["kind", "rush"]


def parse_rates(text: str) -> list[dict]:
    """``kind | amount`` per line; the kind is a code (``design``), ``all`` for every kind
    without its own rate, followed by ``rush`` for the rush rate."""
    rates = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        words = parts[0].lower().split()
        if len(parts) != 2 or not words or words[1:] not in ([], ["rush"]):
            raise ValidationError(
                _("Line %(n)d: write “kind | amount”, e.g. “design | 65.00”.") % {"n": number}
            )
        kind = None if words[0] == "all" else words[0]
        rates.append({"kind": kind, "rush": words[1:] == ["rush"], "amount": parts[1]})
    return rates


class RateChangeForm(ServiceForm):
    rates_text = forms.CharField(
        label=_("New rates"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text=_(
            "One per line: kind | amount per hour, e.g. “design | 65.00”, “all | 60.00”, "
            "“development rush | 110.00”."
        ),
    )

    class Meta:
        model = RateChange
        fields = ["effective_on", "note"]

    def clean_rates_text(self):
        return parse_rates(self.cleaned_data["rates_text"])

    def run(self, data):
        return services.change_rates(
            effective_on=data["effective_on"],
            rates=data["rates_text"],
            note=data.get("note", ""),
            actor=self.actor,
        )


class HourlyRateInline(ReadOnlyInline):
    model = HourlyRate
    fields = ["kind", "rush", "amount", "currency", "valid_from"]


@admin.register(RateChange)
class RateChangeAdmin(AddedThroughService):
    """New standard rates: a rise is announced ahead and comes once a year (R7.4)."""

    add_form = RateChangeForm
    add_fields = ["effective_on", "rates_text", "note"]
    list_display = ["effective_on", "announced_on", "is_rise", "notified_count", "note"]
    inlines = [HourlyRateInline]
    readonly_fields = [
        "effective_on",
        "announced_on",
        "is_rise",
        "notified_count",
        "note",
        "created_at",
        "created_by",
    ]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote the rates


class SlaVersionForm(ServiceForm):
    text_el = forms.CharField(label=_("Text (Greek)"), widget=forms.Textarea)
    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea)
    text_pl = forms.CharField(label=_("Text (Polish)"), widget=forms.Textarea)

    class Meta:
        model = SlaVersion
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = services.current_sla()
        for language in ("el", "en", "pl"):
            if latest is not None:
                self.fields[f"text_{language}"].initial = latest.texts.get(language, "")

    def run(self, data):
        texts = {lang: data[f"text_{lang}"] for lang in ("el", "en", "pl")}
        published = services.publish_sla(texts, actor=self.actor)
        if published is None:
            raise ValidationError(_("The text is the same as the version in force."))
        return published


@admin.register(SlaVersion)
class SlaVersionAdmin(AddedThroughService):
    """Publishing a changed SLA adds a version; quotes keep the one they were sent with."""

    add_form = SlaVersionForm
    add_fields = ["text_el", "text_en", "text_pl"]
    list_display = ["number", "published_at", "published_by"]
    readonly_fields = ["number", "published_at", "published_by", "texts", "digest"]


class ThirdPartyCostForm(ServiceForm):
    service_defaults = {
        "incurred_on": _("Default: today"),
        "currency": _("Default: the project's currency"),
    }

    class Meta:
        model = ThirdPartyCost
        fields = [
            "project",
            "supplier",
            "description",
            "amount",
            "currency",
            "receipt_reference",
            "incurred_on",
        ]

    def run(self, data):
        return services.record_third_party_cost(
            data["project"],
            supplier=data["supplier"],
            description=data["description"],
            amount=data["amount"],
            currency=data.get("currency") or None,
            receipt_reference=data["receipt_reference"],
            incurred_on=data.get("incurred_on"),
            actor=self.actor,
        )


@admin.register(ThirdPartyCost)
class ThirdPartyCostAdmin(AddedThroughService):
    """Recharged at cost on the project's next invoice, once (R7.8)."""

    add_form = ThirdPartyCostForm
    add_fields = ThirdPartyCostForm.Meta.fields
    list_display = ["incurred_on", "project", "supplier", "description", "amount", "invoice"]
    list_filter = [("invoice", admin.EmptyFieldListFilter)]
    list_select_related = ["project", "invoice"]
    search_fields = ["supplier", "description", "receipt_reference", "project__number"]
    raw_id_fields = ["project"]
    readonly_fields = [*ThirdPartyCostForm.Meta.fields, "invoice", "created_at", "created_by"]


@admin.register(AgreedRate)
class AgreedRateAdmin(admin.ModelAdmin):
    list_display = ["customer", "valid_from", "amount", "currency"]
    raw_id_fields = ["customer"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    """Signatures are evidence: read-only for everyone."""

    list_display = ["reference", "customer", "channel", "signer_name", "signed_at", "source"]
    list_filter = ["channel", "subject"]
    search_fields = ["reference", "signer_name", "signer_email"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Signature._meta.fields]


from kyklos.projects import admin_deliverables  # noqa: E402, F401  (R7.6, R7.9, R7.10)
