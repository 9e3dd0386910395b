"""Reads of the domains app: availability with prices per term, a customer's domains,
the registry jobs staff must look at."""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kyklos.catalog import selectors as catalog
from kyklos.catalog.selectors import PriceNotFound
from kyklos.core import clock
from kyklos.domains.models import HELD_STATES, Domain, DomainState, RegistryJob, Tld, Transfer
from kyklos.domains.registrars import plugin
from kyklos.domains.registrars.base import RegistrarError
from kyklos.vault import services as vault

log = logging.getLogger(__name__)
CYCLE_OF_YEARS = {1: "annual", 2: "biennial"}
#: The most names one availability search asks about.
MAX_NAMES = 20


@dataclass
class Offer:
    """One name's answer for the search page, the storefront and the API."""

    name: str
    tld: str = ""
    available: bool | None = None
    reason: str = ""
    prices: dict[int, Decimal] = field(default_factory=dict)  # years → price
    currency: str = "EUR"
    notes: list[str] = field(default_factory=list)


def prices(tld: Tld, day: date | None = None) -> dict[int, Decimal]:
    """The registration price per term (years) the TLD is sold in."""
    day = day or clock.today()
    found: dict[int, Decimal] = {}
    if tld.product_id is None:
        return found
    for years in tld.terms:
        cycle = CYCLE_OF_YEARS.get(years)
        if cycle is None:
            continue
        with contextlib.suppress(PriceNotFound):  # no price for that cycle: not offered
            found[years] = catalog.price_on(tld.product, cycle, day).amount
    return found


def renewal_price(domain: Domain, day: date) -> Decimal | None:
    return prices(domain.tld, day).get(domain.years) or next(
        iter(prices(domain.tld, day).values()), None
    )


def _notes(tld: Tld) -> list[str]:
    notes = []
    if tld.terms == [2]:
        notes.append(_("Registered in 2-year steps."))
    if tld.withdrawal_days:
        notes.append(
            _("A new registration can be withdrawn within %(n)d days.") % {"n": tld.withdrawal_days}
        )
    notes.append(
        _(
            "Renewing after expiry costs the renewal price plus up to %(fee)s in redemption; "
            "late renewal can exceed €100."
        )
        % {"fee": tld.redemption_fee}
    )
    return notes


def availability(names: list[str], *, ask_registry: bool = True) -> list[Offer]:
    """Each name: whether it can be ordered, its price per term and why not. Names held
    here are taken; the others are checked at their TLD's registry (one ``check`` per
    registrar account). A registry that cannot be reached leaves ``available`` None."""
    from kyklos.domains import services

    offers: list[Offer] = []
    by_account: dict[int, list[Offer]] = defaultdict(list)
    accounts = {}
    for raw in list(dict.fromkeys(n for n in names if n and n.strip()))[:MAX_NAMES]:
        try:
            name = services.normalise(raw)
            tld = services.tld_of(name)
        except ValidationError as error:
            offers.append(Offer(name=raw.strip()[:253], available=False, reason=error.messages[0]))
            continue
        offer = Offer(name=name, tld=tld.suffix, prices=prices(tld), notes=_notes(tld))
        offers.append(offer)
        if not offer.prices:
            offer.available, offer.reason = False, _("Not sold yet.")
        elif Domain.objects.filter(name=name, state__in=HELD_STATES).exists():
            offer.available, offer.reason = False, _("Already registered.")
        elif tld.registrar_id and ask_registry:
            by_account[tld.registrar_id].append(offer)
            accounts[tld.registrar_id] = tld.registrar
        else:
            offer.reason = _("Not confirmed by the registry.")
    for account_id, asked in by_account.items():
        _ask(accounts[account_id], asked)
    return offers


def _ask(account, offers: list[Offer]) -> None:
    try:
        registrar = plugin(
            account.plugin,
            dict(account.settings),
            vault.provider_secret(account.credentials_purpose),
        )
        registrar.open()
        try:
            answers = {a.name: a for a in registrar.check([o.name for o in offers])}
        finally:
            registrar.close()
    except (RegistrarError, OSError, KeyError, LookupError) as error:
        log.warning("domains: availability check failed: %s", error)
        for offer in offers:
            offer.reason = _("The registry did not answer; try again.")
        return
    except Exception as error:  # noqa: BLE001 - the vault has no login for the account
        log.warning("domains: availability check impossible: %s", error)
        for offer in offers:
            offer.reason = _("The registry did not answer; try again.")
        return
    for offer in offers:
        answer = answers.get(offer.name)
        if answer is None:
            continue
        offer.available = answer.available
        offer.reason = "" if answer.available else _("Already registered.")


def domains_of(customer_id: int) -> QuerySet[Domain]:
    return (
        Domain.objects.filter(customer_id=customer_id)
        .exclude(state=DomainState.RELEASED, state_changed_on__lt=clock.today().replace(day=1))
        .select_related("tld")
        .order_by("name")
    )


def domain_of(customer_id: int, pk: int) -> Domain | None:
    """A customer's domain, or None when it is not theirs (the view answers 404)."""
    return Domain.objects.filter(customer_id=customer_id, pk=pk).select_related("tld").first()


def open_transfer(domain: Domain) -> Transfer | None:
    return (
        domain.transfers.filter(
            direction=Transfer.Direction.OUT,
            status__in=[Transfer.Status.REQUESTED, Transfer.Status.PENDING],
        )
        .order_by("-requested_at")
        .first()
    )


def last_transfer(domain: Domain) -> Transfer | None:
    return domain.transfers.order_by("-requested_at").first()


def failed_jobs() -> QuerySet[RegistryJob]:
    return RegistryJob.objects.filter(status=RegistryJob.Status.FAILED).select_related("domain")


def waiting_jobs(domain: Domain) -> QuerySet[RegistryJob]:
    return domain.jobs.filter(
        status__in=[
            RegistryJob.Status.PENDING,
            RegistryJob.Status.RETRY,
            RegistryJob.Status.RUNNING,
        ]
    )


def failed_job(domain: Domain) -> RegistryJob | None:
    return domain.jobs.filter(status=RegistryJob.Status.FAILED).order_by("-pk").first()
