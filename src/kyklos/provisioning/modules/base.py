"""The contract every provisioning module implements (Dovecot, PostgreSQL, Plesk, cPanel, …).

A *module* acts on one kind of server for one service: it creates the account, suspends,
unsuspends and terminates it, changes its plan, resets its panel password and reads its
usage. It knows nothing of queues, retries or the database: the provisioning jobs
(:mod:`kyklos.provisioning.services`) call it with plain values, record every attempt,
retry a :class:`TemporaryFailure` with backoff and, when a job keeps failing or meets a
:class:`PermanentFailure`, open a ticket for the technical department with the server's
answer.

Every operation must be **idempotent**: a job may be retried after a crash between the
server's answer and our commit, so creating an account that already exists with the same
username is a success (return its data), suspending a suspended account is a success,
terminating one that is gone is a success.

A module is registered by its ``code`` (``registry.register(cls)``) and chosen by data:
the product names its module and settings (server group, plan name), never by ``if``
chains in callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class Server:
    """A server as the module sees it. ``secret`` is the credential taken from the vault
    for this call only (password, API token or access hash); never log it."""

    id: int
    hostname: str
    port: int | None
    username: str
    secret: str
    use_tls: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    """The service's account on the server. ``username`` is stable for the service's life
    (derived from the service, never reused); ``plan`` is the product's plan name on the
    server; ``limits`` the product's and the service's limits (quota in MB, messages per
    hour, message size in MB, connection limit …) already merged, service over product."""

    service_id: int
    username: str
    plan: str
    domain: str = ""
    contact_email: str = ""
    limits: dict[str, Any] = field(default_factory=dict)
    password: str = ""  # only for create and reset_password; empty otherwise


@dataclass(frozen=True)
class Usage:
    """What the server reports for an account; ``None`` where the module cannot tell."""

    disk_mb: float | None = None
    traffic_mb: float | None = None
    mailboxes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ModuleError(Exception):
    """The server did not do what was asked. ``answer`` is its raw answer (or the transport
    error), shown to staff on the job and in the ticket; ``code`` the server's own code."""

    def __init__(self, message: str, *, answer: str = "", code: str = ""):
        super().__init__(message)
        self.answer = answer
        self.code = code


class TemporaryFailure(ModuleError):
    """Worth trying again later: the server is down, timed out or overloaded."""


class PermanentFailure(ModuleError):
    """Trying again would fail the same way: the server refused the request (bad plan,
    name not allowed, permission denied). Staff must act."""


class ProvisioningModule:
    """Base class of the modules. Subclasses set ``code`` and ``label`` and implement the
    operations; ``check_settings`` validates a product's module settings when staff save
    them (raise ``django.core.exceptions.ValidationError`` with a one-line message)."""

    code: ClassVar[str]
    label: ClassVar[str]
    #: the product settings this module understands, name → one-line help
    settings_help: ClassVar[dict[str, str]] = {}

    def check_settings(self, settings: dict[str, Any]) -> None:
        return None

    def create(self, server: Server, account: Account) -> dict[str, Any]:
        """Create the account; return what to keep about it (remote ids). Idempotent."""
        raise NotImplementedError

    def suspend(self, server: Server, account: Account, *, reason: str) -> None:
        raise NotImplementedError

    def unsuspend(self, server: Server, account: Account) -> None:
        raise NotImplementedError

    def terminate(self, server: Server, account: Account) -> None:
        """Remove the account and its data (the caller has taken the final backup)."""
        raise NotImplementedError

    def change_plan(self, server: Server, account: Account, *, previous_plan: str) -> None:
        raise NotImplementedError

    def reset_password(self, server: Server, account: Account) -> None:
        """Set ``account.password`` as the panel/login password."""
        raise NotImplementedError

    def usage(self, server: Server, account: Account) -> Usage:
        return Usage()

    # --- optional: backups (R5.2) ------------------------------------------------------
    #: whether the module can export and import an account's data for the backups
    backs_up: ClassVar[bool] = False

    def username(self, service_id: int, label: str, prefix: str = "") -> str:
        """The account's stable user name on the server (``prefix`` from the server's
        settings keeps test runs and tenants apart)."""
        return f"{prefix}k{service_id}"

    def export_data(self, server: Server, account: Account, into: Path) -> None:
        """Write the account's data into the empty folder ``into`` (the backup tool
        stores that folder). Idempotent."""
        raise NotImplementedError

    def import_data(self, server: Server, account: Account, source: Path) -> None:
        """Replace the account's data with what :meth:`export_data` wrote in ``source``;
        the account exists (the caller created it again if it was removed)."""
        raise NotImplementedError
