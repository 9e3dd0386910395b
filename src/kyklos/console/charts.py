"""Charts as server-rendered SVG: no JavaScript, no library, nothing fetched, allowed by
the strict CSP (presentation by class, styled in console.css). Each chart is an image
with a title and a description for screen readers; the page prints its figures as a
table beside it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 480
HEIGHT = 240
TOP, BOTTOM, LEFT, RIGHT = 24, 44, 12, 12


@dataclass(frozen=True)
class Series:
    name: str
    #: A class in console.css ("s1", "s2", "bad", "warn", "ok"), or one per value.
    css: str | Sequence[str]
    values: Sequence[Decimal | int | float]

    def css_of(self, index: int) -> str:
        return self.css if isinstance(self.css, str) else self.css[index]


def _number(value) -> float:
    return float(value or 0)


def _at(value: float) -> str:
    """A coordinate, as SVG reads it."""
    return f"{value:.1f}"


def bar_chart(
    *,
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    label: Callable[[Decimal | int | float], str] = str,
) -> SafeString:
    """Grouped vertical bars: one group per category, one bar per series, each with its
    value printed above it; a legend when there are several series."""
    count = max(len(categories), 1)
    peak = max((_number(v) for s in series for v in s.values), default=0.0) or 1.0
    plot_h = HEIGHT - TOP - BOTTOM
    group_w = (WIDTH - LEFT - RIGHT) / count
    bar_w = min(56.0, group_w * 0.8 / max(len(series), 1))
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
            'xmlns="http://www.w3.org/2000/svg">',
            WIDTH,
            HEIGHT + (18 if len(series) > 1 else 0),
            key,
            key,
        ),
        format_html(
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>', key, title, key, description
        ),
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            LEFT,
            TOP + plot_h,
            WIDTH - RIGHT,
            TOP + plot_h,
        ),
    ]
    for i, category in enumerate(categories):
        group_x = LEFT + i * group_w
        first = group_x + (group_w - bar_w * len(series)) / 2
        for j, one in enumerate(series):
            value = _number(one.values[i]) if i < len(one.values) else 0.0
            height = max(plot_h * value / peak, 0.0)
            x = first + j * bar_w
            y = TOP + plot_h - height
            parts.append(
                format_html(
                    '<rect class="bar {}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {}</title></rect>",
                    one.css_of(i),
                    _at(x + 1),
                    _at(y),
                    _at(bar_w - 2),
                    _at(height),
                    f"{category} · {one.name}" if len(series) > 1 else category,
                    label(one.values[i] if i < len(one.values) else 0),
                )
            )
            parts.append(
                format_html(
                    '<text class="value" x="{}" y="{}">{}</text>',
                    _at(x + bar_w / 2),
                    _at(y - 5),
                    label(one.values[i] if i < len(one.values) else 0),
                )
            )
        parts.append(
            format_html(
                '<text class="category" x="{}" y="{}">{}</text>',
                _at(group_x + group_w / 2),
                _at(TOP + plot_h + 18),
                category,
            )
        )
    if len(series) > 1:
        for j, one in enumerate(series):
            x = LEFT + j * 140
            y = HEIGHT + 4
            parts.append(
                format_html(
                    '<rect class="bar {}" x="{}" y="{}" width="12" height="12"/>'
                    '<text class="legend" x="{}" y="{}">{}</text>',
                    one.css_of(0),
                    x,
                    y,
                    x + 18,
                    y + 11,
                    one.name,
                )
            )
    parts.append(format_html("{}", SafeString("</svg>")))
    return format_html_join("", "{}", ((part,) for part in parts))
