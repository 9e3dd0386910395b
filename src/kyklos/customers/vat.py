"""VAT ids and country codes of customers (R1.2, R6.3).

VAT ids are checked for format and check digit with python-stdnum. EU ids are stored
with their VAT prefix (Greece uses ``EL``, not ``GR``); other countries' ids are stored in
the local format when stdnum knows it, else as typed (without surrounding spaces).
"""

from __future__ import annotations

from functools import cache

import stdnum
from babel import Locale
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.util import clean

#: Codes in the CLDR territory list that are not ISO 3166-1 countries.
NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
SEPARATORS = " -./:"
#: Prefixes of EU VAT ids (``EL`` for Greece, ``XI`` for Northern Ireland).
EU_PREFIXES = frozenset("EL" if cc == "gr" else cc.upper() for cc in eu_vat.MEMBER_STATES)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from the CLDR data that babel ships)."""
    codes = {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
    return frozenset(codes - NOT_COUNTRIES)


def country_name(code: str) -> str:
    """The country's name in the active language, or the code when unknown."""
    try:
        locale = Locale.parse(get_language() or "en", sep="-")
    except (ValueError, LookupError):
        locale = Locale("en")
    return locale.territories.get(code, code)


def validate_country(country: str, *, field: str = "country") -> str:
    """Return the upper-case ISO code, or raise ValidationError naming ``field``."""
    code = (country or "").strip().upper()
    if code not in country_codes():
        raise ValidationError(
            {
                field: _("%(code)s is not a country code; use the ISO code, e.g. GR.")
                % {"code": code or "''"}
            }
        )
    return code


def vat_prefix(country: str) -> str:
    """The EU VAT prefix of a member state: the ISO code, except EL for Greece."""
    return "EL" if country == "GR" else country


def is_eu_member(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES and country != "XI"


def validate_vat_id(vat_id: str, country: str) -> str:
    """Normalise and validate a VAT id for a customer in ``country``.

    Accepts the id with or without the country prefix and with spaces, dots or dashes;
    returns the compact form (``EL094014201``). Raises ValidationError on ``vat_id``.
    """
    country = validate_country(country)
    raw = clean(vat_id or "", SEPARATORS).upper()
    if not raw:
        raise ValidationError({"vat_id": _("Enter the VAT id.")})
    if is_eu_member(country):
        return _validate_eu(raw, country)
    module = stdnum.get_cc_module(country.lower(), "vat")
    if module is None:
        return _checked_length((vat_id or "").strip().upper())
    return _validated(module.validate, raw, raw, country)


def _validate_eu(raw: str, country: str) -> str:
    prefix = vat_prefix(country)
    if country == "GR" and raw.startswith("GR"):
        raw = raw[2:]
    if raw[:2] != prefix and raw[:2] in EU_PREFIXES and eu_vat.is_valid(raw):
        raise ValidationError(
            {
                "vat_id": _(
                    "The VAT id %(vat_id)s belongs to %(other)s, but the country is %(country)s."
                )
                % {
                    "vat_id": raw,
                    "other": country_name("GR" if raw[:2] == "EL" else raw[:2]),
                    "country": country_name(country),
                }
            }
        )
    number = raw if raw.startswith(prefix) else prefix + raw
    return _validated(eu_vat.validate, number, number, country)


def _validated(validate, number: str, shown: str, country: str) -> str:
    try:
        return _checked_length(validate(number))
    except stdnum_errors.InvalidChecksum:
        message = _("The VAT id %(vat_id)s is not valid: its check digit is wrong.")
    except stdnum_errors.InvalidLength:
        message = _("The VAT id %(vat_id)s has the wrong number of characters for %(country)s.")
    except stdnum_errors.ValidationError:
        message = _("The VAT id %(vat_id)s is not in the format used in %(country)s.")
    raise ValidationError({"vat_id": message % {"vat_id": shown, "country": country_name(country)}})


def _checked_length(value: str) -> str:
    if len(value) > 20:
        raise ValidationError({"vat_id": _("A VAT id has at most 20 characters.")})
    return value
