"""The CSP header of a plain response is built once, and follows the settings."""

from django.http import HttpResponse
from django.test import RequestFactory

from kyklos.core.csp import CSPMiddleware


def _header(response_maker, path="/portal/"):
    middleware = CSPMiddleware(lambda request: response_maker())
    request = RequestFactory().get(path)
    middleware.process_request(request)
    return middleware.process_response(request, response_maker())


def test_a_plain_response_gets_the_configured_policy_and_follows_a_change(settings):
    first = _header(HttpResponse)["Content-Security-Policy"]
    assert "default-src 'self'" in first and "frame-ancestors 'none'" in first

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert _header(HttpResponse)["Content-Security-Policy"] == "default-src 'none'"


def test_a_views_own_update_and_an_exemption_still_count():
    def updated():
        response = HttpResponse()
        response._csp_update = {"script-src": ["https://js.example.test"]}
        return response

    def exempt():
        response = HttpResponse()
        response._csp_exempt = True
        return response

    policy = _header(updated)["Content-Security-Policy"]
    assert "script-src 'self' https://js.example.test" in policy
    assert "Content-Security-Policy" not in _header(exempt)
    assert "https://js.example.test" not in _header(HttpResponse)["Content-Security-Policy"]
