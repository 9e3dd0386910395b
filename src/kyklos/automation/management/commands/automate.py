import sys
from datetime import timedelta

from django.core.management.base import CommandError

from kyklos.automation import runner, services
from kyklos.automation.report import print_day
from kyklos.core import clock
from kyklos.core.cli import KyklosCommand, bad_argument, batch_size, dumps, parse_date

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
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the provider's time zone")
        parser.add_argument("--from", dest="first", help="first day of a range (with --to)")
        parser.add_argument("--to", dest="last", help="last day of a range (with --from)")
        parser.add_argument(
            "--batch-size", type=int, default=0, help="rows per batch; 0: KYKLOS_BATCH_SIZE"
        )
        parser.add_argument(
            "--allow-future",
            action="store_true",
            help="run days ahead of today (logged: a warning and an audit event)",
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="run a range longer than KYKLOS_CONFIRM_RANGE_DAYS without asking",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--plan",
            action="store_true",
            help="print the steps in the order they run (chunkable or not) and run nothing",
        )

    def handle(self, *args, **opts):
        if opts["plan"]:
            self.print_plan(as_json=opts["json"])
            return
        size = batch_size(opts["batch_size"])
        day = parse_date(opts["date"], "--date")
        first, last = parse_date(opts["first"], "--from"), parse_date(opts["last"], "--to")
        if day and (first or last):
            raise bad_argument("give either --date or --from/--to, not both")
        if bool(first) != bool(last):
            raise bad_argument("--from and --to go together")
        if first and last < first:
            raise bad_argument("--to is before --from")
        first = first or day or clock.today()
        window = self.admit(first, last or first, opts)
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
