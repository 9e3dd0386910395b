"""Filters for support notices and pages, in the active language and the provider's zone."""

from datetime import datetime

from babel.dates import format_datetime
from django import template
from django.utils import translation

from kyklos.core import clock
from kyklos.core.money import babel_locale

register = template.Library()


@register.filter
def notice_datetime(value: str | datetime | None) -> str:
    """An instant as a date and time in the provider's time zone: ``3 May 2027, 09:00``."""
    if not value:
        return ""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    local = instant.astimezone(clock.provider_tz())
    locale = babel_locale(translation.get_language())
    return f"{format_datetime(local, 'd MMMM y', locale=locale)}, {local:%H:%M}"


@register.filter
def duration_minutes(value: int | str | None) -> str:
    """Minutes as hours and minutes: ``90`` → ``1:30``."""
    if value in (None, ""):
        return ""
    minutes = int(value)
    return f"{minutes // 60}:{minutes % 60:02d}"
