"""A provisioning module for the job tests: it records calls and fails on demand."""

from __future__ import annotations

from collections import Counter

from kyklos.provisioning import modules
from kyklos.provisioning.modules.base import (
    PermanentFailure,
    ProvisioningModule,
    TemporaryFailure,
    Usage,
)


class FakeModule(ProvisioningModule):
    code = "fake"
    label = "Fake"
    calls: list[tuple[str, str]] = []
    accounts: dict[str, dict] = {}
    failures: Counter = Counter()  # action → temporary failures still to give
    refuse: set[str] = set()  # actions refused for good

    @classmethod
    def reset(cls):
        cls.calls.clear()
        cls.accounts.clear()
        cls.failures.clear()
        cls.refuse.clear()

    def _do(self, action, account):
        self.calls.append((action, account.username))
        if action in self.refuse:
            raise PermanentFailure("plan not allowed", answer="<error code='1007'>plan</error>")
        if self.failures[action] > 0:
            self.failures[action] -= 1
            raise TemporaryFailure("server busy", answer="503 Service Unavailable")

    def create(self, server, account):
        self._do("create", account)
        self.accounts.setdefault(account.username, {"password": account.password, "on": True})
        return {"remote_id": f"r-{account.service_id}"}

    def suspend(self, server, account, *, reason):
        self._do("suspend", account)
        self.accounts[account.username]["on"] = False

    def unsuspend(self, server, account):
        self._do("unsuspend", account)
        self.accounts[account.username]["on"] = True

    def terminate(self, server, account):
        self._do("terminate", account)
        self.accounts.pop(account.username, None)

    def change_plan(self, server, account, *, previous_plan):
        self._do("change_plan", account)

    def reset_password(self, server, account):
        self._do("reset_password", account)
        self.accounts[account.username]["password"] = account.password

    def usage(self, server, account):
        return Usage(disk_mb=12.5, mailboxes=3)


if "fake" not in modules.codes():
    modules.register(FakeModule)
