from django.core.management.base import BaseCommand

from kyklos.automation import services
from kyklos.automation.report import print_day
from kyklos.core import clock
from kyklos.core.cli import bad_argument, dumps, parse_date


class Command(BaseCommand):
    help = (
        "The daily run: performs every lifecycle action due on or before the date that has "
        "not been done yet. Idempotent; safe to run again or after missed days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the provider's time zone")
        parser.add_argument("--from", dest="first", help="first day of a range (with --to)")
        parser.add_argument("--to", dest="last", help="last day of a range (with --from)")
        parser.add_argument("--batch-size", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **opts):
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
