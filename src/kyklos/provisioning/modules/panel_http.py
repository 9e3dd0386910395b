"""The HTTP(S) transport the control-panel modules (Plesk, cPanel/WHM) share.

One POST per call through ``urllib`` (like the e-invoicing clients: no extra dependency).
TLS is verified by default against the system's trust store; a server whose panel uses a
certificate from a private CA names that CA's PEM file in its settings (``ca_file``). There
is no switch to turn verification off.

Transport outcomes map to the module contract (:mod:`.base`):

- timeouts, refused or reset connections, DNS failures, HTTP 429 and 5xx → TemporaryFailure;
- a certificate the trust store (or ``ca_file``) does not vouch for, an unreadable
  ``ca_file``, HTTP 401/403 and any other 4xx → PermanentFailure.

The raw answer (or the transport error) is kept on the exception for staff.
"""

from __future__ import annotations

import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from kyklos.provisioning.modules.base import PermanentFailure, Server, TemporaryFailure

#: seconds a panel has to answer one call, unless the server's settings say otherwise
DEFAULT_TIMEOUT = 30.0
#: the server settings the transport understands
SERVER_SETTINGS = ("ca_file", "timeout")


@dataclass(frozen=True)
class Reply:
    status: int
    text: str


def base_url(server: Server, default_port: int) -> str:
    scheme = "https" if server.use_tls else "http"
    return f"{scheme}://{server.hostname}:{server.port or default_port}"


def _tls_context(server: Server) -> ssl.SSLContext | None:
    if not server.use_tls:
        return None
    ca_file = server.settings.get("ca_file") or None
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise PermanentFailure(
            f"the CA file {ca_file!r} of server {server.hostname} cannot be read: {error}",
            answer=str(error),
        ) from None


def _timeout(server: Server) -> float:
    value = server.settings.get("timeout", DEFAULT_TIMEOUT)
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        raise PermanentFailure(
            f"the timeout {value!r} of server {server.hostname} is not a number"
        ) from None
    if not 0 < timeout <= 600:
        raise PermanentFailure(
            f"the timeout of server {server.hostname} must be between 0 and 600 seconds"
        )
    return timeout


def post(
    server: Server,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    panel: str,
) -> Reply:
    """POST ``body`` to ``url``; the reply of any 2xx, or the failure the answer means."""
    context = _tls_context(server)
    timeout = _timeout(server)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as reply:  # noqa: S310
            return Reply(reply.status, reply.read().decode("utf-8", errors="replace"))
    except urllib.error.HTTPError as error:
        text = error.read().decode("utf-8", errors="replace")[:20000]
        status = error.code
        if status == 429 or status >= 500:
            raise TemporaryFailure(
                f"{panel} answered HTTP {status}", answer=text, code=str(status)
            ) from None
        if status in (401, 403):
            raise PermanentFailure(
                f"{panel} refused the credentials (HTTP {status}): check the server's user "
                "and secret",
                answer=text,
                code=str(status),
            ) from None
        raise PermanentFailure(
            f"{panel} refused the request (HTTP {status})", answer=text, code=str(status)
        ) from None
    except urllib.error.URLError as error:
        reason: Any = error.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise PermanentFailure(
                f"{panel} at {server.hostname} shows a certificate we do not trust "
                f"({reason.verify_message}); name its CA in the server's ca_file",
                answer=str(reason),
            ) from None
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise TemporaryFailure(
                f"{panel} at {server.hostname} did not answer in {timeout:g} s",
                answer=str(reason),
            ) from None
        raise TemporaryFailure(
            f"{panel} at {server.hostname} is unreachable: {reason}", answer=str(reason)
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise PermanentFailure(
            f"{panel} at {server.hostname} shows a certificate we do not trust "
            f"({error.verify_message}); name its CA in the server's ca_file",
            answer=str(error),
        ) from None
    except TimeoutError as error:
        raise TemporaryFailure(
            f"{panel} at {server.hostname} did not answer in {timeout:g} s", answer=str(error)
        ) from None
    except (ConnectionError, OSError) as error:
        raise TemporaryFailure(
            f"{panel} at {server.hostname} is unreachable: {error}", answer=str(error)
        ) from None


def check_plan(settings: dict[str, Any], known: tuple[str, ...]) -> None:
    """The settings both panel modules share: ``plan`` required, nothing unknown."""
    from django.core.exceptions import ValidationError

    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValidationError(
            f"Unknown setting {unknown[0]!r}; this module understands: {', '.join(known)}."
        )
    plan = settings.get("plan")
    if not isinstance(plan, str) or not plan.strip():
        raise ValidationError("The plan (the panel's plan or package name) is required.")
    if len(plan) > 255 or any(ord(ch) < 32 for ch in plan):
        raise ValidationError("The plan name must be one line of at most 255 characters.")
