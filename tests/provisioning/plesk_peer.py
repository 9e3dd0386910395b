"""A local stand-in for Plesk's XML API, stateful, for the module's contract tests.

It serves ``POST /enterprise/control/agent.php`` only and checks each request the way the
published XML API reference describes it (docs.plesk.com, see decision 0033):

- ``Content-Type: text/xml``; ``HTTP_AUTH_LOGIN`` + ``HTTP_AUTH_PASSWD`` of the
  administrator, or ``KEY`` with the secret key — otherwise the ``<system>`` error 1001
  "Authentication failed - wrong password." (Plesk answers it with HTTP 200);
- a well-formed ``<packet>`` with exactly one operator and one operation, and the nodes the
  operation requires — otherwise the ``<system>`` error 1014 "Parsing error: wrong format of
  XML request.";
- per operation, the documented result errors: 1007 "already exists" (duplicate customer
  login or subscription name), 1013 "does not exist" (unknown customer, subscription or
  service plan), 1015 "Object owner not found", 1019 "Invalid value" (a bad status).

State: customers by login, subscriptions by name (owner, plan, status, sizes), service plans
by name with their guid.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from lxml import etree

from tests.provisioning.panel_peer import PanelPeer, Seen

PATH = "/enterprise/control/agent.php"
ERRORS = {
    "1001": "Authentication failed - wrong password.",
    "1003": "Agent initialization failed.",
    "1007": "Inserted data already exists.",
    "1013": "Object does not exist/Unknown service.",
    "1014": "Parsing error: wrong format of XML request.",
    "1015": "Object owner not found.",
    "1019": "Invalid value.",
}
STATUSES = {"0", "8", "16", "32", "64"}


class Malformed(Exception):
    pass


class Refused(Exception):
    def __init__(self, code: str, text: str = ""):
        super().__init__(code)
        self.code = code
        self.text = text or ERRORS[code]


@dataclass
class Customer:
    id: int
    login: str
    password: str
    email: str


@dataclass
class Subscription:
    id: int
    guid: str
    name: str
    owner: str
    plan: str
    status: str = "0"
    real_size: int = 0
    traffic: int = 0
    boxes: int = 0


@dataclass
class PleskState:
    customers: dict[str, Customer] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)  # name → guid
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))


def _text(node: etree._Element, path: str, *, required: bool = True) -> str:
    value = node.findtext(path)
    if value is None or (required and not value.strip()):
        if required:
            raise Malformed(path)
        return ""
    return value.strip()


class PleskPeer(PanelPeer):
    def __init__(self, *, login="admin", password="s3cret", key="", plans=("Basic", "Pro"), **kw):
        super().__init__(**kw)
        self.login, self.password, self.key = login, password, key
        self.state = PleskState(plans={name: str(uuid.uuid4()) for name in plans})
        #: system errors to answer the next requests with (e.g. "1003", the panel starting)
        self.system_errors: list[str] = []

    # -- answers ---------------------------------------------------------------------
    @staticmethod
    def _packet(inner: str) -> tuple[int, str, str]:
        return (
            200,
            "text/xml",
            f'<?xml version="1.0" encoding="UTF-8"?><packet version="1.6.9.1">{inner}</packet>',
        )

    def _system_error(self, code: str) -> tuple[int, str, str]:
        return self._packet(
            f"<system><status>error</status><errcode>{code}</errcode>"
            f"<errtext>{ERRORS[code]}</errtext></system>"
        )

    def answer(self, seen: Seen) -> tuple[int, str, str]:
        if self.system_errors:
            return self._system_error(self.system_errors.pop(0))
        if seen.method != "POST" or seen.path != PATH:
            return 404, "text/html", "<h1>Not Found</h1>"
        if seen.headers.get("content-type", "").split(";")[0].strip() != "text/xml":
            return self._system_error("1014")
        login, password = seen.headers.get("http_auth_login"), seen.headers.get("http_auth_passwd")
        key = seen.headers.get("key")
        by_password = login == self.login and password == self.password
        by_key = bool(self.key) and key == self.key and login is None
        if not (by_password or by_key):
            return self._system_error("1001")
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            root = etree.fromstring(seen.body, parser)
            if root.tag != "packet" or len(root) != 1 or len(root[0]) != 1:
                raise Malformed("packet")
            operator, operation = root[0], root[0][0]
            handler = getattr(self, f"_{operator.tag}_{operation.tag}".replace("-", "_"), None)
            if handler is None:
                raise Malformed(f"{operator.tag}/{operation.tag}")
            try:
                inner = "<status>ok</status>" + handler(operation)
            except Refused as refused:
                inner = (
                    f"<status>error</status><errcode>{refused.code}</errcode>"
                    f"<errtext>{refused.text}</errtext>"
                )
        except (etree.XMLSyntaxError, Malformed):
            return self._system_error("1014")
        return self._packet(
            f"<{operator.tag}><{operation.tag}><result>{inner}</result>"
            f"</{operation.tag}></{operator.tag}>"
        )

    # -- customer ----------------------------------------------------------------------
    def _customer(self, operation) -> Customer:
        login = _text(operation, "filter/login")
        if login not in self.state.customers:
            raise Refused("1013", "Client does not exist")
        return self.state.customers[login]

    def _customer_add(self, op) -> str:
        login = _text(op, "gen_info/login")
        _text(op, "gen_info/pname")
        password = _text(op, "gen_info/passwd")
        if login in self.state.customers:
            raise Refused("1007", f"Client with login {login} already exists.")
        customer = Customer(
            next(self.state.ids), login, password, _text(op, "gen_info/email", required=False)
        )
        self.state.customers[login] = customer
        return f"<id>{customer.id}</id><guid>{uuid.uuid4()}</guid>"

    def _customer_get(self, op) -> str:
        customer = self._customer(op)
        return (
            f"<filter-id>{customer.login}</filter-id><id>{customer.id}</id>"
            f"<data><gen_info><login>{customer.login}</login></gen_info></data>"
        )

    def _customer_set(self, op) -> str:
        customer = self._customer(op)
        customer.password = _text(op, "values/gen_info/passwd")
        return f"<filter-id>{customer.login}</filter-id><id>{customer.id}</id>"

    def _customer_del(self, op) -> str:
        customer = self._customer(op)
        if any(s.owner == customer.login for s in self.state.subscriptions.values()):
            raise Refused("1023", "Operation failed: the client still owns subscriptions.")
        del self.state.customers[customer.login]
        return f"<filter-id>{customer.login}</filter-id><id>{customer.id}</id>"

    # -- webspace ----------------------------------------------------------------------
    def _subscription(self, op) -> Subscription:
        name = _text(op, "filter/name")
        if name not in self.state.subscriptions:
            raise Refused("1013", "Webspace does not exist")
        return self.state.subscriptions[name]

    def _webspace_add(self, op) -> str:
        name = _text(op, "gen_setup/name")
        owner = _text(op, "gen_setup/owner-login")
        if _text(op, "gen_setup/htype") != "vrt_hst":
            raise Malformed("htype")
        _text(op, "gen_setup/ip_address")
        props = {
            p.findtext("name"): p.findtext("value") for p in op.findall("hosting/vrt_hst/property")
        }
        if not props.get("ftp_login") or not props.get("ftp_password"):
            raise Malformed("hosting/vrt_hst/property")
        plan = _text(op, "plan-name")
        if name in self.state.subscriptions:
            raise Refused("1007", f"Domain {name} already exists.")
        if owner not in self.state.customers:
            raise Refused("1015")
        if plan not in self.state.plans:
            raise Refused("1013", f"Service plan {plan} does not exist.")
        sub = Subscription(next(self.state.ids), str(uuid.uuid4()), name, owner, plan)
        self.state.subscriptions[name] = sub
        return f"<id>{sub.id}</id><guid>{sub.guid}</guid>"

    def _webspace_get(self, op) -> str:
        sub = self._subscription(op)
        datasets = (
            {child.tag for child in op.find("dataset")} if op.find("dataset") is not None else set()
        )
        if not datasets:
            raise Malformed("dataset")
        data = ""
        if "gen_info" in datasets:
            data += (
                f"<gen_info><cr_date>2026-01-01</cr_date><name>{sub.name}</name>"
                f"<ascii-name>{sub.name}</ascii-name><status>{sub.status}</status>"
                f"<real_size>{sub.real_size}</real_size><owner-login>{sub.owner}</owner-login>"
                f"<guid>{sub.guid}</guid></gen_info>"
            )
        if "stat" in datasets:
            data += f"<stat><traffic>{sub.traffic}</traffic><box>{sub.boxes}</box></stat>"
        return f"<filter-id>{sub.name}</filter-id><id>{sub.id}</id><data>{data}</data>"

    def _webspace_set(self, op) -> str:
        sub = self._subscription(op)
        status = _text(op, "values/gen_setup/status")
        if status not in STATUSES:
            raise Refused("1019")
        sub.status = status
        return f"<filter-id>{sub.name}</filter-id><id>{sub.id}</id>"

    def _webspace_del(self, op) -> str:
        sub = self._subscription(op)
        del self.state.subscriptions[sub.name]
        return f"<filter-id>{sub.name}</filter-id><id>{sub.id}</id>"

    def _webspace_switch_subscription(self, op) -> str:
        sub = self._subscription(op)
        guid = _text(op, "plan-guid")
        names = [name for name, g in self.state.plans.items() if g == guid]
        if not names:
            raise Refused("1013", "Service plan does not exist.")
        sub.plan = names[0]
        return f"<filter-id>{sub.name}</filter-id><id>{sub.id}</id>"

    # -- service-plan ------------------------------------------------------------------
    def _service_plan_get(self, op) -> str:
        name = _text(op, "filter/name")
        if name not in self.state.plans:
            raise Refused("1013", "Service plan does not exist.")
        guid = self.state.plans[name]
        return f"<filter-id>{name}</filter-id><id>1</id><name>{name}</name><guid>{guid}</guid>"
