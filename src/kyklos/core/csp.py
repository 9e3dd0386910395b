"""django-csp's middleware, with the policy of an ordinary response built once.

Building the ``Content-Security-Policy`` header from the settings took about 5 % of a
portal page's or an API list's time, for the same text on nearly every response. A
response that changes nothing in the policy (no per-view configuration, update or
replacement, no nonce used) gets the header built once per process and settings; any
other goes through django-csp as before (decision 0040).
"""

from __future__ import annotations

from functools import cache

from csp import middleware as csp
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

#: What a view sets on its response to change the policy (django-csp's decorators).
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT = (404, 500)


@cache
def _plain() -> tuple[tuple[str, str, str, str], ...]:
    """(header, policy, exemption attribute, settings name) of the policy as configured."""
    return (
        (HEADER, build_policy(), "_csp_exempt", "CONTENT_SECURITY_POLICY"),
        (
            HEADER_REPORT_ONLY,
            build_policy(report_only=True),
            "_csp_exempt_ro",
            "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        ),
    )


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _plain.cache_clear()


class CSPMiddleware(csp.CSPMiddleware):
    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _PER_RESPONSE)
            or (settings.DEBUG and response.status_code in _DEBUG_EXEMPT)
        ):
            return super().process_response(request, response)
        for header, policy, exempt, name in _plain():
            if not policy or header in response or getattr(response, exempt, False):
                continue
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # as django-csp: a nonce asked for after the header was written is an error
        request.csp_nonce = csp.CheckableLazyObject(self._csp_nonce_post_response)
        return response
