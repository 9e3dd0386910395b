"""Helpers for Kyklos' management commands: one-line errors with exit status 2."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import CommandError


def bad_argument(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_argument(f"{option}: “{value}” is not a date; use YYYY-MM-DD.") from None


def positive_int(value: int | None, option: str) -> int | None:
    if value is not None and value < 1:
        raise bad_argument(f"{option} must be a positive whole number.")
    return value


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
