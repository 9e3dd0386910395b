"""Every API error has one JSON shape: ``{"message": "...", "field": "..." | null}``.

Django's ValidationError (raised by the service functions) and ninja's own validation
errors are 422, naming the first field at fault; unknown ids are 404; a missing or bad
token is 401; a body that is not JSON is 400.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

M = TypeVar("M", bound=Model)

#: Where ninja reports a parameter: body errors also carry the body parameter's name.
_SOURCES_WITH_PARAM_NAME = {"body", "form", "file"}


def error(message: str, field: str | None = None) -> dict:
    return {"message": str(message), "field": field}


def get_or_404(queryset: QuerySet[M], pk: int, message: str) -> M:
    """The row with ``pk``, or a 404 that says what was not found."""
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise HttpError(404, message % {"id": pk}) from None


def first_django_error(exc: DjangoValidationError) -> tuple[str, str | None]:
    """The first message of a Django ValidationError and the field it is about."""
    if hasattr(exc, "error_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return messages[0], None if field == NON_FIELD_ERRORS else field
    return exc.messages[0], None


def first_ninja_error(exc: NinjaValidationError) -> tuple[str, str | None]:
    """The first of ninja's validation errors: its message and the top-level input field.

    ninja locates an error as ``(source, [body parameter,] field, ...)``.
    """
    detail = exc.errors[0]
    loc = list(detail.get("loc", ()))
    if loc and loc[0] in _SOURCES_WITH_PARAM_NAME:
        loc = loc[1:]
    field = str(loc[1]) if len(loc) > 1 else None
    context = detail.get("ctx") or {}
    if detail.get("type") == "value_error" and "error" in context:
        return str(context["error"]), field
    if field is None and detail.get("type") == "missing":
        return _("Send the request's data as a JSON object."), None
    return detail.get("msg", _("The request is not valid.")), field


def register(api: NinjaAPI) -> None:
    """Install the handlers that give every error the shape above."""

    def respond(request: HttpRequest, body: dict, status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, error(exc.message), 401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, ValueError):  # ninja could not parse the body
            return respond(request, error(_("The request body is not valid JSON.")), 400)
        return respond(request, error(exc.message), exc.status_code)

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, error(*first_django_error(exc)), 422)

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, error(*first_ninja_error(exc)), 422)

    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
