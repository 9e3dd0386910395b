"""What service notices say comes from the product's policy."""

from datetime import date

import pytest

from kyklos.automation.services import run_day
from kyklos.notifications.models import Outbox
from tests import factories

pytestmark = pytest.mark.django_db


def test_domain_notices_warn_that_late_renewal_costs_extra_and_hosting_ones_do_not():
    customer = factories.customer()
    domain = factories.active_service(
        customer, factories.product("domain"), expires_on=date(2027, 7, 1), label="eleni.gr"
    )
    hosting = factories.active_service(
        customer, factories.product("shared_hosting"), expires_on=date(2027, 7, 1)
    )

    run_day(date(2027, 6, 1))

    def flags(service):
        return {
            o.event: o.context["late_fee_warning"]
            for o in Outbox.objects.filter(service_id=service.pk)
        }

    assert flags(domain) == {"renewal_invoice": True, "expiry_warning": True}  # R4.4
    assert flags(hosting) == {"renewal_invoice": False, "expiry_warning": False}
