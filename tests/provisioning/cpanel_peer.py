"""A local stand-in for cPanel & WHM's WHM API 1, stateful, for the module's contract tests.

It serves ``/json-api/<function>`` and checks each request the way the published WHM API 1
reference describes it (api.docs.cpanel.net, see decision 0033):

- ``api.version=1`` in the query string (without it WHM speaks API 0, another shape: the
  peer records a violation and answers HTTP 400);
- ``Authorization: whm <user>:<token>`` of a known token — otherwise HTTP 401 "Access
  denied";
- the function's required parameters, as a form body (POST) — otherwise ``metadata.result``
  0 with the reason naming the missing argument;
- the documented refusals with ``metadata.result`` 0 and a ``reason``: a user or domain
  that already exists, an unknown package, an unknown user, a password too weak.

Every answer has ``metadata`` with ``command``, ``reason``, ``result`` and ``version`` 1.
State: accounts by user (domain, package, suspended, disk used), packages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from tests.provisioning.panel_peer import PanelPeer, Seen

REQUIRED = {
    "createacct": ("username", "domain"),
    "suspendacct": ("user",),
    "unsuspendacct": ("user",),
    "removeacct": ("user",),
    "changepackage": ("user", "pkg"),
    "passwd": ("user", "password"),
    "accountsummary": ("user",),
}


@dataclass
class WhmAccount:
    user: str
    domain: str
    plan: str
    password: str
    email: str = ""
    suspended: bool = False
    suspend_reason: str = ""
    diskused: str = "0M"


@dataclass
class WhmState:
    accounts: dict[str, WhmAccount] = field(default_factory=dict)
    packages: set[str] = field(default_factory=lambda: {"default"})


class Refused(Exception):
    pass


class CPanelPeer(PanelPeer):
    def __init__(self, *, user="root", token="TOKEN123", packages=("basic", "pro"), **kw):
        super().__init__(**kw)
        self.user, self.token = user, token
        self.state = WhmState(packages=set(packages))
        self.violations: list[str] = []

    def answer(self, seen: Seen) -> tuple[int, str, str]:
        url = urlparse(seen.path)
        if not url.path.startswith("/json-api/"):
            return 404, "text/html", "<h1>Not Found</h1>"
        function = url.path.removeprefix("/json-api/")
        query = parse_qs(url.query)
        if query.get("api.version") != ["1"]:
            self.violations.append(f"{function} without api.version=1")
            return 400, "text/plain", "api.version=1 missing"
        if seen.headers.get("authorization") != f"whm {self.user}:{self.token}":
            return 401, "text/plain", "Access denied"
        if seen.method != "POST":
            self.violations.append(f"{function} by {seen.method}: parameters belong in a body")
        content_type = seen.headers.get("content-type", "")
        if seen.body and not content_type.startswith("application/x-www-form-urlencoded"):
            self.violations.append(f"{function} body sent as {content_type}")
        params = {k: v[-1] for k, v in parse_qs(seen.body.decode(), keep_blank_values=True).items()}
        handler = getattr(self, f"_{function}", None)
        if handler is None:
            return self._reply(
                function,
                0,
                f'Unknown app ("{function}") requested for this version (1) of the API.',
            )
        missing = [name for name in REQUIRED[function] if not params.get(name)]
        if missing:
            return self._reply(
                function, 0, f'No {missing[0]} supplied: "{missing[0]}" is a required argument.'
            )
        try:
            reason, data, output = handler(params)
        except Refused as refused:
            return self._reply(function, 0, str(refused))
        return self._reply(function, 1, reason, data=data, output=output)

    @staticmethod
    def _reply(function, result, reason, *, data=None, output=None) -> tuple[int, str, str]:
        metadata = {"command": function, "reason": reason, "result": result, "version": 1}
        if output is not None:
            metadata["output"] = {"raw": output}
        body: dict = {"metadata": metadata}
        if data is not None:
            body["data"] = data
        return 200, "application/json", json.dumps(body)

    def _account(self, user: str) -> WhmAccount:
        if user not in self.state.accounts:
            raise Refused(f"The user “{user}” does not exist.")
        return self.state.accounts[user]

    def _createacct(self, p):
        user, domain = p["username"], p["domain"]
        if user in self.state.accounts:
            raise Refused(f"The account “{user}” already exists.")
        if any(a.domain == domain for a in self.state.accounts.values()):
            raise Refused(f"The domain “{domain}” already exists in the userdata.")
        plan = p.get("plan") or "default"
        if plan not in self.state.packages:
            raise Refused(f"The package “{plan}” does not exist.")
        self.state.accounts[user] = WhmAccount(
            user, domain, plan, p.get("password", ""), p.get("contactemail", "")
        )
        data = {"nameserver": "ns1.example.net", "ip": "192.0.2.10", "package": plan}
        return "Account Creation Ok", data, f"Account Creation Complete for {user}"

    def _suspendacct(self, p):
        account = self._account(p["user"])
        account.suspended, account.suspend_reason = True, p.get("reason", "Unknown")
        return "OK", None, f"{account.user}'s account has been suspended"

    def _unsuspendacct(self, p):
        account = self._account(p["user"])
        account.suspended = False
        return "OK", None, f"{account.user}'s account is now active"

    def _removeacct(self, p):
        if p["user"] not in self.state.accounts:
            raise Refused(f"System user {p['user']} does not exist!")
        del self.state.accounts[p["user"]]
        return "OK", None, f"{p['user']} account removed"

    def _changepackage(self, p):
        account = self._account(p["user"])
        if p["pkg"] not in self.state.packages:
            raise Refused("Specified package does not exist.")
        account.plan = p["pkg"]
        return f"Account Upgrade/Downgrade Complete for {account.user}", None, None

    def _passwd(self, p):
        account = self._account(p["user"])
        if len(p["password"]) < 8:
            raise Refused(
                "Sorry, the password you selected cannot be used because it is too weak and "
                "would be too easy to guess."
            )
        account.password = p["password"]
        return "Password changed for user", {"app": []}, None

    def _accountsummary(self, p):
        if p["user"] not in self.state.accounts:
            raise Refused("Account does not exist.")
        a = self.state.accounts[p["user"]]
        acct = {
            "user": a.user,
            "domain": a.domain,
            "plan": a.plan,
            "email": a.email,
            "suspended": int(a.suspended),
            "suspendreason": a.suspend_reason if a.suspended else "not suspended",
            "diskused": a.diskused,
            "disklimit": "unlimited",
        }
        return "OK", {"acct": [acct]}, None
