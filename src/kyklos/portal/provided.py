"""Blocks of the service page that the apps acting on the world fill in: the usage the
server reports (``provisioning.selectors.usage_for``) and the registry's facts of a
domain (``kyklos.domains``). The portal sits above both apps and reads their selectors.
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
    """What the server reports of ``service``'s usage (disk, mailboxes, traffic) with the
    limits; empty when it has no account or the server does not answer."""
    from kyklos.provisioning import selectors as provisioning

    rows = provisioning.usage_for(service) or []
    return [UsageRow(label=r.label, value=r.value, limit=r.limit) for r in rows]


def domain_rows(service) -> list[DomainRow]:
    """What the registry says of ``service``'s domain: state, expiry, name servers, lock."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from kyklos.domains.models import Domain

    domain = Domain.objects.filter(service_id=service.pk).first()
    if domain is None:
        return []
    rows = [
        DomainRow(_("Domain"), domain.name),
        DomainRow(_("Registry state"), domain.get_state_display()),
    ]
    if domain.expires_on:
        rows.append(DomainRow(_("Expires at the registry"), date_format(domain.expires_on)))
    if domain.nameservers:
        rows.append(DomainRow(_("Name servers"), ", ".join(domain.nameservers)))
    rows.append(
        DomainRow(
            _("Transfer lock"),
            pgettext("transfer lock", "on") if domain.locked else pgettext("transfer lock", "off"),
        )
    )
    return rows
