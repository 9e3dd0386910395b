from django.core.management.base import BaseCommand

from kyklos.automation import runner, services
from kyklos.automation.report import print_day
from kyklos.core import clock
from kyklos.core.cli import bad_argument, dumps, parse_date


class Command(BaseCommand):
    help = (
        "The daily run: performs every lifecycle action due on or before the date that has "
        "not been done yet. Idempotent; safe to run again or after missed days. "
        "--plan prints the steps in order and runs nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the provider's time zone")
        parser.add_argument("--from", dest="first", help="first day of a range (with --to)")
        parser.add_argument("--to", dest="last", help="last day of a range (with --from)")
        parser.add_argument("--batch-size", type=int, default=0)
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
        day = parse_date(opts["date"], "--date")
        first, last = parse_date(opts["first"], "--from"), parse_date(opts["last"], "--to")
        if day and (first or last):
            raise bad_argument("give either --date or --from/--to, not both")
        if bool(first) != bool(last):
            raise bad_argument("--from and --to go together")
        if first and last < first:
            raise bad_argument("--to is before --from")
        if first:
            results = services.run_range(first, last, batch_size=opts["batch_size"])
        else:
            results = [services.run_day(day or clock.today(), batch_size=opts["batch_size"])]
        if opts["json"]:
            self.stdout.write(dumps([r.as_dict() for r in results]))
            return
        for result in results:
            print_day(self.stdout, result)

    def print_plan(self, *, as_json: bool) -> None:
        steps = runner.plan()
        if as_json:
            self.stdout.write(dumps([s.as_dict() for s in steps]))
            return
        width = max((len(s.name) for s in steps), default=0)
        for s in steps:
            kind = "chunkable" if s.chunkable else "whole"
            self.stdout.write(f"{s.position:>3}  {s.name:<{width}}  {kind:<9}  {s.summary}")
