"""Helpers for the staff admin: permission mixins for rows written elsewhere, read-only
inlines, forms that call a service, and admin actions that call services."""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from kyklos.core.audit import log_request_access, log_request_list_access
from kyklos.core.forms import add_service_errors

# --- permissions --------------------------------------------------------------------------


class NoAdd:
    """Admin or inline mixin: rows are never added here (a service or another screen does).
    Put it before ``admin.ModelAdmin``."""

    def has_add_permission(self, request, obj=None):
        return False


class NoChange:
    """Admin or inline mixin: rows are never edited here."""

    def has_change_permission(self, request, obj=None):
        return False


class NoDelete:
    """Admin or inline mixin: rows are never deleted here."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly(NoAdd, NoChange, NoDelete):
    """Admin or inline mixin for append-only rows (audit, ledgers, logs, issued documents):
    staff see them and nothing else."""


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(NoAdd, admin.TabularInline):
    """Rows shown under their parent, never added or deleted there; every field in
    ``fields`` is read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


# --- forms that call a service ------------------------------------------------------------


class ServiceForm(forms.ModelForm):
    """A model form whose validation calls a service: ``run(cleaned_data)`` returns what the
    service saved (kept as ``result``) and its ValidationError shows on the form; the admin
    view's transaction keeps it all-or-nothing. ``actor`` is set by :func:`with_actor`."""

    actor = None
    #: Fields that may stay empty because the service fills them in: name -> a help text
    #: saying with what (empty: keep the model field's own help text).
    service_defaults: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, help_text in self.service_defaults.items():
            self.fields[name].required = False
            if help_text:
                self.fields[name].help_text = help_text

    def run(self, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def _post_clean(self):
        if self.errors:
            return
        try:
            self.result = self.run(self.cleaned_data)
        except ValidationError as error:
            add_service_errors(self, error)


def with_actor(form_class, request):
    """``form_class`` acting as the request's user (for a ModelAdmin's ``get_form``)."""
    return type(form_class.__name__, (form_class,), {"actor": request.user})


# --- actions ------------------------------------------------------------------------------


def apply_each(request, objects: Iterable, action: Callable, done_message: str) -> int:
    """Call ``action(obj)`` for each object; a service's ValidationError becomes an error
    message naming the object, and the others go on. ``done_message`` takes ``%(n)d``."""
    done = 0
    for obj in objects:
        try:
            action(obj)
            done += 1
        except ValidationError as error:
            messages.error(request, f"{obj}: {' '.join(error.messages)}")
    if done:
        messages.success(request, done_message % {"n": done})
    return done


def adopt(obj, saved) -> None:
    """Make the admin's unsaved ``obj`` the row a service saved, so the admin can go on
    (inlines, log entry, redirect) without writing it again."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea)


def form_action(
    modeladmin, request, queryset, *, form_class, action, title, submit_label, apply, intro=""
):
    """An admin action with an intermediate form; ``apply(obj, cleaned_data)`` per object.
    Returns None once applied (the admin goes back to the list), else the form's page."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        apply_each(request, queryset, lambda obj: apply(obj, form.cleaned_data), _("%(n)d done."))
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
        "queryset": queryset,
        "form": form,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/core/action_form.html", context)


def ask_reason(modeladmin, request, queryset, *, apply, **page):
    """An admin action that asks for a reason on an intermediate page, then calls
    ``apply(obj, reason)`` for each selected object; ``page`` as for :func:`form_action`."""
    return form_action(
        modeladmin,
        request,
        queryset,
        form_class=ReasonForm,
        apply=lambda obj, data: apply(obj, data["reason"]),
        **page,
    )


class LogsPersonalDataViews:
    """ModelAdmin mixin: staff opening a row (change view) or a page of the list of a model
    with ``audit_customer_id`` is recorded in each customer's access log (who, what,
    when; ``?purpose=`` in the URL adds why). Put it before ``admin.ModelAdmin``."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and response.status_code == 200 and obj is not None:
            log_request_access(
                request,
                getattr(obj, "audit_customer_id", None),
                what=str(self.model._meta.verbose_name),
                object_type=self.model._meta.label_lower,
                object_id=obj.pk,
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and changelist is not None:
            # One event for the page, naming every row shown (decision 0016).
            log_request_list_access(
                request,
                self.model,
                [
                    (obj.pk, getattr(obj, "audit_customer_id", None))
                    for obj in changelist.result_list
                ],
                what=f"{self.model._meta.verbose_name_plural} (list)",
            )
        return response


def service_action(description, service, done_message, *, permissions=None, **arguments):
    """An admin action calling ``service(obj, actor=request.user, **arguments)`` for each
    selected row, reported as :func:`apply_each` does. Assign it to the action's name in
    the ModelAdmin's class body."""

    def action(modeladmin, request, queryset):
        apply_each(
            request,
            queryset,
            lambda obj: service(obj, actor=request.user, **arguments),
            done_message,
        )

    return admin.action(description=description, permissions=permissions)(action)


def reason_action(description, service, *, name, reason_to="reason", permissions=None, **page):
    """An admin action ``name`` that asks for a reason (:func:`ask_reason`; ``page`` as for
    :func:`form_action`), then calls ``service(obj, actor=request.user, <reason_to>=reason)``
    for each selected row."""

    def action(modeladmin, request, queryset):
        return ask_reason(
            modeladmin,
            request,
            queryset,
            action=name,
            apply=lambda obj, reason: service(obj, actor=request.user, **{reason_to: reason}),
            **page,
        )

    return admin.action(description=description, permissions=permissions)(action)
