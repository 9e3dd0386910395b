"""Upgrades and downgrades between plans of a product type, prorated (PC-1 … PC-4)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.catalog.models import Price
from kyklos.core import clock, hooks
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import selectors, services
from kyklos.lifecycle.models import PlanChange, Renewal, Service, State
from kyklos.payments.models import CreditEntry
from kyklos.payments.selectors import credit_balance
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 1)
#: An annual period 2026-06-01 → 2027-06-01: 365 days, 92 of them left on TODAY.
STARTED, EXPIRES = date(2026, 6, 1), date(2027, 6, 1)


@pytest.fixture
def customer():
    return factories.customer(country="GR")


@pytest.fixture
def basic():
    return factories.product("shared_hosting", name="Basic", prices={"annual": "120.00"})


@pytest.fixture
def pro():
    return factories.product("shared_hosting", name="Pro", prices={"annual": "240.00"})


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield TODAY


def on(customer, product, **fields):
    return factories.active_service(
        customer, product, expires_on=EXPIRES, started_on=STARTED, label="maria.gr", **fields
    )


@pytest.fixture
def moves():
    """The service_plan_changed announcements sent during the test."""
    sent = []

    def receiver(sender, service, previous_product_id, actor=None, **kwargs):
        sent.append((service.pk, previous_product_id, service.product_id))

    hooks.service_plan_changed.connect(receiver, dispatch_uid="test.plan_moves")
    yield sent
    hooks.service_plan_changed.disconnect(dispatch_uid="test.plan_moves")


def everything() -> dict[str, list]:
    models = (Service, PlanChange, Invoice, Renewal, CreditEntry, AuditEvent)
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


# --- the figures --------------------------------------------------------------------------


def test_the_quote_prorates_the_difference_on_the_days_left(customer, basic, pro, today):
    quote = selectors.quote_plan_change(on(customer, basic), pro, today=today)
    assert (quote.days_left, quote.days_in_period) == (92, 365)
    assert (quote.old_price, quote.new_price) == (Decimal("120.00"), Decimal("240.00"))
    assert quote.amount == Decimal("30.25")  # 92 / 365 × 120 = 30.246…
    assert quote.is_upgrade


def test_an_agreed_price_is_the_old_price(customer, basic, pro, today):
    service = on(customer, basic, agreed_price=Decimal("100.00"))
    assert selectors.quote_plan_change(service, pro, today=today).amount == Decimal("35.29")


@settings(max_examples=200, deadline=None)
@given(
    old=st.decimals(min_value=0, max_value=100000, places=2),
    new=st.decimals(min_value=0, max_value=100000, places=2),
    period=st.integers(min_value=28, max_value=731),
    data=st.data(),
)
def test_proration_never_exceeds_the_difference_and_keeps_its_sign(old, new, period, data):
    left = data.draw(st.integers(min_value=0, max_value=period))
    amount = selectors.prorate(new - old, left, period, "EUR")
    assert abs(amount) <= abs(new - old)
    assert amount == 0 or (amount > 0) == (new > old)
    exact = (new - old) * left / period
    assert abs(amount - exact) <= Decimal("0.005")
    assert amount == amount.quantize(Decimal("0.01"))
    if left == period:
        assert amount == new - old


# --- upgrade: billed, moves when paid -----------------------------------------------------


def test_upgrade_issues_a_proforma_and_moves_when_it_is_paid(customer, basic, pro, today, moves):
    service = on(customer, basic)

    change = services.change_plan(service, pro, actor="staff")

    service.refresh_from_db()
    assert service.product == basic  # not before it is paid
    assert change.status == PlanChange.Status.OPEN
    proforma = change.invoice
    assert proforma.kind == DocumentKind.PROFORMA
    assert proforma.subtotal == Decimal("30.25")
    assert proforma.total == Decimal("37.51")  # VAT 24 % on top
    assert "Pro" in proforma.lines.get().description
    assert moves == []

    record_payment(proforma, amount=proforma.total, method="card")

    service.refresh_from_db()
    change.refresh_from_db()
    assert service.product == pro
    assert service.expires_on == EXPIRES  # the period is unchanged
    assert (change.status, change.done_on) == (PlanChange.Status.DONE, TODAY)
    assert moves == [(service.pk, basic.pk, pro.pk)]
    actions = list(
        AuditEvent.objects.filter(object_id=service.pk, action__startswith="service.plan")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["service.plan_change_requested", "service.plan_changed"]


def test_an_upgrade_paid_after_the_service_ended_does_not_move_it(customer, basic, pro, today):
    service = on(customer, basic)
    change = services.change_plan(service, pro)
    Service.objects.filter(pk=service.pk).update(state=State.CANCELLED)

    services.apply_paid_plan_changes(change.invoice)

    service.refresh_from_db()
    change.refresh_from_db()
    assert service.product == basic
    assert change.status == PlanChange.Status.VOID


def test_cancelling_the_service_voids_a_waiting_upgrade(customer, basic, pro, today):
    service = on(customer, basic)
    change = services.change_plan(service, pro)

    services.request_cancellation(service, when="immediate")

    change.refresh_from_db()
    change.invoice.refresh_from_db()
    assert change.status == PlanChange.Status.VOID
    assert change.invoice.status == Invoice.Status.CANCELLED


# --- downgrade: credited at once ---------------------------------------------------------


def test_downgrade_moves_at_once_and_credits_the_account(customer, basic, pro, today, moves):
    service = on(customer, pro)

    change = services.change_plan(service, basic, actor="staff")

    service.refresh_from_db()
    assert service.product == basic
    assert change.status == PlanChange.Status.DONE
    assert change.amount == Decimal("-30.25")
    assert change.invoice is None
    # Not billed by Kyklos (no period on record): the net difference, no VAT.
    assert credit_balance(customer.pk, "EUR") == Decimal("30.25")
    assert moves == [(service.pk, pro.pk, basic.pk)]


def test_downgrade_credits_with_the_vat_the_period_was_billed_with(customer, basic, pro):
    with clock.frozen(STARTED):
        service = services.order_service(customer=customer, product=pro, cycle="annual")
        order = service.renewals.get().invoice
        record_payment(order, amount=order.total, method="card")
    with clock.frozen(TODAY):
        services.change_plan(service, basic)
    entry = CreditEntry.objects.get(customer=customer)
    assert entry.amount == Decimal("37.51")  # 30.25 + 24 %
    assert entry.kind == CreditEntry.Kind.ADJUSTMENT
    assert "Basic" in entry.note


def test_a_change_between_plans_of_one_price_moves_at_once_for_nothing(customer, basic, today):
    twin = factories.product("shared_hosting", name="Basic SSD", prices={"annual": "120.00"})
    service = on(customer, basic)
    change = services.change_plan(service, twin)
    service.refresh_from_db()
    assert (service.product, change.amount, change.invoice) == (twin, Decimal("0.00"), None)
    assert not CreditEntry.objects.exists()


# --- refusals write nothing ---------------------------------------------------------------


def refused(service, product, message: str):
    before = everything()
    with pytest.raises(ValidationError) as error:
        services.change_plan(service, product)
    assert message in " ".join(error.value.messages)
    assert len(error.value.messages) == 1
    assert everything() == before


def test_refused_to_another_product_type(customer, basic, today):
    mail = factories.product("email_hosting", prices={"annual": "50.00"})
    refused(on(customer, basic), mail, "same kind")


def test_refused_to_the_same_plan(customer, basic, today):
    refused(on(customer, basic), basic, "already on this plan")


def test_refused_for_a_suspended_service(customer, basic, pro, today):
    refused(on(customer, basic, state=State.SUSPENDED), pro, "Only an active service")


def test_refused_while_a_renewal_proforma_is_unpaid(customer, basic, pro, today):
    service = on(customer, basic)
    services.renew_now(service)
    refused(service, pro, "waiting for payment")


def test_refused_while_an_upgrade_is_unpaid(customer, basic, pro, today):
    service = on(customer, basic)
    services.change_plan(service, pro)
    top = factories.product("shared_hosting", name="Top", prices={"annual": "480.00"})
    refused(service, top, "plan change of this service is waiting")


def test_refused_when_the_new_plan_has_no_price_for_the_cycle(customer, basic, today):
    monthly_only = factories.product("shared_hosting", prices={"monthly": "30.00"})
    refused(on(customer, basic), monthly_only, "has no Annual price")


def test_refused_when_the_new_plan_price_starts_later(customer, basic, today):
    later = factories.product("shared_hosting", prices={"monthly": "30.00"}, name="Later")
    Price.objects.create(
        product=later, cycle="annual", amount=Decimal("300"), valid_from=date(2027, 4, 1)
    )
    refused(on(customer, basic), later, "no Annual price in force")


def test_refused_for_a_plan_no_longer_sold(customer, basic, pro, today):
    pro.is_active = False
    pro.save()
    refused(on(customer, basic), pro, "no longer sold")


def test_refused_while_a_cancellation_is_scheduled(customer, basic, pro, today):
    service = on(customer, basic)
    services.request_cancellation(service)
    refused(service, pro, "being cancelled")


def test_refused_for_another_customer_as_actor(customer, basic, pro, today):
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied

    intruder = get_user_model().objects.create_user("nikos")
    factories.customer(user=intruder)
    before = everything()
    with pytest.raises(PermissionDenied):
        services.change_plan(on(customer, basic), pro, actor=intruder)
    assert everything() != before  # the service row written by ``on``
    assert not PlanChange.objects.exists()


def test_plan_options_list_the_other_plans_with_their_figures(customer, basic, pro, today):
    factories.product("email_hosting", prices={"annual": "50.00"})
    cheap = factories.product("shared_hosting", name="Mini", prices={"annual": "60.00"})
    options = selectors.plan_options(on(customer, basic), today=today)
    assert [(q.product, q.amount) for q in options] == [
        (cheap, Decimal("-15.12")),
        (pro, Decimal("30.25")),
    ]


def test_the_quote_shows_the_credit_the_downgrade_will_give(customer, basic, pro):
    with clock.frozen(STARTED):
        service = services.order_service(customer=customer, product=pro, cycle="annual")
        order = service.renewals.get().invoice
        record_payment(order, amount=order.total, method="card")
    service.refresh_from_db()
    with clock.frozen(TODAY):
        quote = selectors.quote_plan_change(service, basic, today=TODAY)
        services.change_plan(service, basic)
    assert (quote.amount, quote.credit) == (Decimal("-30.25"), Decimal("37.51"))
    assert CreditEntry.objects.get().amount == quote.credit
