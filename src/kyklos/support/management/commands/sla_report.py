import re
from datetime import date

from kyklos.core import clock
from kyklos.core.cli import KyklosCommand, bad_argument, bounded_date
from kyklos.support import report


class Command(KyklosCommand):
    help = (
        "The monthly SLA report per priority and department: tickets, % resolved in time, "
        "median first response and resolution (hours)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default: the current month")
        parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")

    def handle(self, *args, **opts):
        year, month = parse_month(opts["month"])
        rows = report.monthly(year, month)
        if opts["csv"]:
            self.stdout.write(report.to_csv(rows), ending="")
            return
        self.stdout.write(f"SLA report {year}-{month:02d}")
        self.stdout.write(
            f"{'priority':8} {'department':16} {'tickets':>7} {'% met':>6} "
            f"{'1st resp h':>10} {'resol. h':>9}"
        )
        for r in rows:
            self.stdout.write(
                f"{r.priority:8} {r.department[:16]:16} {r.tickets:>7} "
                f"{_show(r.percent_met):>6} {_show(r.median_first_response_hours):>10} "
                f"{_show(r.median_resolution_hours):>9}"
            )


def _show(value) -> str:
    return "—" if value is None else f"{value}"


def parse_month(value: str | None) -> tuple[int, int]:
    if value is None:
        today = clock.today()
        return today.year, today.month
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise bad_argument(f"--month: “{value}” is not a month; use YYYY-MM.")
    if int(match.group(1)) == 0:
        raise bad_argument(f"--month: “{value}” is not a month; years start at 1.")
    bounded_date(date(int(match.group(1)), int(match.group(2)), 1), "--month")
    return int(match.group(1)), int(match.group(2))
