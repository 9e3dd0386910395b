import sys
from datetime import timedelta

from django.core.management.base import CommandError

from kyklos.automation import arguments, runner, services
from kyklos.automation.report import print_day
from kyklos.core import clock
from kyklos.core.arguments import Refused
from kyklos.core.cli import KyklosCommand, bad_argument, dumps

#: The flag of each override that :func:`services.check_run_days` may ask for.
_FLAGS = {"allow_future": "--allow-future", "confirmed": "--yes"}


class Command(KyklosCommand):
    help = (
        "The daily run: performs every lifecycle action due on or before the date that has "
        "not been done yet. Idempotent; safe to run again or after missed days. Refuses days "
        "ahead of today (unless --allow-future, which is logged) and days more than "
        "KYKLOS_CATCH_UP_DAYS back; a range longer than KYKLOS_CONFIRM_RANGE_DAYS needs --yes "
        "or a 'y' at the terminal. --plan prints the steps in order and runs nothing. "
        "Exit 2: refused arguments, nothing done; exit 1: the run failed and is marked so."
    )

    def add_arguments(self, parser):
        arguments.add_arguments(parser)

    def handle(self, *args, **opts):
        if opts["plan"]:
            self.print_plan(as_json=opts["json"])
            return
        try:
            days = arguments.check(opts)  # also run before Django starts (kyklos.__main__)
        except Refused as refusal:
            raise bad_argument(str(refusal), status=refusal.status) from None
        size = days.batch_size
        first = days.first or clock.today()
        window = self.admit(first, days.last or first, opts)
        if window.days_ahead:
            self.stderr.write(
                f"kyklos automate: warning: running {window.days_ahead} day(s) ahead of today "
                f"({window.today}) up to {window.last}, as --allow-future asks; logged."
            )
            services.record_future_override(window)
        results = []
        # One day prints its own report; a range shows its progress on a terminal.
        progress = self.progress(
            "Daily runs", window.days, opts=opts if window.days > 1 else {"json": True}
        )
        with progress:
            for n in range(window.days):
                current = window.first + timedelta(days=n)
                progress.stage(str(current))
                try:
                    result = services.run_day(current, batch_size=size)
                except Exception as error:
                    done = "; the days before it are done" if n else ""
                    progress.finish()
                    raise CommandError(
                        f"{current} failed: {services.failure_text(error)}{done}; the run is "
                        "marked failed — run it again to retry",
                        returncode=1,
                    ) from error
                results.append(result)
                progress.finish()
                if not opts["json"]:
                    print_day(self.stdout, result)
                progress.advance()
        if opts["json"]:
            self.stdout.write(dumps([r.as_dict() for r in results]))

    def admit(self, first, last, opts) -> services.RunWindow:
        """The days to run, or one line and exit 2; asks at a terminal for a long range."""
        confirmed = opts["yes"]
        while True:
            try:
                return services.check_run_days(
                    first, last, allow_future=opts["allow_future"], confirmed=confirmed
                )
            except services.RunRefused as refusal:
                if refusal.override == "confirmed" and not confirmed and self.ask(refusal):
                    confirmed = True
                    continue
                flag = _FLAGS.get(refusal.override)
                hint = f"; give {flag} to run it" if flag else ""
                raise bad_argument(f"{refusal}{hint}; nothing was run.") from None

    def ask(self, refusal: services.RunRefused) -> bool:
        if not sys.stdin.isatty():
            return False
        self.stdout.write(f"{refusal}. Run it? [y/N] ", ending="")
        self.stdout.flush()
        return sys.stdin.readline().strip().lower() in {"y", "yes"}

    def print_plan(self, *, as_json: bool) -> None:
        steps = runner.plan()
        if as_json:
            self.stdout.write(dumps([s.as_dict() for s in steps]))
            return
        width = max((len(s.name) for s in steps), default=0)
        for s in steps:
            kind = "chunkable" if s.chunkable else "whole"
            self.stdout.write(f"{s.position:>3}  {s.name:<{width}}  {kind:<9}  {s.summary}")
