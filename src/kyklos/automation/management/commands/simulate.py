from kyklos.automation import services
from kyklos.automation.report import print_day
from kyklos.core import clock
from kyklos.core.cli import (
    MOST_DAYS,
    KyklosCommand,
    batch_size,
    bounded_int,
    days_after,
    dumps,
    parse_date,
)


class Command(KyklosCommand):
    help = (
        "What the daily runs would do day by day if nobody paid. Runs the real daily run "
        "in a scratch copy of the database (PostgreSQL) or inside a transaction that is "
        "rolled back: nothing is kept and nothing is sent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", help="YYYY-MM-DD; default: today")
        parser.add_argument("--days", type=int, default=30, help=f"at most {MOST_DAYS}")
        parser.add_argument("--batch-size", type=int, default=0)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        start = parse_date(opts["start"], "--start") or clock.today()
        days = bounded_int(opts["days"], "--days", most=MOST_DAYS)
        days_after(start, days, "--days")
        size = batch_size(opts["batch_size"])
        with self.progress("Simulating", days, opts=opts) as progress:
            results = services.simulate(
                start,
                days,
                batch_size=size,
                on_day=lambda day: progress.advance(note=f"{day.day}: {day.total} actions"),
            )
        if opts["json"]:
            self.stdout.write(dumps([r.as_dict() for r in results]))
            return
        for result in results:
            if result.actions:
                print_day(self.stdout, result)
        total = sum(r.total for r in results)
        self.stdout.write(f"Simulated {days} days from {start}: {total} actions; nothing kept.")
