"""Staff see which credentials are held; revealing one is a separate, logged step."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import NoAdd, NoDelete
from kyklos.vault import services
from kyklos.vault.models import Credential


class RevealForm(forms.Form):
    otp_token = forms.CharField(
        label=_("One-time code from your authenticator"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    reason = forms.CharField(label=_("Why you need it"), max_length=300, widget=forms.Textarea)


@admin.register(Credential)
class CredentialAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """Stored through ``vault.services.store``; destroyed, never deleted."""

    list_display = ("label", "customer", "kind", "status", "key_id", "created_at", "reveal_link")
    list_filter = ("status", "kind", "key_id")
    search_fields = ("label", "customer__name", "customer__company_name")
    readonly_fields = (
        "uid",
        "customer",
        "service",
        "kind",
        "label",
        "key_id",
        "status",
        "created_at",
        "created_by",
        "handover_offered_on",
        "destroyed_at",
    )
    exclude = ("sealed",)
    list_select_related = ("customer",)

    @admin.display(description=_("Reveal"))
    def reveal_link(self, obj):
        if obj.status != Credential.Status.ACTIVE:
            return "—"
        url = reverse("admin:vault_credential_reveal", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Reveal…"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="vault_credential_reveal",
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request, pk):
        credential = get_object_or_404(Credential.objects.select_related("customer"), pk=pk)
        form = RevealForm(request.POST or None)
        secret = None
        if request.method == "POST" and form.is_valid():
            try:
                secret = services.reveal(
                    credential,
                    actor=request.user,
                    otp_token=form.cleaned_data["otp_token"],
                    reason=form.cleaned_data["reason"],
                )
            except PermissionDenied as exc:
                messages.error(request, str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reveal %(label)s") % {"label": credential.label},
            "opts": self.model._meta,
            "credential": credential,
            "form": form,
            "secret": secret,
        }
        response = TemplateResponse(request, "admin/vault/reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response
