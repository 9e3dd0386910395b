"""Staff work on services here: order (add), renew now, cancel, restore, mark fraud.

State fields are read-only: every change goes through the lifecycle services.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kyklos.core import clock
from kyklos.core.admin_tools import (
    NoDelete,
    ReadOnlyInline,
    ServiceForm,
    service_action,
    with_actor,
)
from kyklos.lifecycle import services
from kyklos.lifecycle.models import PlanChange, Renewal, Service, State
from kyklos.lifecycle.transitions import transition


class RenewalInline(ReadOnlyInline):
    model = Renewal
    fields = ["kind", "period_start", "period_end", "amount", "invoice", "status"]


class PlanChangeInline(ReadOnlyInline):
    """The service's plan history with the prorated figures (decision 0027)."""

    model = PlanChange
    fk_name = "service"
    fields = [
        "requested_on",
        "from_product",
        "to_product",
        "days_left",
        "days_in_period",
        "amount",
        "invoice",
        "status",
        "done_on",
    ]


class OrderForm(ServiceForm):
    """Orders through :func:`services.order_service` while validating."""

    start_date = forms.DateField(required=False, help_text=_("Default: today"))

    class Meta:
        model = Service
        fields = ["customer", "product", "cycle", "label", "coupon", "parent"]

    def run(self, data):
        return services.order_service(
            customer=data["customer"],
            product=data["product"],
            cycle=data["cycle"],
            start_date=data.get("start_date"),
            label=data.get("label", ""),
            coupon=data.get("coupon"),
            parent=data.get("parent"),
            actor=self.actor,
        )


def mark_as_fraud(service, *, actor):
    transition(service, State.FRAUD, day=clock.today(), reason="staff", actor=actor)


@admin.register(Service)
class ServiceAdmin(NoDelete, admin.ModelAdmin):
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
    inlines = [RenewalInline, PlanChangeInline]
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
            kwargs["form"] = with_actor(OrderForm, request)
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
        obj.pk = form.result.pk

    renew_now = service_action(
        _("Issue the renewal proforma now"),
        services.renew_now,
        _("Proformas issued for %(n)d services."),
    )
    cancel_at_end_of_period = service_action(
        _("Cancel at the end of the period"),
        services.request_cancellation,
        _("%(n)d services will end at the end of their period."),
        when="end_of_period",
        reason="staff",
    )
    cancel_immediately = service_action(
        _("Cancel immediately"),
        services.request_cancellation,
        _("%(n)d services cancelled."),
        when="immediate",
        reason="staff",
    )
    restore = service_action(
        _("Restore (issues a proforma with the restore fee)"),
        services.restore_service,
        _("Restore proformas issued for %(n)d services."),
    )
    mark_fraud = service_action(
        _("Mark as fraud"), mark_as_fraud, _("%(n)d services marked as fraud.")
    )
