"""Every API error has one JSON shape: ``{"message": "...", "field": "..." | null}``.

Django's ValidationError (raised by the service functions) and ninja's own validation
errors are 422, naming the first field at fault; unknown ids are 404; a missing or bad
token is 401; a body that is not JSON is 400; a body sent as anything but
``application/json`` is 415; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is 413; a number
too large for the database is 422. An unexpected error is logged with its traceback and
answered 500 in the same shape. Unknown routes under ``/api/`` (:func:`no_such_route`)
and methods an endpoint does not take (:func:`json_errors`) answer in it too.
"""

from __future__ import annotations

import functools
import logging
from http import HTTPStatus
from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kyklos.api.parser import UnsupportedMediaType

M = TypeVar("M", bound=Model)
logger = logging.getLogger("kyklos.api")

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
    field = str(loc[1]) if len(loc) > 1 and loc[1] is not None else None
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
        cause = exc.__cause__  # why ninja could not parse the body
        if isinstance(cause, UnsupportedMediaType):
            return on_media_type(request, cause)
        if isinstance(cause, NinjaValidationError):
            return on_ninja_validation(request, cause)
        if isinstance(cause, ValueError):
            return respond(request, error(_("The request body is not valid JSON.")), 400)
        return respond(request, error(exc.message), exc.status_code)

    def on_media_type(request: HttpRequest, exc: UnsupportedMediaType) -> HttpResponse:
        message = _("Send the request's data as JSON, with “Content-Type: application/json”.")
        return respond(request, error(message), 415)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, error(_reason(404)), 404)

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, error(_("The request body is too large.")), 413)

    def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        return respond(request, error(_("A number in the request is too large.")), 422)

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Internal Server Error: %s %s", request.method, request.path, exc_info=exc)
        return respond(request, error(_("Something went wrong on our side; it was logged.")), 500)

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, error(*first_django_error(exc)), 422)

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, error(*first_ninja_error(exc)), 422)

    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(OverflowError, on_overflow)
    api.add_exception_handler(Exception, on_unexpected)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("The request failed.")


def json_errors(view):
    """``view``'s error responses that are not JSON (ninja's 405, Django's own pages)
    in the shape above, keeping their status and headers such as ``Allow``."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        message = (
            _("This endpoint does not take %(method)s.") % {"method": request.method}
            if response.status_code == 405
            else _reason(response.status_code)
        )
        replaced = JsonResponse(error(message), status=response.status_code)
        for header in ("Allow", "WWW-Authenticate"):
            if header in response:
                replaced[header] = response[header]
        return replaced

    return wrapped


@csrf_exempt
def no_such_route(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any path under ``/api/`` that no endpoint serves."""
    return JsonResponse(
        error(_("There is no API endpoint at %(path)s.") % {"path": request.path}), status=404
    )
