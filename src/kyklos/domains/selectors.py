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
    #: Registered elsewhere: it can be transferred here.
    transferable: bool = False


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
        offer.transferable = not answer.available and answer.reason != "Reserved"


@dataclass
class TransferQuote:
    """What the customer is told before paying for a transfer in (R4.8, R4.9)."""

    name: str
    tld: str
    years: int
    price: Decimal | None
    currency: str = "EUR"
    #: True: the registry adds a year; False: it does not; None: not known.
    adds_year: bool | None = None
    expires_on: date | None = None
    locked: bool = False
    notes: list[str] = field(default_factory=list)


def transfer_quote(name: str, *, ask_registry: bool = True) -> TransferQuote:
    """Whether ``name`` can be transferred here, at what price, and whether the transfer
    adds a year: never for a TLD whose data says so (.gr, .eu), not for a gTLD the
    registry shows renewed within its recent-renewal days (RFC 3915 renew periods), and a
    stated warning when the registry cannot tell. A one-line ValidationError when the
    name cannot be transferred here."""
    from django.conf import settings

    from kyklos.domains import services

    name = services.normalise(name)
    tld = services.tld_of(name)
    years = services.transfer_term(tld)
    price = prices(tld).get(years)
    if price is None:
        raise ValidationError(
            {"name": _("No price is set for .%(tld)s yet.") % {"tld": tld.suffix}}
        )
    if Domain.objects.filter(name=name, state__in=HELD_STATES).exists():
        raise ValidationError({"name": _("%(name)s is already with us.") % {"name": name}})
    quote = TransferQuote(
        name=name, tld=tld.suffix, years=years, price=price, currency=settings.KYKLOS_CURRENCY
    )
    found, asked = None, False
    if tld.registrar_id and ask_registry:
        try:
            found = _info(tld.registrar, name)
            asked = True
        except _Unknown:
            raise ValidationError(
                {
                    "name": _("%(name)s is not registered; order it as a new registration.")
                    % {"name": name}
                }
            ) from None
        except Exception as error:  # noqa: BLE001 - the registry did not answer
            log.warning("domains: transfer quote could not ask the registry: %s", error)
    if found is not None:
        quote.expires_on = found.expires_on
        quote.locked = "clientTransferProhibited" in found.statuses
    days = tld.recent_renewal_days
    if not tld.transfer_adds_year:
        quote.adds_year = False
        quote.notes.append(
            _(
                "A transfer of .%(tld)s adds no year: the domain keeps its expiry and is "
                "renewed with us when it falls due."
            )
            % {"tld": tld.suffix}
        )
    elif found is not None and found.in_renew_period:
        quote.adds_year = False
        quote.notes.append(
            _(
                "The registry shows it was renewed at its current registrar within the last "
                "%(n)d days: the transfer gains no extra year."
            )
            % {"n": days}
        )
    elif found is not None and found.updated_on and (clock.today() - found.updated_on).days <= days:
        quote.notes.append(
            _(
                "It was changed at its current registrar on %(day)s; if that was a renewal, "
                "the transfer gains no extra year (renewed within the last %(n)d days)."
            )
            % {"day": found.updated_on.isoformat(), "n": days}
        )
    elif asked:
        quote.adds_year = True
        quote.notes.append(_("The transfer adds one year to the domain's expiry."))
    else:
        quote.notes.append(
            _(
                "The registry could not be asked: if the domain was renewed at its current "
                "registrar within the last %(n)d days, the transfer gains no extra year."
            )
            % {"n": days}
        )
    if quote.locked:
        quote.notes.append(
            _("It is locked at its current registrar: unlock it there before you pay.")
        )
    quote.notes.append(
        _(
            "The transfer is asked once the proforma is paid and may take up to %(n)d days; "
            "until then the current registrar keeps the domain."
        )
        % {"n": tld.transfer_days}
    )
    return quote


class _Unknown(Exception):
    pass


def _info(account, name: str):
    registrar = plugin(
        account.plugin, dict(account.settings), vault.provider_secret(account.credentials_purpose)
    )
    registrar.open()
    try:
        return registrar.info(name)
    except RegistrarError as error:
        if error.code == "2303":
            raise _Unknown from None
        raise
    finally:
        registrar.close()


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


def incoming_transfer(domain: Domain) -> Transfer | None:
    return (
        domain.transfers.filter(direction=Transfer.Direction.IN)
        .order_by("-requested_at", "-pk")
        .first()
    )


def open_owner_change(domain: Domain):
    return (
        domain.owner_changes.filter(status__in=["awaiting_payment", "pending"])
        .select_related("invoice")
        .first()
    )


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
    """The latest transfer away (a transfer in has its own, :func:`incoming_transfer`)."""
    return (
        domain.transfers.filter(direction=Transfer.Direction.OUT)
        .order_by("-requested_at", "-pk")
        .first()
    )


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
