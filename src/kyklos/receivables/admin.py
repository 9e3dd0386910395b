"""Staff follow collection cases here: hand one to collection early, write one off,
charge accrued interest on request, read the formal notice. Policies are edited here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kyklos.core import clock
from kyklos.core.admin_tools import (
    NoAdd,
    NoDelete,
    ReadOnlyAdmin,
    apply_each,
    reason_action,
    service_action,
)
from kyklos.receivables import documents, services
from kyklos.receivables.models import CollectionCase, CollectionPolicy, InterestCharge


@admin.register(CollectionPolicy)
class CollectionPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "grace_days",
        "reminder_days",
        "suspend_services",
        "collection_after_days",
        "interest_rate",
        "interest_free_days",
    ]


@admin.register(CollectionCase)
class CollectionCaseAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    list_display = [
        "invoice",
        "customer",
        "stage",
        "opened_on",
        "reminders_sent",
        "notice_sent_on",
        "collection_on",
        "outcome",
        "notice_pdf",
    ]
    list_filter = ["stage", "outcome"]
    list_select_related = ["invoice", "customer"]
    search_fields = ["invoice__number", "customer__name", "customer__company_name"]
    actions = ["send_to_collection", "write_off", "charge_interest"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CollectionCase._meta.fields]

    def get_urls(self):
        return [
            path(
                "<int:pk>/formal-notice.pdf",
                self.admin_site.admin_view(self.formal_notice),
                name="receivables_collectioncase_notice",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("Formal notice"))
    def notice_pdf(self, case):
        if not case.notice_sent_on:
            return "—"
        url = reverse("admin:receivables_collectioncase_notice", args=[case.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def formal_notice(self, request, pk: int):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        case = get_object_or_404(
            CollectionCase.objects.select_related("invoice", "customer"),
            pk=pk,
            notice_sent_on__isnull=False,
        )
        filename, content, mime = documents.formal_notice_attachment(case.pk)
        response = HttpResponse(content, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    send_to_collection = service_action(
        _("Send to collection now"),
        services.send_to_collection,
        _("%(n)d cases sent to collection."),
    )
    write_off = reason_action(
        _("Write off"),
        services.write_off,
        name="write_off",
        title=_("Write off"),
        submit_label=_("Write off"),
    )

    @admin.action(description=_("Invoice the late interest accrued to today"))
    def charge_interest(self, request, queryset):
        customers = {case.customer for case in queryset.select_related("customer")}
        apply_each(
            request,
            customers,
            lambda c: services.charge_interest(
                through=clock.today(), customer=c, actor=request.user
            ),
            _("Interest charged for %(n)d customers."),
        )


@admin.register(InterestCharge)
class InterestChargeAdmin(ReadOnlyAdmin):
    list_display = [
        "invoice",
        "customer",
        "first_day",
        "last_day",
        "days",
        "rate",
        "amount",
        "charged_on",
    ]
    list_select_related = ["invoice", "customer", "charged_on"]
    search_fields = ["invoice__number", "charged_on__number"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in InterestCharge._meta.fields]
