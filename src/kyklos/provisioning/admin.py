"""Servers, groups, product modules and backup policies are data edited in the admin; the
server's credential goes to the vault through the form, never into its row."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import (
    LogsPersonalDataViews,
    NoAdd,
    NoDelete,
    reason_action,
    service_action,
)
from kyklos.provisioning import modules, services
from kyklos.provisioning.models import (
    Account,
    BackupPolicy,
    ProductModule,
    Server,
    ServerGroup,
)


@admin.register(ServerGroup)
class ServerGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "module"]


class ServerForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("Password or API token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored in the vault; leave empty to keep the stored one."),
    )

    class Meta:
        model = Server
        fields = [
            "group", "name", "hostname", "port", "username", "use_tls", "capacity",
            "settings", "is_active",
        ]  # fmt: skip


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    form = ServerForm
    list_display = ["name", "group", "hostname", "capacity", "is_active"]
    list_filter = ["group", "is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("secret"):
            services.save_server_secret(obj, form.cleaned_data["secret"], actor=request.user)


class ProductModuleForm(forms.ModelForm):
    class Meta:
        model = ProductModule
        fields = ["product", "module", "group", "plan", "settings", "limits", "restore_fee",
                  "backed_up"]  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("module") and data.get("group"):
            config = ProductModule(**{k: v for k, v in data.items() if k != "product"})
            try:
                services.check_product_module(config)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return data


@admin.register(ProductModule)
class ProductModuleAdmin(admin.ModelAdmin):
    form = ProductModuleForm
    list_display = ["product", "module", "group", "plan", "restore_fee"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["module"].help_text = _("One of: %(codes)s") % {
            "codes": ", ".join(modules.codes())
        }
        return form


def _abuse(account, *, actor, reason):
    return services.suspend_for_abuse(account.service, reason=reason, actor=actor)


def _lift(account, *, actor):
    return services.lift_abuse_suspension(account.service, actor=actor)


def _reset(account, *, actor):
    return services.reset_password(account.service, actor=actor)


@admin.register(Account)
class AccountAdmin(LogsPersonalDataViews, NoAdd, NoDelete, admin.ModelAdmin):
    list_display = ["username", "server", "state", "abuse_reason"]
    list_filter = ["state", "server"]
    actions = ["suspend_for_abuse", "lift_abuse", "reset_password"]
    suspend_for_abuse = reason_action(
        _("Suspend for abuse (at once, R5.6)"),
        _abuse,
        name="suspend_for_abuse",
        title=_("Suspend for abuse"),
        submit_label=_("Suspend now"),
        intro=_("The account is suspended on its server at once and the customer is told why."),
    )
    lift_abuse = service_action(
        _("Lift the abuse suspension"), _lift, _("Abuse suspension lifted on %(n)d accounts.")
    )
    reset_password = service_action(
        _("Reset the password (a new one-time link)"),
        _reset,
        _("Password reset queued for %(n)d accounts."),
    )
    readonly_fields = ["service", "server", "module", "username", "state", "remote", "created_at",
                       "abuse_reason", "abuse_since"]  # fmt: skip
    search_fields = ["username"]


@admin.register(BackupPolicy)
class BackupPolicyAdmin(admin.ModelAdmin):
    list_display = ["code", "every", "day_of_month", "keep_days", "is_active"]
