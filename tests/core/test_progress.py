"""The progress line of long commands: drawn on a terminal, never in cron, a pipe or --json."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from kyklos.core.progress import Progress, wanted


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_on_a_terminal_the_line_shows_count_share_time_left_and_is_cleared_at_the_end():
    stream, clock = Terminal(), Clock()
    with Progress("Simulating", 10, stream=stream, interval=0, clock=clock) as progress:
        clock.now = 4.0
        for _ in range(4):
            progress.advance(note="2027-03-04")
        assert progress.line() == "Simulating · 4/10 (40%) · about 6 s left · 2027-03-04"
    drawn = stream.getvalue()
    assert "\rSimulating · 4/10 (40%) · about 6 s left · 2027-03-04" in drawn
    assert drawn.endswith("\r")  # cleared: what the command prints next stands alone
    last = drawn.rsplit("\r", 2)[-2]
    assert last.strip() == ""


def test_updates_are_drawn_at_most_every_interval():
    stream, clock = Terminal(), Clock()
    with Progress("Seeding", 1_000_000, stream=stream, interval=0.2, clock=clock) as progress:
        for n in range(10_000):
            clock.now = n / 10_000  # one second in all
            progress.advance()
    assert stream.getvalue().count("\rSeeding") <= 7


@pytest.mark.parametrize(
    "stream, quiet, env",
    [
        (io.StringIO(), False, "1"),  # a pipe, cron, systemd: not a terminal
        (Terminal(), True, "1"),  # --json or --verbosity 0
        (Terminal(), False, "0"),  # KYKLOS_PROGRESS=0
    ],
)
def test_nothing_is_drawn_off_a_terminal_or_when_asked_to_be_quiet(stream, quiet, env, monkeypatch):
    monkeypatch.setenv("KYKLOS_PROGRESS", env)
    assert not wanted(stream, quiet=quiet)
    with Progress("Restore", 3, stream=stream, enabled=wanted(stream, quiet=quiet)) as progress:
        progress.advance()
    assert stream.getvalue() == ""


def test_long_durations_read_as_minutes_and_hours():
    clock = Clock()
    progress = Progress("Seeding", 100, stream=Terminal(), clock=clock)
    clock.now = 130.0
    progress.advance(10)
    assert "about 19 min 30 s left" in progress.line()
    clock.now = 4000.0
    assert "about 10 h 00 min left" in progress.line()


def test_simulate_draws_its_progress_on_a_terminal_and_its_json_stays_clean(db, monkeypatch):
    """The command's own output is unchanged; the progress goes to standard error."""
    err, out = Terminal(), io.StringIO()
    call_command("simulate", "--start", "2027-03-01", "--days", "3", stdout=out, stderr=err)
    assert "Simulating · 3/3 (100%)" in err.getvalue()
    assert "Simulated 3 days from 2027-03-01" in out.getvalue()

    err, out = Terminal(), io.StringIO()
    call_command(
        "simulate", "--start", "2027-03-01", "--days", "3", "--json", stdout=out, stderr=err
    )
    assert err.getvalue() == ""
    assert out.getvalue().lstrip().startswith("[")
    assert date(2027, 3, 1).isoformat() in out.getvalue()
