"""Blocks of the service page that apps beside the portal's dependencies fill in.

WIRED TO PROVISIONING AT MERGE: ``kyklos.provisioning`` (built in parallel) offers
``provisioning.selectors.usage_for(service) -> list[UsageRow] | None``, and ``kyklos.domains``
the domain facts of a service. Until the lead wires them here, both blocks are empty and
the page says that no usage is reported. The portal sits above both apps, so it may call
their selectors directly; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UsageRow:
    """One reported measure of a service: what, how much, of how much (None: unlimited)."""

    label: str
    value: str
    limit: str | None = None


@dataclass(frozen=True)
class DomainRow:
    """One fact about the domain of a service (registrar state, expiry, name servers)."""

    label: str
    value: str


def usage_rows(service) -> list[UsageRow]:
    """What provisioning reports of ``service``'s usage (disk, mailboxes, traffic).
    Wired to ``kyklos.provisioning.selectors.usage_for`` at merge; empty until then."""
    return []


def domain_rows(service) -> list[DomainRow]:
    """What the domains app knows of ``service``'s domain. Wired at merge; empty until
    then."""
    return []
