from django.db.models import QuerySet

from kyklos.billing.models import Invoice


def invoices_for_customer(customer_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(customer_id=customer_id).order_by("-issued_on", "-id")
