"""cPanel & WHM through WHM API 1 (``/json-api/<function>?api.version=1``, port 2087).

Written against cPanel's published WHM API 1 reference (api.docs.cpanel.net, see decision
0033). Every call is a POST of the function's parameters as a form body, with
``api.version=1`` in the query string and the header ``Authorization: whm user:token`` (an
API token made in WHM). WHM answers JSON whose ``metadata`` carries ``result`` (1 done, 0
refused) and ``reason``; ``data`` holds the function's output.

========================  =========================================================
operation                 function
========================  =========================================================
create                    ``createacct`` (username, domain, plan, password, contactemail)
suspend / unsuspend       ``suspendacct`` (with the reason) / ``unsuspendacct``
terminate                 ``removeacct``
change_plan               ``changepackage`` (user, pkg)
reset_password            ``passwd`` (user, password)
usage                     ``accountsummary`` (diskused, suspended, plan)
========================  =========================================================

``result`` 0 is a PermanentFailure keeping the answer, with these exceptions read from the
``reason`` (patterns in ``IDEMPOTENT``, as data): on create an account that "already
exists" is read back with ``accountsummary`` and is a success when its domain is ours; a
suspension of a suspended account, and removing an account that "does not exist", are
successes. An answer that is not JSON (cpsrvd restarting serves an HTML page) is temporary.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

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

DEFAULT_PORT = 2087

#: reasons (by function) that mean "already done": the operation is a success
IDEMPOTENT: dict[str, re.Pattern[str]] = {
    "createacct": re.compile(r"already exists", re.IGNORECASE),
    "suspendacct": re.compile(r"already suspended", re.IGNORECASE),
    "unsuspendacct": re.compile(r"is not suspended", re.IGNORECASE),
    "removeacct": re.compile(r"does not exist", re.IGNORECASE),
}

_SIZE = re.compile(r"^\s*([\d.]+)\s*([KMGT]?)\s*$", re.IGNORECASE)
_MB = {"": 1 / 1048576, "K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1048576.0}


class WhmRefused(PermanentFailure):
    pass


def _megabytes(text: Any) -> float | None:
    """WHM's sizes ("14M", "1.5G", "unlimited") in MB; ``None`` when it is not a size."""
    match = _SIZE.match(str(text or ""))
    if not match:
        return None
    return round(float(match.group(1)) * _MB[match.group(2).upper()], 2)


class CPanel(ProvisioningModule):
    code = "cpanel"
    label = "cPanel & WHM (WHM API 1)"
    settings_help = {
        "plan": "the WHM package's name for new accounts",
    }

    def check_settings(self, settings: dict[str, Any]) -> None:
        panel_http.check_plan(settings, tuple(self.settings_help))

    def _call(self, server: Server, function: str, **params: str) -> dict[str, Any]:
        """Call one WHM API 1 function; its parsed answer when ``metadata.result`` is 1."""
        if not server.username:
            raise PermanentFailure(f"server {server.hostname} needs the WHM user name")
        url = (
            panel_http.base_url(server, DEFAULT_PORT)
            + f"/json-api/{function}?"
            + urllib.parse.urlencode({"api.version": "1"})
        )
        body = urllib.parse.urlencode(params).encode()
        headers = {
            "Authorization": f"whm {server.username}:{server.secret}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        reply = panel_http.post(server, url, body, headers, panel="WHM")
        try:
            answer = json.loads(reply.text)
            metadata = answer["metadata"]
            result = int(metadata["result"])
        except (ValueError, KeyError, TypeError):
            raise TemporaryFailure(
                f"WHM's answer to {function} is not a WHM API 1 answer", answer=reply.text[:20000]
            ) from None
        if result == 1:
            return answer
        reason = str(metadata.get("reason") or "no reason given")
        raise WhmRefused(
            f"WHM refused {function}: {reason}", answer=reply.text[:20000], code=function
        )

    def _idempotent(self, server: Server, function: str, **params: str) -> bool:
        """Call ``function``; ``False`` when WHM says it was already done."""
        try:
            self._call(server, function, **params)
        except WhmRefused as error:
            if IDEMPOTENT[function].search(str(error)):
                return False
            raise
        return True

    def _summary(self, server: Server, username: str) -> dict[str, Any]:
        answer = self._call(server, "accountsummary", user=username)
        accounts = (answer.get("data") or {}).get("acct") or []
        if not accounts:
            raise WhmRefused(
                f"WHM has no account {username}", answer=json.dumps(answer), code="accountsummary"
            )
        return accounts[0]

    # -- operations -------------------------------------------------------------------
    def create(self, server: Server, account: Account) -> dict[str, Any]:
        if not account.domain:
            raise PermanentFailure("a cPanel account needs the account's domain")
        params = {
            "username": account.username,
            "domain": account.domain,
            "plan": account.plan,
            "password": account.password,
            "contactemail": account.contact_email,
        }
        try:
            self._call(server, "createacct", **params)
        except WhmRefused as refused:
            if not IDEMPOTENT["createacct"].search(str(refused)):
                raise
            # An earlier attempt may have got there: ours only when the user has our domain
            # (the same refusal also means "the domain belongs to someone else").
            try:
                existing = self._summary(server, account.username)
            except WhmRefused:
                raise refused from None
            if existing.get("domain") != account.domain:
                raise WhmRefused(
                    f"the WHM account {account.username} exists for another domain "
                    f"({existing.get('domain') or 'unknown'})",
                    answer=refused.answer,
                    code="createacct",
                ) from None
        return {"user": account.username, "domain": account.domain}

    def suspend(self, server: Server, account: Account, *, reason: str) -> None:
        self._idempotent(server, "suspendacct", user=account.username, reason=reason[:250])

    def unsuspend(self, server: Server, account: Account) -> None:
        self._idempotent(server, "unsuspendacct", user=account.username)

    def terminate(self, server: Server, account: Account) -> None:
        self._idempotent(server, "removeacct", user=account.username)

    def change_plan(self, server: Server, account: Account, *, previous_plan: str) -> None:
        self._call(server, "changepackage", user=account.username, pkg=account.plan)

    def reset_password(self, server: Server, account: Account) -> None:
        if not account.password:
            raise PermanentFailure("no new password given")
        self._call(server, "passwd", user=account.username, password=account.password)

    def usage(self, server: Server, account: Account) -> Usage:
        summary = self._summary(server, account.username)
        return Usage(
            disk_mb=_megabytes(summary.get("diskused")),
            extra={
                "suspended": bool(int(summary.get("suspended") or 0)),
                "plan": summary.get("plan", ""),
            },
        )


modules.register(CPanel)
