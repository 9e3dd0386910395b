from kyklos.core import clock
from kyklos.core.cli import MOST_DAYS, KyklosCommand, bad_argument, bounded_int, dumps
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service
from kyklos.lifecycle.selectors import forecast, with_billed_period


class Command(KyklosCommand):
    help = "The dated lifecycle events ahead for a service or for all of a customer's services."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--service", type=int)
        target.add_argument("--customer", type=int)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        days = bounded_int(opts["days"], "--days", most=MOST_DAYS)
        services = with_billed_period(
            Service.objects.select_related("product__policy").order_by("id")
        )
        if opts["service"] is not None:
            services = services.filter(pk=opts["service"])
            if not services:
                raise bad_argument(f"--service: no service with id {opts['service']}")
        else:
            services = services.filter(customer_id=opts["customer"])
            if not Customer.objects.filter(pk=opts["customer"]).exists():
                raise bad_argument(f"--customer: no customer with id {opts['customer']}")
        today = clock.today()
        rows = [
            {"service": s.pk, "label": s.label, **event}
            for s in services
            for event in forecast(s, today=today, days=days)
        ]
        rows.sort(key=lambda r: (r["date"], r["service"]))
        if opts["json"]:
            self.stdout.write(dumps(rows))
            return
        if not rows:
            self.stdout.write(f"No lifecycle events in the next {days} days.")
        for row in rows:
            self.stdout.write(
                f"{row['date']}  service {row['service']:<6} {row['event']:<18} {row['label']}"
            )
