from kyklos.core import clock
from kyklos.core.cli import KyklosCommand, dumps, future_day, parse_date, positive_int
from kyklos.privacy import retention


class Command(KyklosCommand):
    help = (
        "The retention engine (R9.4): deletes or anonymises the personal data whose retention "
        "period has passed and writes a report. It also runs inside the daily automation. "
        "--dry-run shows what the run would do and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the provider's time zone")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--allow-future",
            action="store_true",
            help="apply the rules as of a day after today (recorded in the audit trail)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **opts):
        day = parse_date(opts["date"], "--date") or clock.today()
        size = positive_int(opts["batch_size"], "--batch-size")
        if not opts["dry_run"]:  # a dry run of a later day only shows what it would do
            future_day(
                day,
                allowed=opts["allow_future"],
                command="privacy.retention",
                option="--date",
                stderr=self.stderr,
            )
        with clock.frozen(day) if day != clock.today() else _nothing():
            if opts["dry_run"]:
                lines = [p.as_dict() for p in retention.plan(day)]
            else:
                with self.progress("Retention", opts=opts) as progress:

                    def on_target(label, total):
                        progress.total = total
                        progress.advance(note=label)

                    report = retention.run(day, batch_size=size, on_target=on_target)
                lines = [
                    {
                        "category": line.category,
                        "target": line.target,
                        "action": line.action,
                        "rule": line.rule,
                        "cutoff": line.cutoff.isoformat(),
                        "count": line.count,
                    }
                    for line in report.report_lines
                ]
        if opts["json"]:
            self.stdout.write(
                dumps({"date": day.isoformat(), "dry_run": opts["dry_run"], "lines": lines})
            )
            return
        verb = "would" if opts["dry_run"] else "did"
        total = sum(line["count"] for line in lines)
        self.stdout.write(f"{day}: retention {verb} touch {total} record(s)")
        for line in lines:
            self.stdout.write(
                f"  {line['category']:<22} {line['target']:<28} {line['action']:<9} "
                f"{line['count']:>6}  ({line['rule']}; before {line['cutoff']})"
            )
        for category in retention.missing_rules():
            self.stdout.write(f"  ! {category}: no retention rule; nothing is removed")


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
