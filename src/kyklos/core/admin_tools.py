"""Helpers for admin actions that call services."""

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.core.exceptions import ValidationError

from kyklos.core.audit import log_request_access


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
            log_request_access(
                request,
                [getattr(obj, "audit_customer_id", None) for obj in changelist.result_list],
                what=f"{self.model._meta.verbose_name_plural} (list)",
                object_type=self.model._meta.label_lower,
            )
        return response
