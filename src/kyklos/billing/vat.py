"""Which VAT rate and mention a document line gets (R6.3).

The rules, for electronic services sold by a provider established in ``KYKLOS_COUNTRY``:

1. customer in the provider's country → the provider's rate;
2. customer in another EU state with a VAT id (validated on entry) → reverse charge, 0 %;
3. customer in another EU state without a VAT id (a consumer) → that state's rate;
4. customer outside the EU → outside the scope of EU VAT, 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

#: Standard VAT rates of the 27 member states (percent). Greece reports as "EL" in
#: VAT ids but "GR" as a country.
EU_STANDARD_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "AT": "20",
        "BE": "21",
        "BG": "20",
        "CY": "19",
        "CZ": "21",
        "DE": "19",
        "DK": "25",
        "EE": "24",
        "ES": "21",
        "FI": "25.5",
        "FR": "20",
        "GR": "24",
        "HR": "25",
        "HU": "27",
        "IE": "23",
        "IT": "22",
        "LT": "21",
        "LU": "17",
        "LV": "21",
        "MT": "18",
        "NL": "21",
        "PL": "23",
        "PT": "23",
        "RO": "21",
        "SE": "25",
        "SI": "22",
        "SK": "23",
    }.items()
}

REVERSE_CHARGE_NOTE = "Reverse charge — Article 196 of Council Directive 2006/112/EC"
OUTSIDE_SCOPE_NOTE = "Outside the scope of EU VAT — Article 59 of Council Directive 2006/112/EC"


@dataclass(frozen=True, slots=True)
class VatDecision:
    rate: Decimal
    case: str  # domestic | eu_b2c | reverse_charge | outside_scope
    note: str = ""
    country: str = ""


def decide(*, country: str, vat_id: str, provider_country: str | None = None) -> VatDecision:
    provider = (provider_country or settings.KYKLOS_COUNTRY).upper()
    country = country.upper()
    if country == provider:
        return VatDecision(EU_STANDARD_RATES[provider], "domestic", "", provider)
    if country in EU_STANDARD_RATES:
        if vat_id:
            return VatDecision(Decimal("0"), "reverse_charge", REVERSE_CHARGE_NOTE, country)
        return VatDecision(EU_STANDARD_RATES[country], "eu_b2c", "", country)
    return VatDecision(Decimal("0"), "outside_scope", OUTSIDE_SCOPE_NOTE)
