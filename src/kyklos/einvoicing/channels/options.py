"""Checking a channel's settings (the JSON of its ``ChannelConfig`` row): one table per
channel, name → cleaner, so a typo or a wrong value is refused when staff save the
configuration instead of failing every transmission later.

A channel's ``validate_settings`` is ``clean(settings, ITS_TABLE)``. A cleaner takes the
stored value and returns it cleaned, or raises :class:`ValueError` with what is expected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Cleaner = Callable[[Any], Any]

#: Set by the framework from the configuration's own fields, never by the settings.
RESERVED = frozenset({"environment", "country"})


def clean(settings: dict[str, Any], table: dict[str, Cleaner]) -> dict[str, Any]:
    """``settings`` with every value cleaned by its row of ``table``; unknown names and
    wrong values are refused together, one message each."""
    problems, cleaned = [], {}
    for name, value in settings.items():
        if name in RESERVED:
            problems.append(
                _("%(name)s is not a setting: it is the configuration's own field.")
                % {"name": name}
            )
        elif name not in table:
            problems.append(
                _("Unknown setting %(name)s; this channel reads: %(known)s.")
                % {"name": name, "known": ", ".join(sorted(table))}
            )
        else:
            try:
                cleaned[name] = table[name](value)
            except (TypeError, ValueError) as error:
                problems.append(f"{name}: {error}")
    if problems:
        raise ValidationError(problems)
    return cleaned


def url(value: Any) -> str:
    text = str(value or "").strip().rstrip("/")
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(_("give a web address (http or https), not %(v)r") % {"v": value})
    return text


def iso_date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(_("give a date as YYYY-MM-DD, not %(v)r") % {"v": value}) from None


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(_("give true or false, not %(v)r") % {"v": value})


def number(minimum: float, *, maximum: float | None = None, whole: bool = False) -> Cleaner:
    """A number from ``minimum`` to ``maximum`` (a whole one when ``whole``)."""

    def check(value: Any) -> float | int:
        try:
            parsed = None if isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            parsed = None
        if (
            parsed is None
            or parsed < minimum
            or (maximum is not None and parsed > maximum)
            or (whole and parsed != int(parsed))
        ):
            what = _("a whole number") if whole else _("a number")
            bounds = f"{minimum:g}" + (f"–{maximum:g}" if maximum is not None else "+")
            raise ValueError(
                _("give %(what)s in %(range)s, not %(v)r")
                % {"what": what, "range": bounds, "v": value}
            )
        return int(parsed) if whole else parsed

    return check


def one_of(choices: Iterable[str]) -> Cleaner:
    allowed = sorted(choices)

    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(
                _("give one of %(choices)s, not %(v)r")
                % {"choices": ", ".join(allowed), "v": value}
            )
        return value

    return check


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("give a text, not %(v)r") % {"v": value})
    return value.strip()


def mapping(keys: Iterable[str], values: Cleaner) -> Cleaner:
    """A JSON object whose names are among ``keys`` and whose values pass ``values``."""
    known = sorted(keys)

    def check(value: Any) -> dict:
        if not isinstance(value, dict):
            raise ValueError(_("give a JSON object, not %(v)r") % {"v": value})
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(
                _("%(unknown)s unknown; known: %(known)s")
                % {"unknown": ", ".join(unknown), "known": ", ".join(known)}
            )
        return {name: values(item) for name, item in value.items()}

    return check
