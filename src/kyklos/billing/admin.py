"""Billing documents are read-only for everyone: never edited or deleted (R6.1)."""

from django.contrib import admin

from kyklos.billing.models import Invoice, InvoiceLine, NumberSeries, Transmission, VatRate


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineInline(ReadOnly, admin.TabularInline):
    model = InvoiceLine
    fields = [
        "position",
        "description",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "discount",
        "vat_rate",
        "net",
        "vat",
        "total",
    ]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "number",
        "kind",
        "customer",
        "issued_on",
        "due_on",
        "total",
        "currency",
        "status",
    ]
    list_filter = ["kind", "status", "issued_on"]
    list_select_related = ["customer"]
    search_fields = ["number", "buyer_name", "buyer_vat_id", "customer__email"]
    date_hierarchy = "issued_on"
    inlines = [LineInline]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("billing.view_invoice")


@admin.register(NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["kind", "year", "prefix", "next_number"]
    readonly_fields = ["next_number"]

    def get_readonly_fields(self, request, obj=None):
        # The prefix is fixed once a number of the series has been used.
        if obj is not None and obj.next_number > 1:
            return ["kind", "year", "prefix", "next_number"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    """A rate change is a new row from its date (R6.3); issued documents keep their rate."""

    list_display = ["country", "rate", "valid_from", "source"]
    list_filter = ["country"]
    ordering = ["country", "-valid_from"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transmission)
class TransmissionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["invoice", "authority", "status", "mark", "submitted_at"]
    list_filter = ["authority", "status"]
    list_select_related = ["invoice"]
