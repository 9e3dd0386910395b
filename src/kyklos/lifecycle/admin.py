"""Staff work on services here: order (add), renew now, cancel, restore, mark fraud.

State fields are read-only: every change goes through the lifecycle services.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kyklos.core import clock
from kyklos.core.admin_tools import apply_each
from kyklos.core.forms import add_service_errors
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.lifecycle.transitions import transition


class RenewalInline(admin.TabularInline):
    model = Renewal
    extra = 0
    can_delete = False
    fields = ["kind", "period_start", "period_end", "amount", "invoice", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderForm(forms.ModelForm):
    """Orders through :func:`services.order_service` while validating, so its errors show
    on the form; the admin view's transaction keeps it all-or-nothing."""

    start_date = forms.DateField(required=False, help_text=_("Default: today"))
    actor = None

    class Meta:
        model = Service
        fields = ["customer", "product", "cycle", "label", "coupon", "parent"]

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.ordered = services.order_service(
                customer=data["customer"],
                product=data["product"],
                cycle=data["cycle"],
                start_date=data.get("start_date"),
                label=data.get("label", ""),
                coupon=data.get("coupon"),
                parent=data.get("parent"),
                actor=self.actor,
            )
        except ValidationError as error:
            add_service_errors(self, error)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "customer",
        "product",
        "label",
        "state",
        "cycle",
        "expires_on",
        "auto_renew",
    ]
    list_filter = ["state", "cycle", "product__type", "auto_renew"]
    list_select_related = ["customer", "product"]
    search_fields = ["label", "customer__name", "customer__company_name", "customer__email"]
    raw_id_fields = ["customer", "parent"]
    date_hierarchy = "expires_on"
    inlines = [RenewalInline]
    actions = [
        "renew_now",
        "cancel_at_end_of_period",
        "cancel_immediately",
        "restore",
        "mark_fraud",
    ]
    readonly_fields = [
        "customer",
        "product",
        "parent",
        "cycle",
        "state",
        "state_changed_on",
        "ordered_on",
        "started_on",
        "expires_on",
        "coupon",
        "cancel_requested_on",
        "cancel_effective_on",
        "cancel_reason",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type("StaffOrderForm", (OrderForm,), {"actor": request.user})
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*OrderForm.Meta.fields, "start_date"]
        return [*self.readonly_fields, "label", "auto_renew", "agreed_price"]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.pk = form.ordered.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Issue the renewal proforma now"))
    def renew_now(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda s: services.renew_now(s, actor=request.user),
            _("Proformas issued for %(n)d services."),
        )

    @admin.action(description=_("Cancel at the end of the period"))
    def cancel_at_end_of_period(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda s: services.request_cancellation(
                s, when="end_of_period", reason="staff", actor=request.user
            ),
            _("%(n)d services will end at the end of their period."),
        )

    @admin.action(description=_("Cancel immediately"))
    def cancel_immediately(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda s: services.request_cancellation(
                s, when="immediate", reason="staff", actor=request.user
            ),
            _("%(n)d services cancelled."),
        )

    @admin.action(description=_("Restore (issues a proforma with the restore fee)"))
    def restore(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda s: services.restore_service(s, actor=request.user),
            _("Restore proformas issued for %(n)d services."),
        )

    @admin.action(description=_("Mark as fraud"))
    def mark_fraud(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda s: transition(
                s, State.FRAUD, day=clock.today(), reason="staff", actor=request.user
            ),
            _("%(n)d services marked as fraud."),
        )
