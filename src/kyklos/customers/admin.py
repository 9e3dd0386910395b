"""Staff work on customers in the Django admin. Every write goes through
:mod:`kyklos.customers.services`, so it is validated, kept in the history and audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import LogsPersonalDataViews, adopt, apply_each, ask_reason
from kyklos.core.audit import log_action
from kyklos.customers import services
from kyklos.customers.models import ChangeRequest, Customer, ParticularsChange, TermsAcceptance
from kyklos.customers.vat import country_codes, country_name


def country_choices() -> list[tuple[str, str]]:
    return sorted(((code, country_name(code)) for code in country_codes()), key=lambda c: c[1])


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HistoryInline(ReadOnlyInline):
    model = ParticularsChange
    verbose_name_plural = _("history of particulars")
    fields = readonly_fields = [
        "changed_at",
        "field",
        "old_value",
        "new_value",
        "changed_by",
        "change_request",
    ]


class TermsInline(ReadOnlyInline):
    model = TermsAcceptance
    fields = readonly_fields = ["version", "accepted_at", "channel"]


class ChangeRequestInline(ReadOnlyInline):
    model = ChangeRequest
    fields = readonly_fields = ["requested_at", "field", "new_value", "status", "decided_at"]
    show_change_link = True


class CustomerAddForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("country"), choices=country_choices, initial="GR")
    adult_confirmed = forms.BooleanField(
        label=_("Confirmed 18 or older"),
        required=False,
        help_text=_("Required for a person (R1.1)."),
    )
    terms_version = forms.CharField(
        label=_("Terms version accepted"),
        required=False,
        max_length=20,
        help_text=_("Leave empty if the customer has not accepted the terms yet."),
    )

    class Meta:
        model = Customer
        fields = ["kind", *services.PARTICULARS, "user"]

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["vat_id"] = services.check_new_customer(
                kind=cleaned.get("kind", ""),
                country=cleaned.get("country", ""),
                vat_id=cleaned.get("vat_id", ""),
                adult_confirmed=cleaned.get("adult_confirmed", False),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


PARTICULARS_FIELDSETS = [
    (_("Address"), {"fields": ["address", "city", "postal_code", "country"]}),
    (
        _("Contact"),
        {
            "fields": [
                "phone",
                "email",
                "secondary_email",
                "admin_email",
                "billing_email",
                "language",
            ]
        },
    ),
]


@admin.register(Customer)
class CustomerAdmin(LogsPersonalDataViews, admin.ModelAdmin):
    list_display = [
        "id",
        "display_name",
        "kind",
        "email",
        "country",
        "vat_id",
        "status",
        "created_at",
    ]
    list_display_links = ["id", "display_name"]
    list_filter = ["status", "kind", "country", "language"]
    search_fields = ["name", "company_name", "email", "vat_id", "phone", "=id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    inlines = [ChangeRequestInline, HistoryInline, TermsInline]
    actions = ["lock_selected"]

    add_fieldsets = [
        (None, {"fields": ["kind", "name", "company_name", "vat_id", "tax_office"]}),
        *PARTICULARS_FIELDSETS,
        (_("Account"), {"fields": ["user", "adult_confirmed", "terms_version"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["kind", "status", "name", "company_name", "vat_id", "tax_office"]}),
        *PARTICULARS_FIELDSETS,
        (_("Account"), {"fields": ["user", "adult_confirmed_at", "created_at"]}),
    ]
    #: Shown but not edited here: VAT id, company name and country change through an
    #: approved change request (R1.3); locking through the action (R1.4).
    change_readonly = [
        "kind",
        "status",
        "company_name",
        "vat_id",
        "country",
        "user",
        "adult_confirmed_at",
        "created_at",
    ]

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.change_readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CustomerAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == Customer.Status.LOCKED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # R1.4: accounts are locked, never deleted

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
            services.update_particulars(
                Customer.objects.get(pk=obj.pk), actor=request.user, **changes
            )
            return
        fields = {f: data[f] for f in ("kind", *services.PARTICULARS, "adult_confirmed", "user")}
        customer = services.create_customer(
            **fields,
            terms_version=data["terms_version"] or None,
            channel=TermsAcceptance.Channel.STAFF,
            actor=request.user,
        )
        adopt(obj, customer)

    @admin.action(
        description=_("Lock the selected accounts (relationship ended)"), permissions=["change"]
    )
    def lock_selected(self, request, queryset):
        return ask_reason(
            self,
            request,
            queryset,
            action="lock_selected",
            title=_("Lock accounts"),
            intro=_("Locked accounts cannot log in; nothing is deleted (R1.4)."),
            submit_label=_("Lock"),
            apply=lambda customer, reason: services.lock_customer(
                customer, actor=request.user, reason=reason
            ),
        )


class ChangeRequestAddForm(forms.ModelForm):
    """Staff file a change on a customer's behalf, with the document the customer sent."""

    class Meta:
        model = ChangeRequest
        fields = ["customer", "field", "new_value", "document"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("customer") and cleaned.get("field"):
            try:
                cleaned["new_value"] = services.validate_change(
                    cleaned["customer"],
                    field=cleaned["field"],
                    new_value=cleaned.get("new_value", ""),
                    document=cleaned.get("document"),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(ChangeRequest)
class ChangeRequestAdmin(LogsPersonalDataViews, admin.ModelAdmin):
    list_display = ["requested_at", "customer", "field", "new_value", "status", "decided_by"]
    list_filter = ["status", "field"]
    list_select_related = ["customer", "decided_by"]
    search_fields = ["customer__name", "customer__company_name", "customer__email", "new_value"]
    date_hierarchy = "requested_at"
    raw_id_fields = ["customer"]
    form = ChangeRequestAddForm
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = [
        "customer",
        "field",
        "new_value",
        "document_link",
        "status",
        "requested_at",
        "decided_at",
        "decided_by",
        "decision_note",
    ]

    def get_fields(self, request, obj=None):
        return ChangeRequestAddForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # Decisions are taken with the actions; a request itself is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        change_request = services.request_change(
            data["customer"],
            field=data["field"],
            new_value=data["new_value"],
            document=data["document"],
            actor=request.user,
        )
        adopt(obj, change_request)

    @admin.display(description=_("document"))
    def document_link(self, obj):
        url = reverse("admin:customers_changerequest_document", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.document_view)
        return [
            path("<int:pk>/document/", view, name="customers_changerequest_document"),
            *super().get_urls(),
        ]

    def document_view(self, request, pk):
        """Staff download a supporting document; documents are personal data, so they are
        never served from the public media URL and every download is audited."""
        change = get_object_or_404(ChangeRequest, pk=pk)
        if not self.has_view_permission(request, change):
            raise PermissionDenied
        if not change.document:
            raise Http404
        log_action(change, "customer.document_viewed", actor=request.user)
        return FileResponse(change.document.open("rb"), as_attachment=True)

    @admin.action(description=_("Approve the selected requests"), permissions=["change"])
    def approve_selected(self, request, queryset):
        apply_each(
            request,
            queryset.select_related("customer"),
            lambda change: services.approve_change(change, actor=request.user),
            _("%(n)d approved."),
        )

    @admin.action(description=_("Reject the selected requests"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return ask_reason(
            self,
            request,
            queryset.select_related("customer"),
            action="reject_selected",
            title=_("Reject change requests"),
            intro=_("The customer sees this reason; their particulars stay as they are."),
            submit_label=_("Reject"),
            apply=lambda change_request, reason: services.reject_change(
                change_request, actor=request.user, note=reason
            ),
        )
