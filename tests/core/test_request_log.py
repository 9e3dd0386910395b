"""Unhandled errors are logged with the request id the response carries."""

import logging

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

HOOK_CALLS = []


def boom(request):
    raise RuntimeError("the disk is full")


def fine(request):
    logging.getLogger("kyklos.portal").info("served")
    return HttpResponse("ok")


urlpatterns = [path("boom/", boom), path("fine/", fine)]


def record_error(request, exception, request_id):
    HOOK_CALLS.append((request.path, str(exception), request_id))


def failing_hook(request, exception, request_id):
    raise ValueError("tracker down")


@pytest.fixture
def app(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    HOOK_CALLS.clear()
    return Client(raise_request_exception=False)


def _with_request_id(caplog):
    """caplog's handler sits beside the console one: give its records the filter too."""
    from kyklos.core.request_log import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())


def test_every_response_carries_a_request_id_and_a_sane_one_sent_is_kept(app):
    made = app.get("/fine/")
    assert len(made["X-Request-ID"]) == 32
    kept = app.get("/fine/", headers={"X-Request-ID": "edge-4f2a9c01"})
    assert kept["X-Request-ID"] == "edge-4f2a9c01"
    hostile = app.get("/fine/", headers={"X-Request-ID": "x\r\nSet-Cookie: a=b" + "y" * 80})
    assert hostile["X-Request-ID"] != "x\r\nSet-Cookie: a=b" + "y" * 80


def test_an_unhandled_error_is_logged_with_its_traceback_and_request_id(app, caplog):
    _with_request_id(caplog)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = app.get("/boom/")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert errors, "the 500 was logged nowhere"
    assert errors[0].request_id == response["X-Request-ID"]
    assert errors[0].exc_info and "the disk is full" in str(errors[0].exc_info[1])


def test_the_logging_configuration_sends_errors_to_the_console_whatever_debug_says():
    from django.conf import settings

    handlers = settings.LOGGING["loggers"]["django.request"]["handlers"]
    assert handlers == ["console"]
    assert "%(request_id)s" in settings.LOGGING["formatters"]["kyklos"]["format"]


def test_the_error_hook_gets_the_exception_and_the_request_id(app, settings):
    settings.KYKLOS_ERROR_HOOK = f"{__name__}.record_error"
    response = app.get("/boom/")
    assert HOOK_CALLS == [("/boom/", "the disk is full", response["X-Request-ID"])]


def test_a_failing_error_hook_is_logged_and_the_answer_is_still_a_500(app, settings, caplog):
    settings.KYKLOS_ERROR_HOOK = f"{__name__}.failing_hook"
    with caplog.at_level(logging.ERROR, logger="kyklos.errors"):
        response = app.get("/boom/")
    assert response.status_code == 500
    assert any("error hook" in r.getMessage() for r in caplog.records)
