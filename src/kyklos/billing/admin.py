"""Billing documents are read-only for everyone: never edited or deleted (R6.1).
Staff reports (aging, VAT) are views of the invoice admin, with CSV export."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyklos.billing import reports
from kyklos.billing.models import Invoice, InvoiceLine, NumberSeries, Transmission, VatRate
from kyklos.core import clock
from kyklos.core.admin_tools import NoDelete, ReadOnly, ReadOnlyAdmin


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


class TransmissionInline(ReadOnly, admin.TabularInline):
    """The document's reports to national e-invoicing systems; each links to its page
    (attempts, raw exchange, "Send again"), which kyklos.einvoicing provides."""

    model = Transmission
    fields = ["channel_link", "environment", "status", "mark", "attempts", "error"]
    readonly_fields = fields
    extra = 0

    @admin.display(description=gettext_lazy("channel"))
    def channel_link(self, obj):
        url = reverse("admin:billing_transmission_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.authority_label)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
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
    # The lines are shown as a table (lines_table), not as an inline formset: an issued
    # document offers no "add another line" (R6.1).
    inlines = [TransmissionInline]
    change_list_template = "admin/billing/invoice_change_list.html"
    readonly_fields = ["seller_text", "lines_table"]

    #: The seller's particulars as printed, in this order (the snapshot is a JSON object).
    SELLER_LINES = (
        ("name", None),
        ("address", None),
        ("vat_id", gettext_lazy("VAT id")),
        ("tax_office", gettext_lazy("Tax office")),
        ("registry", gettext_lazy("Registry")),
        ("country", gettext_lazy("Country")),
        ("email", gettext_lazy("E-mail")),
        ("phone", gettext_lazy("Phone")),
    )

    def get_fields(self, request, obj=None):
        """Every field, read-only; the seller's snapshot as formatted text, not JSON; the
        lines after the totals."""
        extra = {"seller_text", "lines_table"}
        fields = [f for f in super().get_fields(request, obj) if f not in extra]
        fields = ["seller_text" if f == "seller" else f for f in fields]
        at = fields.index("total") + 1 if "total" in fields else len(fields)
        return [*fields[:at], "lines_table", *fields[at:]]

    @admin.display(description=gettext_lazy("lines"))
    def lines_table(self, obj):
        heads = [str(InvoiceLine._meta.get_field(f).verbose_name) for f in LineInline.fields]
        rows = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (
                    format_html_join(
                        "", "<td>{}</td>", ((getattr(ln, f),) for f in LineInline.fields)
                    ),
                )
                for ln in obj.lines.all()
            ),
        )
        head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in heads))
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, rows)

    @admin.display(description=gettext_lazy("seller"))
    def seller_text(self, obj):
        seller = obj.seller or {}
        lines = [
            (f"{label}: {seller[key]}" if label else str(seller[key]),)
            for key, label in self.SELLER_LINES
            if seller.get(key)
        ]
        return format_html_join(SafeString("<br>"), "{}", lines) or "—"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("billing.view_invoice")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("reports/aging/", wrap(self.aging_view), name="billing_aging"),
            path("reports/vat/", wrap(self.vat_view), name="billing_vat_report"),
            *super().get_urls(),
        ]

    def _report(self, request, form_class, template, title, build):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = form_class(request.GET or form_class.initial_data())
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "opts": self.model._meta,
        }
        if form.is_valid():
            report, csv_rows, extra, filename = build(form.cleaned_data)
            if request.GET.get("format") == "csv":
                response = HttpResponse(
                    reports.to_csv(csv_rows(report)), content_type="text/csv; charset=utf-8"
                )
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
                return response
            query = {k: v for k, v in request.GET.items() if k != "format"}
            query = query or {k: str(v) for k, v in form.cleaned_data.items()}
            context |= {"report": report, "csv_query": urlencode({**query, "format": "csv"})}
            context |= extra
        return TemplateResponse(request, template, context)

    def aging_view(self, request):
        def build(data):
            report = reports.aging(
                data["as_of"], include_proformas=data.get("include_proformas", False)
            )
            extra = {"buckets": reports.BUCKETS, "totals": sorted(report.totals.items())}
            return report, reports.aging_csv_rows, extra, f"aging-{data['as_of']}.csv"

        return self._report(
            request, AgingForm, "admin/billing/aging.html", _("Accounts receivable aging"), build
        )

    def vat_view(self, request):
        titles = {
            "domestic": _("Domestic sales per rate"),
            "eu_b2c": _("EU consumers per member state (OSS)"),
            "reverse_charge": _("Reverse-charge supplies (recapitulative statement)"),
            "outside_scope": _("Outside the scope of EU VAT"),
        }

        def build(data):
            report = reports.vat_report(data["start"], data["end"])
            sections = [
                {"case": case, "title": title, "rows": report.section(case)}
                for case, title in titles.items()
            ]
            name = f"vat-{data['start']}-{data['end']}.csv"
            unreported = reports.unreported(data["start"], data["end"])
            extra = {"sections": sections, "unreported": unreported}
            return report, reports.vat_csv_rows, extra, name

        return self._report(
            request, VatReportForm, "admin/billing/vat_report.html", _("VAT report"), build
        )


class AgingForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("On"), widget=forms.DateInput(attrs={"type": "date"})
    )
    include_proformas = forms.BooleanField(
        label=gettext_lazy("Include unpaid proformas"), required=False
    )

    @staticmethod
    def initial_data() -> dict:
        return {"as_of": clock.today().isoformat()}


class VatReportForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def initial_data() -> dict:
        """The previous calendar month."""
        last = clock.today().replace(day=1) - timedelta(days=1)
        return {"start": last.replace(day=1).isoformat(), "end": last.isoformat()}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        if start and end and (end - start).days > 366:
            raise forms.ValidationError(_("Choose a period of at most a year."))
        return data


@admin.register(NumberSeries)
class NumberSeriesAdmin(NoDelete, admin.ModelAdmin):
    list_display = ["kind", "year", "prefix", "next_number"]
    readonly_fields = ["next_number"]

    def get_readonly_fields(self, request, obj=None):
        # The prefix is fixed once a number of the series has been used.
        if obj is not None and obj.next_number > 1:
            return ["kind", "year", "prefix", "next_number"]
        return self.readonly_fields


@admin.register(VatRate)
class VatRateAdmin(NoDelete, admin.ModelAdmin):
    """A rate change is a new row from its date (R6.3); issued documents keep their rate."""

    list_display = ["country", "rate", "valid_from", "source"]
    list_filter = ["country"]
    ordering = ["country", "-valid_from"]
