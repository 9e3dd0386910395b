from django.core.management.base import CommandError

from kyklos.core import clock
from kyklos.core.cli import KyklosCommand, bad_argument, bounded_int, dumps, parse_date
from kyklos.seed import bench

#: The most customers or services one seed makes.
MOST_ROWS = 100_000_000


class Command(KyklosCommand):
    help = (
        "Benchmark tools. `bench seed` fills an EMPTY database (no customers) with customers "
        "and services in the demo catalog's mix, their paid history and the ledger as the "
        "daily runs before --date left it, in bulk (COPY on PostgreSQL). The benchmarks "
        "themselves are in bench/ (python -m bench)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        seed = actions.add_parser("seed", help="fill an empty database with benchmark data")
        seed.add_argument("--customers", type=int, required=True)
        seed.add_argument("--services", type=int, required=True)
        seed.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
        seed.add_argument("--date", help="the day the data is ready for; default: today")
        seed.add_argument(
            "--portal-services",
            type=int,
            default=0,
            help="also a customer with this many services and the login "
            f"{bench.PORTAL_USER[0]} / {bench.PORTAL_USER[1]} (published: bench only)",
        )
        seed.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        customers = bounded_int(opts["customers"], "--customers", most=MOST_ROWS)
        services = bounded_int(opts["services"], "--services", most=MOST_ROWS)
        if services < customers:
            raise bad_argument("--services must be at least --customers")
        if opts["portal_services"] < 0:
            raise bad_argument("--portal-services cannot be negative")
        day = parse_date(opts["date"], "--date") or clock.today()

        line = self.progress("Seeding customers", customers, opts=opts)

        def progress(result):
            line.done = result.customers
            line.advance(0, note=f"{result.services} services")
            if not opts["json"] and opts["verbosity"] > 1:
                line.finish()
                self.stdout.write(f"  {result.customers} customers, {result.services} services")

        try:
            with line:
                result = bench.seed(
                    customers=customers,
                    services=services,
                    day=day,
                    rng_seed=opts["seed"],
                    portal_services=opts["portal_services"],
                    progress=progress,
                )
        except bench.SeedRefused as refusal:
            raise CommandError(str(refusal)) from None
        if opts["json"]:
            self.stdout.write(dumps(result.as_dict()))
            return
        self.stdout.write(
            f"Seeded {result.customers} customers and {result.services} services for {day} "
            f"in {result.seconds:.1f} s."
        )
        for table, count in sorted(result.rows.items()):
            self.stdout.write(f"  {table:<28} {count:>10}")
