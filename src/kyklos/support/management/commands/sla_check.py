from datetime import datetime

from kyklos.core import clock
from kyklos.core.cli import KyklosCommand, bad_argument, bounded_date, dumps, future_day
from kyklos.support import daily


class Command(KyklosCommand):
    help = (
        "Warn assignees of tickets at 75% of an SLA target and escalate breaches to the "
        "department lead. Set-based and idempotent: meant for cron every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help="check as of this ISO 8601 instant; default: now")
        parser.add_argument(
            "--allow-future",
            action="store_true",
            help="check as of an instant after now (recorded in the audit trail)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **opts):
        now = None
        if opts["at"]:
            try:
                now = datetime.fromisoformat(opts["at"])
            except ValueError:
                raise bad_argument(
                    f"--at: “{opts['at']}” is not a date and time; use e.g. 2027-05-06T15:00."
                ) from None
            bounded_date(now.date(), "--at")
            if now.tzinfo is None:
                now = now.replace(tzinfo=clock.provider_tz())
            if now > clock.now():
                future_day(
                    now.astimezone(clock.provider_tz()).date(),
                    allowed=opts["allow_future"],
                    command="support.sla_check",
                    option="--at",
                    stderr=self.stderr,
                )
        counts = daily.check(now)
        if opts["json"]:
            self.stdout.write(dumps(counts))
        else:
            self.stdout.write(
                f"SLA check: {counts['sla_warnings']} warnings, {counts['sla_breaches']} breaches."
            )
