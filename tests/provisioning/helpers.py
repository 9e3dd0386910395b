from datetime import date

from kyklos.core import clock
from kyklos.lifecycle import services as lifecycle
from kyklos.payments.services import record_payment

DAY = date(2027, 3, 1)


def order_and_pay(customer, product, capture, *, label="", day=DAY):
    """Order a service and pay its proforma, running what is enqueued after the commit."""
    with clock.frozen(day), capture(execute=True):
        service = lifecycle.order_service(
            customer=customer, product=product, cycle="annual", label=label
        )
        order = service.renewals.get().invoice
        record_payment(order, amount=order.total, method="card")
    service.refresh_from_db()
    return service
