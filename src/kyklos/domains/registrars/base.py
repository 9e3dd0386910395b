"""The one interface every registrar plug-in offers (decision 0028).

Plain values in and out: the services never hand a plug-in a model, and a plug-in never
writes to the database. Every operation that changes something at the registry takes a
``cltrid`` (the job's stable transaction id, RFC 5730 §2.5) so a registry that logs it
can tell a retry from a new command; operations are also written so that a retry after a
lost answer finds the work done instead of doing it twice (see ``services``).

Failures are of two kinds, as in e-invoicing's channels:

- :class:`TemporaryFailure` — the registry is down, dropped the connection or answered
  with a code that means "try later" (2400, 2500–2502): the job retries with backoff;
- :class:`PermanentFailure` — the registry refused (bad auth code, locked, unknown,
  wrong period …): the job fails at once with the registry's message for staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


class RegistrarError(Exception):
    """The registry did not do what was asked. ``code`` is its result code (EPP: 2303 …)."""

    def __init__(self, message: str, *, code: str = "", request: str = "", response: str = ""):
        super().__init__(message)
        self.code = str(code or "")
        self.request = request
        self.response = response


class TemporaryFailure(RegistrarError):
    """Try again later."""


class PermanentFailure(RegistrarError):
    """The registry refused; trying again changes nothing."""


@dataclass(frozen=True)
class Contact:
    """A registrant as the registry keeps it (from the customer's particulars, R1.2)."""

    handle: str
    name: str
    organisation: str
    street: str
    city: str
    postal_code: str
    country: str
    phone: str
    email: str


@dataclass(frozen=True)
class Availability:
    name: str
    available: bool
    reason: str = ""


@dataclass
class RegistryDomain:
    """What the registry says about a domain (EPP ``domain:info``)."""

    name: str
    registry_id: str = ""
    sponsor: str = ""
    statuses: list[str] = field(default_factory=list)
    nameservers: list[str] = field(default_factory=list)
    created_on: date | None = None
    expires_on: date | None = None
    registrant: str = ""
    updated_on: date | None = None
    request: str = ""
    response: str = ""

    @property
    def locked(self) -> bool:
        return "clientTransferProhibited" in self.statuses

    @property
    def in_redemption(self) -> bool:
        return "redemptionPeriod" in self.statuses or "pendingDelete" in self.statuses

    @property
    def pending_transfer(self) -> bool:
        return "pendingTransfer" in self.statuses

    @property
    def in_renew_period(self) -> bool:
        """RFC 3915: renewed (or auto-renewed) within the registry's grace period."""
        return "renewPeriod" in self.statuses or "autoRenewPeriod" in self.statuses


class Registrar(Protocol):
    """A registrar plug-in: one object per registrar account and batch of work."""

    sponsor: str  # our login at the registry (EPP clID)

    def open(self) -> None: ...
    def close(self) -> None: ...
    def check(self, names: list[str]) -> list[Availability]: ...
    def create_contact(self, contact: Contact, *, cltrid: str) -> str: ...
    def update_contact(self, contact: Contact, *, cltrid: str) -> None: ...
    def register(
        self,
        name: str,
        *,
        years: int,
        registrant: str,
        nameservers: list[str],
        auth_code: str,
        cltrid: str,
    ) -> RegistryDomain: ...
    def renew(
        self, name: str, *, years: int, current_expiry: date, cltrid: str
    ) -> RegistryDomain: ...
    def transfer_in(
        self, name: str, *, auth_code: str, years: int, cltrid: str
    ) -> RegistryDomain: ...
    def approve_transfer(self, name: str, *, cltrid: str) -> None: ...
    def transfer_query(self, name: str, *, auth_code: str = "") -> str: ...
    def set_registrant(self, name: str, *, registrant: str, cltrid: str) -> None: ...
    def set_nameservers(
        self, name: str, *, add: list[str], remove: list[str], cltrid: str
    ) -> None: ...
    def set_statuses(
        self, name: str, *, add: list[str], remove: list[str], cltrid: str
    ) -> None: ...
    def set_auth_code(self, name: str, *, auth_code: str, cltrid: str) -> None: ...
    def restore(self, name: str, *, report: dict[str, str], cltrid: str) -> None: ...
    def info(self, name: str) -> RegistryDomain: ...
    def delete(self, name: str, *, cltrid: str) -> None: ...
