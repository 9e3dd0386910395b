"""The staff view of certificates: state, expiry, every ACME attempt with the CA's
answer; staff confirm an OV/EV organisation validation (R5.10) and retry failed ones."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kyklos.certificates import services
from kyklos.certificates.models import Attempt, Certificate
from kyklos.core.admin_tools import ReadOnlyAdmin, ReadOnlyInline, service_action


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = ["number", "result", "started_at", "finished_at", "methods", "error", "response"]
    ordering = ["-number"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "customer", "kind", "state", "not_after", "attempts", "short_error"]
    list_filter = ["state", "kind", "key_custody"]
    search_fields = ["names", "customer__name", "serial"]
    list_select_related = ["customer"]
    readonly_fields = [
        "uid",
        "customer",
        "service",
        "names",
        "kind",
        "state",
        "key_custody",
        "serial",
        "not_before",
        "not_after",
        "issued_at",
        "renewals",
        "organisation_validated_at",
        "attempts",
        "next_attempt_at",
        "error",
        "created_at",
        "chain_pem",
        "csr_pem",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["organisation_validated", "issue_again"]

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    def has_work_permission(self, request) -> bool:
        return request.user.has_perm("certificates.change_certificate")

    organisation_validated = service_action(
        _("The CA validated the organisation: issue the selected OV/EV certificates"),
        services.organisation_validated,
        _("%(n)d certificates are queued for issuance."),
        permissions=["work"],
    )
    issue_again = service_action(
        _("Try the selected failed certificates again"),
        services.issue_again,
        _("%(n)d certificates are queued to be issued again."),
        permissions=["work"],
    )
