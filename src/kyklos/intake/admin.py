"""Staff look after the quarantine in the admin: inspect a held message (headers, text,
attachments, why it was held), download its raw bytes, release it into a ticket or delete
it. Every write goes through :mod:`kyklos.intake.services` and is audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kyklos.core.admin_tools import ReadOnlyAdmin, service_action
from kyklos.customers.models import Customer
from kyklos.intake import services
from kyklos.intake.models import InboundMessage, QuarantinedMessage
from kyklos.intake.parsing import parse

PREVIEW_HEADERS = (
    "From",
    "Reply-To",
    "Sender",
    "To",
    "Cc",
    "Date",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Return-Path",
    "Auto-Submitted",
    "Precedence",
    "Content-Type",
)


class ReleaseForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.all(),
        required=False,
        widget=forms.NumberInput,
        help_text=_("Customer id: open the ticket for this customer instead of the sender."),
    )
    requester_email = forms.EmailField(
        label=_("Requester's e-mail"),
        required=False,
        help_text=_("For a message without a usable sender and no customer."),
    )


@admin.register(QuarantinedMessage)
class QuarantinedMessageAdmin(ReadOnlyAdmin):
    """View only: release and delete have their own views (delete through
    ``delete_quarantined``, which removes the file and audits)."""

    list_display = [
        "received_at",
        "reason",
        "status",
        "sender_email",
        "subject",
        "size_kb",
        "ticket",
    ]
    list_filter = ["status", "reason", "source"]
    search_fields = ["sender_email", "subject", "message_id"]
    date_hierarchy = "received_at"
    actions = ["release_selected", "delete_selected_messages"]
    fields = readonly_fields = [
        "received_at",
        "reason",
        "detail",
        "status",
        "source",
        "department",
        "sender_email",
        "subject",
        "message_id",
        "size",
        "sha256",
        "ticket",
        "released_at",
        "released_by",
        "raw_link",
    ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("size (kB)"))
    def size_kb(self, obj):
        return f"{obj.size / 1024:.0f}"

    @admin.display(description=_("raw message"))
    def raw_link(self, obj):
        url = reverse("admin:intake_quarantinedmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (.eml)"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/raw/", view(self.raw_view), name="intake_quarantinedmessage_raw"),
            path(
                "<int:pk>/release/",
                view(self.release_view),
                name="intake_quarantinedmessage_release",
            ),
            path(
                "<int:pk>/delete-message/",
                view(self.delete_view_),
                name="intake_quarantinedmessage_delete_message",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(self._preview(obj))
            extra["release_form"] = ReleaseForm()
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _preview(self, obj) -> dict:
        try:
            with obj.raw.open("rb") as handle:
                mail = parse(handle)
        except OSError:
            return {"preview_error": _("The raw message file is missing.")}
        mail.close()
        headers = [
            (name, value) for name in PREVIEW_HEADERS for value in mail.message.get_all(name, [])
        ]
        return {
            "preview_headers": [(n, str(v)[:1000]) for n, v in headers],
            "preview_body": mail.body[:20_000],
            "preview_attachments": [
                (a.filename, a.content_type, f"{a.size / 1024:.0f}") for a in mail.attachments
            ],
            "preview_problems": mail.problems,
        }

    def _held(self, request, pk, permission="change"):
        obj = get_object_or_404(QuarantinedMessage, pk=pk)
        if not request.user.has_perm(f"intake.{permission}_quarantinedmessage"):
            raise PermissionDenied
        return obj

    def raw_view(self, request, pk):
        obj = get_object_or_404(QuarantinedMessage, pk=pk)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        try:
            handle = obj.raw.open("rb")
        except OSError:
            raise Http404(_("The raw message file is missing.")) from None
        # Served as a download, never rendered: it may hold anything.
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"quarantine-{obj.pk}.eml",
            content_type="application/octet-stream",
        )

    def release_view(self, request, pk):
        if request.method != "POST":
            return redirect("admin:intake_quarantinedmessage_change", pk)
        obj = self._held(request, pk)
        form = ReleaseForm(request.POST)
        if form.is_valid():
            try:
                ticket = services.release(
                    obj,
                    actor=request.user,
                    customer=form.cleaned_data["customer"],
                    requester_email=form.cleaned_data["requester_email"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Released into ticket %(n)s.") % {"n": ticket.number})
        else:
            messages.error(request, form.errors.as_text())
        return redirect("admin:intake_quarantinedmessage_change", pk)

    def delete_view_(self, request, pk):
        obj = self._held(request, pk, "delete")
        if request.method == "POST":
            services.delete_quarantined(obj, actor=request.user)
            messages.success(request, _("The message was deleted."))
            return redirect("admin:intake_quarantinedmessage_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delete a quarantined message"),
            "object": obj,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/intake/quarantinedmessage/delete_confirmation.html", context
        )

    release_selected = service_action(
        _("Release the selected messages"),
        services.release,
        _("%(n)d message(s) released."),
        permissions=["release"],
    )
    delete_selected_messages = service_action(
        _("Delete the selected messages"),
        services.delete_quarantined,
        _("%(n)d message(s) deleted."),
        permissions=["remove"],
    )

    def has_release_permission(self, request):
        return request.user.has_perm("intake.change_quarantinedmessage")

    def has_remove_permission(self, request):
        return request.user.has_perm("intake.delete_quarantinedmessage")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "message_id", "source", "outcome", "ticket"]
    list_filter = ["outcome", "source"]
    search_fields = ["message_id"]
    fields = readonly_fields = [
        "message_id",
        "received_at",
        "source",
        "outcome",
        "ticket",
        "quarantine",
    ]
