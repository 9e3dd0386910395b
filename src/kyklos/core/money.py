"""Money: ``Decimal`` amounts with an explicit currency, rounded in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

ZERO = Decimal("0")


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero (commercial rounding).

    This is the only place Kyklos rounds money.
    """
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal or a string")
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """``rate_percent`` % of ``amount``, rounded."""
    return round_money(Decimal(amount) * Decimal(rate_percent) / 100, currency)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("money is never a float")
        object.__setattr__(self, "amount", round_money(self.amount, self.currency))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other!r}")

    def format(self, locale: str = "en") -> str:
        return format_money(self.amount, self.currency, locale)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """Locale-aware display, e.g. ``€1,234.50`` (en) or ``1.234,50 €`` (el)."""
    return format_currency(amount, currency, locale=babel_locale(locale))


def babel_locale(language: str) -> str:
    return {"el": "el_GR", "en": "en_IE", "pl": "pl_PL"}.get(language, language)
