"""Plesk through its XML API (``POST /enterprise/control/agent.php``, port 8443).

Written against Plesk's published XML API reference (docs.plesk.com, "XML API" → "Reference";
see decision 0033): every call is one ``<packet>`` with one operator and one operation, sent
with ``Content-Type: text/xml`` and either ``HTTP_AUTH_LOGIN``/``HTTP_AUTH_PASSWD`` (the
server's username and secret) or ``KEY`` (a secret key, when the server has no username).

A Kyklos hosting service is a Plesk *customer* (login = the account's username) owning one
*subscription* (``<webspace>``) named after the account's domain and bound to a service plan:

========================  ===============================================================
operation                 packets
========================  ===============================================================
create                    ``<customer><add>``, then ``<webspace><add>`` with ``plan-name``
suspend / unsuspend       ``<webspace><set>`` ``<gen_setup><status>`` 16 / 0
terminate                 ``<webspace><del>``, then ``<customer><del>``
change_plan               ``<service-plan><get>`` (the plan's guid), ``<switch-subscription>``
reset_password            ``<customer><set>`` ``<gen_info><passwd>``
usage                     ``<webspace><get>`` with ``<gen_info/>`` and ``<stat/>``
========================  ===============================================================

Answers: an error in ``<system>`` (authentication 1001, malformed packet 1014, …) or in an
operation's ``<result>`` (``<status>error</status>``, ``<errcode>``, ``<errtext>``) is a
PermanentFailure keeping the packet, except the codes in ``TEMPORARY_CODES``; on create
1007 ("already exists") means an earlier attempt got there — the existing object is read
back and, when it is ours, returned as a success; on terminate 1013 ("does not exist") is a
success.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from lxml import etree

from kyklos.provisioning import modules
from kyklos.provisioning.modules import panel_http
from kyklos.provisioning.modules.base import (
    Account,
    PermanentFailure,
    ProvisioningModule,
    Server,
    TemporaryFailure,
    Usage,
)

PATH = "/enterprise/control/agent.php"
DEFAULT_PORT = 8443

ALREADY_EXISTS = "1007"
NOT_FOUND = "1013"
#: Plesk codes worth trying again: "agent initialization failed" (the panel is starting)
TEMPORARY_CODES = frozenset({"1003"})
#: objectStatus values (plesk_common.xsd): 0 active, 16 disabled by the administrator
ACTIVE, SUSPENDED = "0", "16"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _el(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


class PleskError(PermanentFailure):
    pass


class Plesk(ProvisioningModule):
    code = "plesk"
    label = "Plesk (XML API)"
    settings_help = {
        "plan": "the Plesk service plan's name for new subscriptions",
    }

    # -- settings ---------------------------------------------------------------------
    def check_settings(self, settings: dict[str, Any]) -> None:
        panel_http.check_plan(settings, tuple(self.settings_help))

    # -- transport --------------------------------------------------------------------
    def _call(self, server: Server, operator: str, operation: str, build) -> etree._Element:
        """Send one operation and return its first ``<result>`` when its status is ok."""
        packet = etree.Element("packet")
        op = _el(_el(packet, operator), operation)
        build(op)
        body = etree.tostring(packet, xml_declaration=True, encoding="UTF-8")
        headers = {"Content-Type": "text/xml", "HTTP_PRETTY_PRINT": "FALSE"}
        if server.username:
            headers["HTTP_AUTH_LOGIN"] = server.username
            headers["HTTP_AUTH_PASSWD"] = server.secret
        else:
            headers["KEY"] = server.secret
        url = panel_http.base_url(server, DEFAULT_PORT) + PATH
        reply = panel_http.post(server, url, body, headers, panel="Plesk")
        return self._result(reply.text, operator, operation)

    @staticmethod
    def _result(text: str, operator: str, operation: str) -> etree._Element:
        try:
            root = etree.fromstring(text.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError:
            raise TemporaryFailure(
                "Plesk answered something that is not an XML packet", answer=text[:20000]
            ) from None
        system = root.find("system")
        result = system if system is not None else root.find(f"{operator}/{operation}/result")
        if result is None:
            raise PermanentFailure(
                f"Plesk's answer has no {operator}/{operation} result", answer=text[:20000]
            )
        if (result.findtext("status") or "").strip() == "ok":
            return result
        code = (result.findtext("errcode") or "").strip()
        message = (result.findtext("errtext") or "").strip() or "no error text"
        failure = TemporaryFailure if code in TEMPORARY_CODES else PleskError
        raise failure(f"Plesk error {code}: {message}", answer=text[:20000], code=code)

    # -- reads ------------------------------------------------------------------------
    def _webspace(self, server: Server, domain: str, *datasets: str) -> etree._Element:
        def build(op):
            _el(_el(op, "filter"), "name", domain)
            dataset = _el(op, "dataset")
            for name in datasets or ("gen_info",):
                _el(dataset, name)

        return self._call(server, "webspace", "get", build)

    def _customer_id(self, server: Server, login: str) -> str:
        def build(op):
            _el(_el(op, "filter"), "login", login)
            _el(_el(op, "dataset"), "gen_info")

        return self._call(server, "customer", "get", build).findtext("id") or ""

    def _plan_guid(self, server: Server, plan: str) -> str:
        def build(op):
            _el(_el(op, "filter"), "name", plan)

        try:
            result = self._call(server, "service-plan", "get", build)
        except PleskError as error:
            if error.code == NOT_FOUND:
                raise PleskError(
                    f"Plesk has no service plan {plan!r}", answer=error.answer, code=error.code
                ) from None
            raise
        return result.findtext("guid") or ""

    # -- operations -------------------------------------------------------------------
    def create(self, server: Server, account: Account) -> dict[str, Any]:
        if not account.domain:
            raise PermanentFailure("a Plesk subscription needs the account's domain")
        ip = str(server.settings.get("ip_address", "")).strip()
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise PermanentFailure(
                f"server {server.hostname} needs an ip_address setting for new subscriptions"
            ) from None

        def add_customer(op):
            info = _el(op, "gen_info")
            _el(info, "pname", account.username)
            _el(info, "login", account.username)
            _el(info, "passwd", account.password)
            _el(info, "email", account.contact_email)

        try:
            customer_id = self._call(server, "customer", "add", add_customer).findtext("id")
        except PleskError as error:
            if error.code != ALREADY_EXISTS:
                raise
            customer_id = self._customer_id(server, account.username)

        def add_webspace(op):
            setup = _el(op, "gen_setup")
            _el(setup, "name", account.domain)
            _el(setup, "owner-login", account.username)
            _el(setup, "htype", "vrt_hst")
            _el(setup, "ip_address", ip)
            _el(setup, "status", ACTIVE)
            hosting = _el(_el(op, "hosting"), "vrt_hst")
            for name, value in (
                ("ftp_login", account.username),
                ("ftp_password", account.password),
            ):
                prop = _el(hosting, "property")
                _el(prop, "name", name)
                _el(prop, "value", value)
            _el(hosting, "ip_address", ip)
            _el(op, "plan-name", account.plan)

        try:
            result = self._call(server, "webspace", "add", add_webspace)
        except PleskError as error:
            if error.code != ALREADY_EXISTS:
                raise
            result = self._webspace(server, account.domain)
            owner = result.findtext("data/gen_info/owner-login") or ""
            if owner != account.username:
                raise PleskError(
                    f"the subscription {account.domain} belongs to another Plesk customer "
                    f"({owner or 'unknown'})",
                    answer=error.answer,
                    code=error.code,
                ) from None
        return {
            "customer_id": customer_id or "",
            "webspace_id": result.findtext("id") or "",
            "guid": result.findtext("guid") or result.findtext("data/gen_info/guid") or "",
        }

    def _set_status(self, server: Server, account: Account, status: str) -> None:
        def build(op):
            _el(_el(op, "filter"), "name", account.domain)
            _el(_el(_el(op, "values"), "gen_setup"), "status", status)

        self._call(server, "webspace", "set", build)

    def suspend(self, server: Server, account: Account, *, reason: str) -> None:
        self._set_status(server, account, SUSPENDED)

    def unsuspend(self, server: Server, account: Account) -> None:
        self._set_status(server, account, ACTIVE)

    def terminate(self, server: Server, account: Account) -> None:
        for operator, field, value in (
            ("webspace", "name", account.domain),
            ("customer", "login", account.username),
        ):
            if not value:
                continue
            try:
                self._call(
                    server,
                    operator,
                    "del",
                    lambda op, field=field, value=value: _el(_el(op, "filter"), field, value),
                )
            except PleskError as error:
                if error.code != NOT_FOUND:
                    raise

    def change_plan(self, server: Server, account: Account, *, previous_plan: str) -> None:
        guid = self._plan_guid(server, account.plan)

        def build(op):
            _el(_el(op, "filter"), "name", account.domain)
            _el(op, "plan-guid", guid)

        self._call(server, "webspace", "switch-subscription", build)

    def reset_password(self, server: Server, account: Account) -> None:
        if not account.password:
            raise PermanentFailure("no new password given")

        def build(op):
            _el(_el(op, "filter"), "login", account.username)
            _el(_el(_el(op, "values"), "gen_info"), "passwd", account.password)

        self._call(server, "customer", "set", build)

    def usage(self, server: Server, account: Account) -> Usage:
        result = self._webspace(server, account.domain, "gen_info", "stat")

        def number(path: str) -> float | None:
            text = result.findtext(path)
            try:
                return float(text) if text not in (None, "") else None
            except ValueError:
                return None

        size = number("data/gen_info/real_size")
        traffic = number("data/stat/traffic")
        boxes = number("data/stat/box")
        return Usage(
            disk_mb=None if size is None else round(size / 1048576, 2),
            traffic_mb=None if traffic is None else round(traffic / 1048576, 2),
            mailboxes=None if boxes is None else int(boxes),
            extra={"status": result.findtext("data/gen_info/status") or ""},
        )


modules.register(Plesk)
