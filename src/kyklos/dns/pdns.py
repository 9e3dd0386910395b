"""A small client of the PowerDNS Authoritative HTTP API (``/api/v1``), with ``requests``.

Only what Kyklos needs: read a zone, create it, replace or delete RRsets (PATCH), delete
the zone. Settings: ``KYKLOS_PDNS_API_URL``, ``KYKLOS_PDNS_API_KEY``,
``KYKLOS_PDNS_SERVER_ID``; a missing or malformed value is a one-line
:class:`PdnsConfigError`. A 5xx answer or a network error is a :class:`PdnsTemporary`, any
other refusal a :class:`PdnsRefused`; each carries the request and PowerDNS's answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TIMEOUT = 10


class PdnsConfigError(ImproperlyConfigured):
    """The settings do not describe a usable PowerDNS API."""


class PdnsError(Exception):
    def __init__(self, message: str, *, request: str = "", response: str = "", status: int = 0):
        super().__init__(message)
        self.request = request
        self.response = response
        self.status = status


class PdnsTemporary(PdnsError):
    """Try again later: PowerDNS is down, slow or failed on its side."""


class PdnsRefused(PdnsError):
    """PowerDNS refused the request (4xx): sending it again will not help."""


@dataclass(frozen=True)
class Api:
    url: str
    key: str
    server: str


def api() -> Api:
    """The API's settings, checked: an http(s) URL, a key, a server id."""
    url = (getattr(settings, "KYKLOS_PDNS_API_URL", "") or "").strip().rstrip("/")
    key = (getattr(settings, "KYKLOS_PDNS_API_KEY", "") or "").strip()
    server = (getattr(settings, "KYKLOS_PDNS_SERVER_ID", "") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PdnsConfigError(
            f"KYKLOS_PDNS_API_URL must be the http(s) address of the PowerDNS API, not {url!r}."
        )
    if not key:
        raise PdnsConfigError("KYKLOS_PDNS_API_KEY is empty: set the PowerDNS API key.")
    if not server or "/" in server:
        raise PdnsConfigError(
            "KYKLOS_PDNS_SERVER_ID must be a PowerDNS server id such as 'localhost', "
            f"not {server!r}."
        )
    if not url.endswith("/api/v1"):
        url += "/api/v1"
    return Api(url, key, server)


def canonical(name: str) -> str:
    """``example.com`` → ``example.com.`` (PowerDNS's zone and RRset names)."""
    return name.rstrip(".").lower() + "."


class Client:
    def __init__(self, config: Api | None = None):
        self.config = config or api()
        self.session = requests.Session()
        self.session.headers.update({"X-API-Key": self.config.key, "Accept": "application/json"})

    def _zone_url(self, zone: str = "") -> str:
        base = f"{self.config.url}/servers/{quote(self.config.server)}/zones"
        return f"{base}/{quote(canonical(zone))}" if zone else base

    def _call(self, method: str, url: str, body=None, *, allow_404: bool = False):
        request = f"{method} {url}" + (
            f"\n{json.dumps(body, indent=1)}" if body is not None else ""
        )
        try:
            answer = self.session.request(method, url, json=body, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise PdnsTemporary(
                f"PowerDNS at {self.config.url} did not answer: {type(error).__name__}: {error}",
                request=request,
            ) from None
        text = answer.text
        if allow_404 and answer.status_code == 404:
            return None, request, text
        if answer.status_code >= 500:
            raise PdnsTemporary(
                f"PowerDNS answered {answer.status_code}: {_error(text)}",
                request=request,
                response=text,
                status=answer.status_code,
            )
        if answer.status_code >= 400:
            raise PdnsRefused(
                f"PowerDNS refused ({answer.status_code}): {_error(text)}",
                request=request,
                response=text,
                status=answer.status_code,
            )
        return (answer.json() if text.strip() else None), request, text

    def get_zone(self, name: str):
        """The zone with its RRsets, or None when PowerDNS has no such zone."""
        data, _request, _text = self._call("GET", self._zone_url(name), allow_404=True)
        if data is None:
            return None
        return data

    def create_zone(self, name: str, rrsets: list[dict]) -> tuple[str, str]:
        body = {
            "name": canonical(name),
            "kind": "Native",
            "soa_edit_api": "DEFAULT",
            "nameservers": [],
            "rrsets": rrsets,
        }
        _data, request, text = self._call("POST", self._zone_url(), body)
        return request, text

    def patch_rrsets(self, name: str, rrsets: list[dict]) -> tuple[str, str]:
        _data, request, text = self._call("PATCH", self._zone_url(name), {"rrsets": rrsets})
        return request, text

    def delete_zone(self, name: str) -> tuple[str, str]:
        _data, request, text = self._call("DELETE", self._zone_url(name), allow_404=True)
        return request, text


def _error(text: str) -> str:
    try:
        return str(json.loads(text).get("error") or text)[:500]
    except (ValueError, AttributeError):
        return (text or "").strip()[:500] or "no answer body"
