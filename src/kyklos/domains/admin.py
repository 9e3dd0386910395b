"""The staff side of domains: TLD rules and registrar accounts (the admin role), domains
with the registrar hold (R4.11), and the registry jobs with every attempt's raw EPP
exchange — a failed job shows the registry's answer and is run again from here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import (
    LogsPersonalDataViews,
    NoDelete,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceForm,
    adopt,
    reason_action,
    service_action,
    with_actor,
)
from kyklos.domains import services
from kyklos.domains.models import (
    Domain,
    JobAttempt,
    OwnerChange,
    RegistrarAccount,
    RegistryJob,
    Tld,
    Transfer,
)
from kyklos.vault.selectors import provider_secret_names


@admin.register(Tld)
class TldAdmin(NoDelete, admin.ModelAdmin):
    list_display = [
        "suffix",
        "registrar",
        "product",
        "terms",
        "grace_days",
        "redemption_days",
        "redemption_fee",
        "active",
    ]
    list_filter = ["active", "registrar"]
    search_fields = ["suffix"]


class RegistrarForm(ServiceForm):
    login = forms.CharField(label=_("login"), required=False)
    password = forms.CharField(
        label=_("password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored sealed in the vault and never shown again; empty keeps it."),
    )

    class Meta:
        model = RegistrarAccount
        fields = ["code", "name", "plugin", "settings", "enabled"]

    def run(self, data):
        credentials = (
            {"login": data.get("login", ""), "password": data.get("password", "")}
            if data.get("login") or data.get("password")
            else None
        )
        return services.save_registrar(self.instance, credentials=credentials, actor=self.actor)


@admin.register(RegistrarAccount)
class RegistrarAdmin(NoDelete, admin.ModelAdmin):
    list_display = ["code", "name", "plugin", "enabled", "stored"]
    form = RegistrarForm
    readonly_fields = ["stored"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_actor(super().get_form(request, obj, change, **kwargs), request)

    def get_fields(self, request, obj=None):
        return [*RegistrarForm.Meta.fields, "login", "password", "stored"]

    @admin.display(description=_("stored credentials"))
    def stored(self, obj):
        names = provider_secret_names([obj.credentials_purpose]).get(obj.credentials_purpose)
        return ", ".join(names) if names else "—"

    def save_model(self, request, obj, form, change):
        adopt(obj, form.result)


class TransferInline(ReadOnlyInline):
    model = Transfer
    fields = ["direction", "status", "requested_at", "finished_at", "gaining_registrar"]


class OwnerChangeInline(ReadOnlyInline):
    model = OwnerChange
    fields = ["status", "handle", "fee", "invoice", "requested_at", "finished_at"]


class JobInline(ReadOnlyInline):
    model = RegistryJob
    fields = ["operation", "status", "attempts", "error_code", "error", "created_at"]
    show_change_link = True


@admin.register(Domain)
class DomainAdmin(LogsPersonalDataViews, ReadOnlyAdmin):
    list_display = ["name", "customer", "state", "expires_on", "locked", "hold"]
    list_filter = ["state", "origin", "hold", "tld"]
    search_fields = ["name", "customer__name"]
    list_select_related = ["customer"]
    readonly_fields = [
        "name",
        "tld",
        "customer",
        "service",
        "state",
        "origin",
        "years",
        "registered_on",
        "expires_on",
        "last_renewed_on",
        "registry_id",
        "registry_statuses",
        "contact_handle",
        "nameservers",
        "locked",
        "hold",
        "hold_reason",
        "whois_verify_by",
        "whois_verified_at",
        "synced_at",
    ]
    fields = readonly_fields
    inlines = [TransferInline, OwnerChangeInline, JobInline]
    actions = ["registrar_hold", "lift_hold", "sync"]

    def has_hold_permission(self, request) -> bool:
        return request.user.has_perm("domains.change_domain")

    registrar_hold = reason_action(
        _("Put on registrar hold (illegal use)"),
        services.put_on_hold,
        name="registrar_hold",
        permissions=["hold"],
        title=_("Registrar hold"),
        submit_label=_("Put on hold"),
        intro=_(
            "The domains below stop resolving and cannot be transferred until the hold is "
            "lifted (R4.11). The reason is kept in the audit trail."
        ),
    )
    lift_hold = reason_action(
        _("Lift the hold"),
        services.lift_hold,
        name="lift_hold",
        permissions=["hold"],
        title=_("Lift the hold"),
        submit_label=_("Lift it"),
    )
    sync = service_action(
        _("Ask the registry again"),
        lambda domain, actor: services.sync_now(domain),
        _("%(n)d domains will be checked with the registry."),
        permissions=["hold"],
    )


class AttemptInline(ReadOnlyInline):
    model = JobAttempt
    fields = [
        "number",
        "result",
        "started_at",
        "finished_at",
        "code",
        "error",
        "request",
        "response",
    ]
    ordering = ["number"]


@admin.register(RegistryJob)
class RegistryJobAdmin(ReadOnlyAdmin):
    """Every registry operation, its state and attempts; a failed one shows the
    registry's answer and is run again with "Retry"."""

    list_display = [
        "domain",
        "operation",
        "status",
        "attempts",
        "error_code",
        "short_error",
        "created_at",
    ]
    list_filter = ["status", "operation"]
    search_fields = ["domain__name", "error"]
    list_select_related = ["domain"]
    readonly_fields = [
        "domain",
        "operation",
        "status",
        "key",
        "params",
        "attempts",
        "next_attempt_at",
        "cltrid",
        "result",
        "error_code",
        "error",
        "created_at",
        "finished_at",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["retry"]

    @admin.display(description=_("registry's answer"))
    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("domains.change_registryjob")

    retry = service_action(
        _("Retry the selected failed jobs"),
        services.retry,
        _("%(n)d jobs are queued again."),
        permissions=["retry"],
    )
