"""Staff maintain the catalog in the Django admin: lifecycle policies, products with dated
prices, coupons. Every save is audited; new prices go through ``services.set_price``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kyklos.catalog import services
from kyklos.catalog.models import (
    Coupon,
    ExchangeRate,
    ForeignPrice,
    LifecyclePolicy,
    Price,
    Product,
)
from kyklos.core.admin_tools import ReadOnlyAdmin, adopt, form_action
from kyklos.core.audit import log_action


class AuditedAdmin(admin.ModelAdmin):
    """Logs ``<prefix>.created`` / ``.changed`` / ``.deleted`` with the changed fields."""

    audit_prefix = ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = f"{self.audit_prefix}.{'changed' if change else 'created'}"
        log_action(obj, action, actor=request.user, data={"fields": form.changed_data})

    def delete_model(self, request, obj):
        log_action(obj, f"{self.audit_prefix}.deleted", actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            log_action(obj, f"{self.audit_prefix}.deleted", actor=request.user)
        super().delete_queryset(request, queryset)


class OffsetsField(forms.CharField):
    """Days before expiry as ``7, 1, 0`` (a JSON list in the database)."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if isinstance(text, list):
            return text
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise ValidationError(_("Give whole days separated by commas, e.g. 7, 1, 0."))
        return sorted({int(part) for part in parts}, reverse=True)


class LifecyclePolicyForm(forms.ModelForm):
    reminder_offsets = OffsetsField(
        label=_("reminders"),
        required=False,
        help_text=_("Days before expiry a payment reminder goes out; 0 is the expiry day."),
    )
    warning_offsets = OffsetsField(
        label=_("'expires soon' notices"),
        required=False,
        help_text=_("Days before expiry the 'expires soon' notice goes out."),
    )

    class Meta:
        model = LifecyclePolicy
        fields = [
            "name",
            "code",
            "lead_days_monthly",
            "lead_days_quarterly",
            "lead_days_semiannual",
            "lead_days_annual",
            "lead_days_biennial",
            "reminder_offsets",
            "warning_offsets",
            "suspend_after_days",
            "terminate_after_days",
            "auto_reactivate",
            "reactivation_fee",
            "restore_fee",
            "cancel_days_before_month_end",
        ]


@admin.register(LifecyclePolicy)
class LifecyclePolicyAdmin(AuditedAdmin):
    audit_prefix = "policy"
    form = LifecyclePolicyForm
    list_display = [
        "name",
        "code",
        "lead_days_monthly",
        "lead_days_annual",
        "suspend_after_days",
        "terminate_after_days",
        "restore_fee",
        "reactivation_fee",
        "cancel_days_before_month_end",
    ]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "code"]}),
        (
            _("Renewal notice: days before expiry the proforma is issued (R3.2)"),
            {
                "fields": [
                    ("lead_days_monthly", "lead_days_quarterly", "lead_days_semiannual"),
                    ("lead_days_annual", "lead_days_biennial"),
                ]
            },
        ),
        (
            _("Reminders and warnings (R3.3)"),
            {"fields": ["reminder_offsets", "warning_offsets"]},
        ),
        (
            _("Suspension and termination: days after expiry (R3.5)"),
            {"fields": ["suspend_after_days", "terminate_after_days"]},
        ),
        (
            _("Reactivation and fees (R3.5, R3.6)"),
            {"fields": ["auto_reactivate", "reactivation_fee", "restore_fee"]},
        ),
        (
            _("Cancellation (R3.7)"),
            {
                "fields": ["cancel_days_before_month_end"],
                "description": _(
                    "Leave empty when a cancellation takes effect as requested. Otherwise "
                    "it must arrive this many days before the end of the month, or the next "
                    "month renews and is owed."
                ),
            },
        ),
    ]


class PriceInline(admin.TabularInline):
    """Prices are dated (R2.3): past rows stay as they were; a change is a new row."""

    model = Price
    fields = ["cycle", "amount", "setup_fee", "valid_from", "currency"]
    readonly_fields = ["currency"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class WithdrawalForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("No longer sold from"))
    notice_days = forms.IntegerField(
        label=_("Days their services still renew"), initial=90, min_value=0
    )
    migration_target = forms.ModelChoiceField(
        label=_("Product offered instead"), queryset=Product.objects.filter(is_active=True)
    )


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    audit_prefix = "product"
    list_display = ["code", "name", "type", "policy", "is_active", "refundable"]
    list_filter = ["type", "is_active", "refundable", "policy"]
    list_select_related = ["policy"]
    search_fields = ["code", "name"]
    prepopulated_fields = {"code": ["name"]}
    filter_horizontal = ["addon_for"]
    inlines = [PriceInline]
    readonly_fields = ["withdrawn_on", "withdrawal_notice_days", "migration_target"]
    actions = ["withdraw"]
    fieldsets = [
        (None, {"fields": ["code", "name", "type", "description", "is_active"]}),
        (_("Terms"), {"fields": ["policy", "refundable"]}),
        (_("Add-on"), {"fields": ["addon_for"], "classes": ["collapse"]}),
        (
            _("Withdrawal (R5.8)"),
            {
                "fields": ["withdrawn_on", "withdrawal_notice_days", "migration_target"],
                "classes": ["collapse"],
            },
        ),
    ]

    @admin.action(description=_("Withdraw from sale with notice (R5.8)"))
    def withdraw(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=WithdrawalForm,
            action="withdraw",
            title=_("Withdraw from sale"),
            submit_label=pgettext_lazy("product", "Withdraw"),
            intro=_(
                "Customers who hold these products are told, with the product offered instead; "
                "their services renew until the notice ends."
            ),
            apply=lambda product, data: services.withdraw_product(
                product,
                on=data["withdrawn_on"],
                notice_days=data["notice_days"],
                migration_target=data["migration_target"],
                actor=request.user,
            ),
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Price:
            return super().save_formset(request, form, formset, change)
        for price in formset.save(commit=False):
            services.set_price(
                form.instance,
                cycle=price.cycle,
                amount=price.amount,
                valid_from=price.valid_from,
                setup_fee=price.setup_fee,
                actor=request.user,
            )
        return None


@admin.register(Coupon)
class CouponAdmin(AuditedAdmin):
    audit_prefix = "coupon"
    list_display = ["code", "discount", "valid_from", "valid_until", "times_used", "max_uses"]
    search_fields = ["code"]
    list_filter = ["valid_from", "valid_until"]
    filter_horizontal = ["products"]
    readonly_fields = ["times_used"]
    fieldsets = [
        (None, {"fields": ["code", ("percent_off", "amount_off"), "products"]}),
        (_("Validity"), {"fields": [("valid_from", "valid_until"), ("max_uses", "times_used")]}),
    ]

    @admin.display(description=_("discount"))
    def discount(self, coupon):
        if coupon.percent_off is not None:
            return f"{coupon.percent_off}%"
        return f"{coupon.amount_off}"


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "day", "rate"]

    def clean(self):
        data = super().clean()
        if all(data.get(name) is not None for name in ("currency", "day", "rate")):
            services.check_rate(data["currency"], data["day"], data["rate"])
        return data


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Rates are recorded, never changed (R5.9 measures moves from them)."""

    form = ExchangeRateForm
    list_display = ["currency", "day", "rate"]
    list_filter = ["currency"]
    date_hierarchy = "day"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        adopt(obj, services.record_rate(obj.currency, obj.day, obj.rate, actor=request.user))


@admin.register(ForeignPrice)
class ForeignPriceAdmin(ReadOnlyAdmin):
    """Dedicated servers priced in another currency; set through
    ``catalog.services.set_foreign_price``, re-priced by the daily run (R5.9)."""

    list_display = ["product", "cycle", "amount", "currency", "rate_at_pricing", "priced_on"]
    list_select_related = ["product"]
