"""``kyklos charge-interest [--through YYYY-MM-DD] [--customer ID]``: invoice the late
interest accrued on project balances (R6.7) now, for one customer or all."""

from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.cli import KyklosCommand, bad_argument, parse_date, positive_int
from kyklos.customers.models import Customer
from kyklos.receivables import services


class Command(KyklosCommand):
    help = "Invoice the late interest accrued on overdue project documents (R6.7)."

    def add_arguments(self, parser):
        parser.add_argument("--through", help="last day to charge (default: today)")
        parser.add_argument("--customer", type=int, help="only this customer id")

    def handle(self, *args, through=None, customer=None, **options):
        day = parse_date(through, "--through") or clock.today()
        buyer = None
        if positive_int(customer, "--customer") is not None:
            buyer = Customer.objects.filter(pk=customer).first()
            if buyer is None:
                raise bad_argument(f"--customer: no customer with id {customer}.")
        try:
            documents = services.charge_interest(through=day, customer=buyer, actor="cli")
        except ValidationError as error:
            raise bad_argument(" ".join(error.messages)) from None
        for document in documents:
            self.stdout.write(f"{document.number} {document.customer} {document.total}")
        self.stdout.write(f"{len(documents)} interest document(s) issued through {day}.")
