"""Progress of long work on a terminal.

Commands that run for more than a few seconds (``simulate``, ``bench seed``, ``retention``,
``backup``, ``restore``, the statement import …) show one line on standard error, rewritten
in place: what they are doing, how far they are and, when the total is known, the time left.
Nothing is shown when standard error is not a terminal (cron, systemd, a pipe, the tests),
with ``--json``, with ``--verbosity 0`` or with ``KYKLOS_PROGRESS=0``; the line is cleared
when the work ends, so what the command prints afterwards stands alone.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


def wanted(stream: TextIO | None = None, *, quiet: bool = False) -> bool:
    """Whether progress should be shown on ``stream`` (standard error by default)."""
    if quiet or os.environ.get("KYKLOS_PROGRESS", "1") == "0":
        return False
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """``with Progress("Simulating", total=365) as p: … p.advance(note=str(day))``.

    ``total`` may be None (a count without an end). Updates are drawn at most every
    ``interval`` seconds, so calling :meth:`advance` per row costs next to nothing.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        interval: float = 0.2,
        clock=time.monotonic,
    ):
        self.label = label
        self.total = total
        self.done = 0
        self.note = ""
        self.stream = stream or sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self.interval = interval
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def advance(self, step: int = 1, *, note: str = "") -> None:
        self.done += step
        if note:
            self.note = note
        self._draw(force=bool(self.total) and self.done >= self.total)  # the end always shows

    def stage(self, note: str) -> None:
        """Name what is being done now, without counting a step."""
        self.note = note
        self._draw(force=True)

    def line(self) -> str:
        """The text drawn: label, count or percentage, time left, note."""
        parts = [self.label]
        if self.total:
            share = min(self.done / self.total, 1.0)
            parts.append(f"{self.done}/{self.total} ({share:.0%})")
            elapsed = self._clock() - self._started
            if 0 < self.done < self.total and elapsed >= 1:
                left = elapsed * (self.total - self.done) / self.done
                parts.append(f"about {_duration(left)} left")
        elif self.done:
            parts.append(str(self.done))
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        text = self.line()
        padding = " " * max(self._width - len(text), 0)
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
