"""``kyklos provisioning work``: the worker that runs the due provisioning jobs.

Run it under a supervisor (systemd) next to the web process; ``--once`` drains what is due
and stops (cron, tests). Killing it at any moment is safe: a job it held is taken over once
``STALE_SECONDS`` have passed and run again, and the modules are idempotent."""

from __future__ import annotations

import time

from kyklos.core.cli import KyklosCommand


class Command(KyklosCommand):
    help = "Run the due provisioning jobs (the worker)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        work = sub.add_parser("work", help="run due jobs; loop unless --once")
        work.add_argument("--once", action="store_true")
        work.add_argument("--sleep", type=float, default=5.0)

    def handle(self, *args, **options):
        from kyklos.provisioning import services

        while True:
            counts = services.run_due()
            if counts:
                self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
            if options["once"]:
                return
            time.sleep(options["sleep"])
