"""Every request gets an id; every unhandled error is logged with it.

:class:`RequestIdMiddleware` takes the id a proxy sent (``X-Request-ID``, when it is a
short token) or makes one, keeps it for the request's log lines and returns it in the
response's ``X-Request-ID``, so a customer's report of a failure can be matched with the
log. :class:`RequestIdFilter` puts ``request_id`` on every log record (``-`` outside a
request). An unhandled exception is logged by ``django.request`` with its traceback on the
console (gunicorn's error log), and handed to the optional error-tracking hook named by
``KYKLOS_ERROR_HOOK`` (a dotted path to ``hook(request, exception, request_id)``).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import got_request_exception
from django.utils.module_loading import import_string

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")
_current: ContextVar[str] = ContextVar("kyklos_request_id", default="-")

logger = logging.getLogger("kyklos.errors")


def current_request_id() -> str:
    """The id of the request being served in this thread, or ``-``."""
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(HEADER, "")
        request.id = sent if _ACCEPTED.fullmatch(sent) else uuid.uuid4().hex
        token = _current.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request.id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


def _on_exception(sender, request=None, **kwargs) -> None:
    """Hand an unhandled exception to the configured error-tracking hook, if any. A failing
    hook is logged and never hides the original error."""
    path = getattr(settings, "KYKLOS_ERROR_HOOK", "")
    if not path or request is None:
        return
    import sys

    exception = sys.exc_info()[1]
    try:
        import_string(path)(request, exception, getattr(request, "id", current_request_id()))
    except Exception:
        logger.exception("The error hook %s failed", path)


got_request_exception.connect(_on_exception, dispatch_uid="kyklos.error_hook")


def server_error(request, *args, **kwargs):
    """``handler500``: the 500 page in the site's look with the request's reference, so a
    customer's report can be found in the log. Renders without the request's context
    processors (they may be what failed); falls back to one plain line if even that fails."""
    from django.http import HttpResponseServerError
    from django.template import loader

    reference = getattr(request, "id", None) or current_request_id()
    try:
        body = loader.get_template("500.html").render({"request_id": reference})
    except Exception:
        logger.exception("The 500 page could not be rendered")
        body = f"Server error. Reference: {reference}"
        return HttpResponseServerError(body, content_type="text/plain; charset=utf-8")
    return HttpResponseServerError(body)
