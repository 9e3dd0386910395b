"""The staff view of e-invoicing: the channels (configured by the admin role) and every
document's transmissions with their attempts, read-only but for "Send again" and "Cancel
at the tax system" (billing).

``billing.Transmission`` is registered here, not in billing: its page shows this app's
attempts, and billing may not import einvoicing."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kyklos.billing.models import Transmission
from kyklos.core.admin_tools import (
    NoDelete,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceForm,
    adopt,
    ask_reason,
    service_action,
    with_actor,
)
from kyklos.einvoicing import services
from kyklos.einvoicing.models import Attempt, ChannelConfig
from kyklos.einvoicing.registry import channels
from kyklos.vault.selectors import provider_secret_names


class ChannelConfigForm(ServiceForm):
    channel = forms.ChoiceField(label=_("channel"), choices=())
    credentials = forms.CharField(
        label=_("credentials"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=_(
            "One name=value per line; stored sealed in the vault for this environment and "
            "never shown again. Leave empty to keep the stored ones."
        ),
    )

    class Meta:
        model = ChannelConfig
        fields = ["channel", "country", "enabled", "environment", "applies_from", "settings"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (c, f"{c} — {channels.label(c)}") for c in channels.codes()
        ]

    def _post_clean(self):
        # The model's own checks first (unique channel per country), then the service.
        forms.ModelForm._post_clean(self)
        if self.errors:
            return
        super()._post_clean()

    def run(self, data):
        return services.save_config(
            self.instance,
            credentials=services.parse_credentials(data.get("credentials", "")),
            actor=self.actor,
        )


@admin.register(ChannelConfig)
class ChannelConfigAdmin(NoDelete, admin.ModelAdmin):
    """Which channels apply to which seller country; switched off, never deleted."""

    list_display = ["channel", "country", "enabled", "environment", "applies_from", "stored"]
    list_filter = ["enabled", "country", "environment"]
    readonly_fields = ["stored", "expected", "updated_at"]
    form = ChannelConfigForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_actor(super().get_form(request, obj, change, **kwargs), request)

    def get_fields(self, request, obj=None):
        return [*ChannelConfigForm.Meta.fields, "credentials", "stored", "expected", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    @admin.display(description=_("stored credentials"))
    def stored(self, obj):
        names = provider_secret_names([obj.credentials_purpose]).get(obj.credentials_purpose)
        return ", ".join(names) if names else "—"

    @admin.display(description=_("credentials the channel reads"))
    def expected(self, obj):
        try:
            return ", ".join(getattr(channels.get(obj.channel), "credential_fields", ())) or "—"
        except Exception:  # noqa: BLE001 - a channel not installed: nothing to list
            return "—"

    def save_model(self, request, obj, form, change):
        adopt(obj, form.result)  # saved by services.save_config


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = [
        "number",
        "action",
        "result",
        "started_at",
        "finished_at",
        "code",
        "error",
        "request",
        "response",
    ]
    ordering = ["number"]


@admin.register(Transmission)
class TransmissionAdmin(ReadOnlyAdmin):
    """Per document and channel: the state, the identifiers received, every attempt with
    its raw request and response; failed ones are sent again from here."""

    list_display = [
        "invoice",
        "authority",
        "environment",
        "status",
        "mark",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "authority", "environment"]
    list_select_related = ["invoice"]
    search_fields = ["invoice__number", "mark", "uid"]
    readonly_fields = [
        "invoice",
        "authority",
        "environment",
        "status",
        "mark",
        "uid",
        "qr_link",
        "identifiers",
        "duplicate",
        "attempts",
        "next_attempt_at",
        "created_at",
        "submitted_at",
        "answered_at",
        "error_code",
        "error",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["send_again", "cancel_at_system"]
    show_full_result_count = False

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    @admin.display(description=_("QR code link"))
    def qr_link(self, obj):
        if not obj.qr_url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', obj.qr_url, obj.qr_url)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_transmission")

    has_cancel_permission = has_resend_permission

    send_again = service_action(
        _("Send the selected failed transmissions again"),
        services.resend,
        _("%(n)d transmissions are queued to be sent again."),
        permissions=["resend"],
    )

    @admin.action(
        description=_("Cancel the selected transmissions made in error at the tax system"),
        permissions=["cancel"],
    )
    def cancel_at_system(self, request, queryset):
        """Asks the reason, then ``services.cancel_transmission`` for each row: the
        system's answer (cancellation mark or refusal) is shown per transmission."""

        def cancel(transmission, reason):
            done = services.cancel_transmission(transmission, reason=reason, actor=request.user)
            messages.success(
                request,
                _(
                    "%(number)s: its report to %(channel)s is cancelled (cancellation mark "
                    "%(mark)s); the document stays issued."
                )
                % {
                    "number": done.invoice.number,
                    "channel": channels.label(done.authority),
                    "mark": done.identifiers.get("cancellation_mark") or "—",
                },
            )

        return ask_reason(
            self,
            request,
            queryset,
            apply=cancel,
            action="cancel_at_system",
            title=_("Cancel transmissions made in error"),
            submit_label=_("Cancel them at the tax system"),
            intro=_(
                "The tax system cancels the report of each document below (myDATA: its MARK "
                "is cancelled). The documents themselves stay issued: to correct an issued "
                "document, issue a credit note. Channels without cancellation (KSeF) are "
                "refused."
            ),
        )
