"""Which VAT rate and mention a document gets (R6.3), decided from data.

For electronic services sold by a provider established in ``KYKLOS_COUNTRY``:

1. customer in the provider's country → the provider's rate (GR 24 %, CY 19 %, PL 23 %);
2. customer in another EU state with a valid VAT id → reverse charge, 0 %, with the
   mention of art. 196 of the VAT Directive (the customer accounts for the VAT);
3. customer in another EU state without one (a consumer) → that state's rate (place of
   supply art. 58; declared through the OSS);
4. customer outside the EU → outside the scope of EU VAT, 0 %.

Rates are rows of :class:`~kyklos.billing.models.VatRate` (seeded by a data migration
with the 27 standard rates and their recent changes): the rate of a day is the row with
the latest ``valid_from`` on or before it, so a change applies from its date.

VAT ids are checked for format and check digit with python-stdnum (the customers
app's :func:`validate_vat_id`); with ``KYKLOS_VIES_CHECK`` on, a reverse-charge
candidate is also looked up live in VIES. When VIES cannot be reached the format check
stands and the document records ``vies_unavailable``; when VIES says the id is not
valid the customer is taxed as a consumer and the document records ``vies_invalid``.
"""

from __future__ import annotations

import bisect
import json
import logging
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.customers.selectors import is_eu_member
from kyklos.customers.services import validate_vat_id

logger = logging.getLogger(__name__)

REVERSE_CHARGE_NOTE = "Reverse charge — Article 196 of Council Directive 2006/112/EC"
OUTSIDE_SCOPE_NOTE = "Outside the scope of EU VAT — Article 59 of Council Directive 2006/112/EC"
VIES_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number"

DOMESTIC, EU_B2C, REVERSE_CHARGE, OUTSIDE_SCOPE = (
    "domestic",
    "eu_b2c",
    "reverse_charge",
    "outside_scope",
)


@dataclass(frozen=True, slots=True)
class VatIdCheck:
    """How a buyer's VAT id was checked (an ``Invoice.VatCheck`` value) and the outcome."""

    method: str
    valid: bool
    reference: str = ""
    vat_id: str = ""


@dataclass(frozen=True, slots=True)
class VatDecision:
    rate: Decimal
    case: str  # domestic | eu_b2c | reverse_charge | outside_scope
    note: str = ""
    country: str = ""  # the member state whose VAT applies ("" outside the EU)
    check: VatIdCheck = field(default_factory=lambda: VatIdCheck("none", False))


class ViesUnavailable(Exception):
    """VIES did not answer (offline, timeout, a member state's service down)."""


class RateBook:
    """The dated standard rates, loaded with one query."""

    def __init__(self, rows):
        self._dates: dict[str, list[date]] = defaultdict(list)
        self._rates: dict[str, list[Decimal]] = defaultdict(list)
        for country, valid_from, rate in sorted(rows):
            self._dates[country].append(valid_from)
            self._rates[country].append(rate)

    @classmethod
    def load(cls) -> RateBook:
        """The rates of the table; an empty table (a fresh or flushed database) first
        gets the shipped rates back (:func:`seed_rates`)."""
        from kyklos.billing.models import VatRate

        rows = list(VatRate.objects.values_list("country", "valid_from", "rate"))
        if not rows:
            seed_rates()
            rows = list(VatRate.objects.values_list("country", "valid_from", "rate"))
        return cls(rows)

    def countries(self) -> set[str]:
        return set(self._dates)

    def rate(self, country: str, on: date) -> Decimal:
        dates = self._dates.get(country)
        index = bisect.bisect_right(dates, on) - 1 if dates else -1
        if index < 0:
            raise ValidationError(
                _("No VAT rate of %(country)s is in force on %(day)s; add it to the VAT rates.")
                % {"country": country, "day": on.isoformat()}
            )
        return self._rates[country][index]


def seed_rates() -> int:
    """Insert the shipped rates of :mod:`kyklos.billing.rate_data` that are missing."""
    from kyklos.billing.models import VatRate
    from kyklos.billing.rate_data import RATES, SOURCE

    rows = [VatRate(country=c, rate=Decimal(r), valid_from=d, source=SOURCE) for c, r, d in RATES]
    return len(VatRate.objects.bulk_create(rows, ignore_conflicts=True))


def vies_lookup(vat_id: str) -> tuple[bool, str]:
    """Ask VIES whether ``vat_id`` (compact, with its prefix) is valid; returns
    ``(valid, consultation number)`` or raises :class:`ViesUnavailable`."""
    requester = settings.KYKLOS_PROVIDER.get("vat_id", "")
    payload = {
        "countryCode": vat_id[:2],
        "vatNumber": vat_id[2:],
        "requesterMemberStateCode": requester[:2],
        "requesterNumber": requester[2:],
    }
    request = urllib.request.Request(  # noqa: S310 — a fixed https URL
        VIES_URL,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.KYKLOS_VIES_TIMEOUT) as reply:  # noqa: S310
            answer = json.load(reply)
    except (OSError, ValueError) as error:  # URLError, timeouts and bad JSON
        raise ViesUnavailable(str(error)) from None
    if "valid" not in answer or answer.get("userError") not in (None, "VALID", "INVALID"):
        raise ViesUnavailable(str(answer.get("userError") or answer))
    return bool(answer["valid"]), str(answer.get("requestIdentifier") or "")[:80]


def check_vat_id(vat_id: str, country: str, *, live: bool = False) -> VatIdCheck:
    """Format and check digit (stdnum; a bad id raises ValidationError), then VIES when
    ``live`` and the country is an EU member."""
    if not (vat_id or "").strip():
        return VatIdCheck("none", False)
    compact = validate_vat_id(vat_id, country)
    if not (live and is_eu_member(country)):
        return VatIdCheck("format", True, vat_id=compact)
    try:
        valid, reference = vies_lookup(compact)
    except ViesUnavailable as error:
        logger.warning("VIES unavailable for %s, the format check stands: %s", compact, error)
        return VatIdCheck("vies_unavailable", True, vat_id=compact)
    return VatIdCheck("vies_valid" if valid else "vies_invalid", valid, reference, compact)


class Decider:
    """Decides the VAT of many documents with one rate query and one VIES lookup per id."""

    def __init__(self, *, provider_country: str | None = None, live: bool | None = None):
        self.provider = (provider_country or settings.KYKLOS_COUNTRY).upper()
        self.live = settings.KYKLOS_VIES_CHECK if live is None else live
        self.book = RateBook.load()
        self._checks: dict[tuple[str, str, bool], VatIdCheck] = {}

    def _check(self, vat_id: str, country: str, live: bool) -> VatIdCheck:
        key = (vat_id, country, live)
        if key not in self._checks:
            self._checks[key] = check_vat_id(vat_id, country, live=live)
        return self._checks[key]

    def decide(self, *, country: str, vat_id: str, on: date | None = None) -> VatDecision:
        on = on or clock.today()
        country = (country or "").upper()
        if country == self.provider:
            check = self._check(vat_id, country, False)
            return VatDecision(self.book.rate(country, on), DOMESTIC, "", country, check)
        if is_eu_member(country):
            check = self._check(vat_id, country, self.live)
            if check.valid:
                return VatDecision(
                    Decimal("0"), REVERSE_CHARGE, REVERSE_CHARGE_NOTE, country, check
                )
            return VatDecision(self.book.rate(country, on), EU_B2C, "", country, check)
        check = self._check(vat_id, country, False) if country else VatIdCheck("none", False)
        return VatDecision(Decimal("0"), OUTSIDE_SCOPE, OUTSIDE_SCOPE_NOTE, "", check)


def decide(
    *,
    country: str,
    vat_id: str,
    on: date | None = None,
    provider_country: str | None = None,
    live: bool | None = None,
) -> VatDecision:
    """The VAT decision for one buyer on one day (see the module's rules)."""
    return Decider(provider_country=provider_country, live=live).decide(
        country=country, vat_id=vat_id, on=on
    )


def breakdown(lines) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Net and VAT per rate of a document's lines (art. 226(8)–(10)): sums of the
    rounded lines, so the rates add up to the document's totals exactly."""
    per_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        net, tax = per_rate.setdefault(line.vat_rate, [Decimal("0"), Decimal("0")])
        per_rate[line.vat_rate] = [net + line.net, tax + line.vat]
    return {rate: (net, tax) for rate, (net, tax) in sorted(per_rate.items())}
