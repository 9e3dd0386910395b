"""Staff record payments here; a recorded payment is never edited or deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from kyklos.core.forms import add_service_errors
from kyklos.payments.models import Payment
from kyklos.payments.services import record_payment


class PaymentForm(forms.ModelForm):
    """Records through :func:`record_payment` while validating, so its errors show on the
    form; the admin view's transaction keeps it all-or-nothing."""

    actor = None

    class Meta:
        model = Payment
        fields = ["invoice", "amount", "method", "paid_on", "reference"]

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.recorded = record_payment(
                data["invoice"],
                amount=data["amount"],
                method=data["method"],
                paid_on=data["paid_on"],
                reference=data.get("reference", ""),
                actor=self.actor,
            )
        except ValidationError as error:
            add_service_errors(self, error)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    form = PaymentForm
    list_display = ["id", "invoice", "customer", "amount", "currency", "method", "paid_on"]
    list_filter = ["method", "paid_on"]
    list_select_related = ["invoice", "customer"]
    search_fields = ["reference", "invoice__number", "customer__email"]
    raw_id_fields = ["invoice"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = type("StaffPaymentForm", (PaymentForm,), {"actor": request.user})
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = form.recorded.pk
