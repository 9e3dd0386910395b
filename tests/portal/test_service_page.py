"""A service's own page and the change of plan from it (issue 13, PC-1 … PC-4)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kyklos.billing.models import Invoice
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import PlanChange, Service, State
from kyklos.payments.models import CreditEntry
from kyklos.portal import provided
from tests import factories

pytestmark = pytest.mark.django_db

#: 2026-06-01 → 2027-06-01: 365 days, 92 left on the portal tests' day (2027-03-01).
STARTED, EXPIRES = date(2026, 6, 1), date(2027, 6, 1)


@pytest.fixture(autouse=True)
def _language_of_later_tests():
    """The locale middleware leaves the last request's language active in this thread."""
    yield
    translation.deactivate()


@pytest.fixture
def basic(db):
    return factories.product("shared_hosting", name="Hosting Basic", prices={"annual": "120.00"})


@pytest.fixture
def pro(db):
    return factories.product("shared_hosting", name="Hosting Pro", prices={"annual": "240.00"})


@pytest.fixture
def service(customer, basic):
    return factories.active_service(
        customer, basic, label="maria.gr", started_on=STARTED, expires_on=EXPIRES
    )


def page(portal, service):
    return portal.get(reverse("portal:service", args=[service.pk]))


def rows() -> dict[str, int]:
    models = (Service, PlanChange, Invoice, CreditEntry, AuditEvent)
    return {m.__name__: m.objects.count() for m in models}


# --- the page -----------------------------------------------------------------------------


def test_the_page_shows_state_dates_price_addons_and_actions(portal, today, customer, service):
    storage = factories.product("addon", name="Extra storage", prices={"annual": "24.00"})
    factories.active_service(customer, storage, parent=service, expires_on=EXPIRES)

    response = page(portal, service)

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Hosting Basic",
        "maria.gr",
        "Active",
        "June 1, 2026",  # started
        "June 1, 2027",  # expires and next payment due
        "in 92 days",
        "€120.00 / Annual",
        "Extra storage",
        "€24.00",
        "No usage is reported for this service.",
        "Renew now",
        "Cancel at end of period",
    ):
        assert text in html, text
    assert "Change plan" not in html  # no other plan of the kind is sold


def test_the_page_offers_a_plan_change_and_shows_the_open_proforma(portal, today, service, pro):
    lifecycle.renew_now(service)

    html = page(portal, service).content.decode()

    assert "Waiting for payment" in html
    assert "PRO-2027-000001" in html
    assert "Renew now" not in html  # the proforma waits instead
    assert "Change plan" not in html  # PC-2: not while a renewal is unpaid


def test_the_usage_block_lists_what_provisioning_reports(portal, today, service, monkeypatch):
    rows_ = [provided.UsageRow("Disk", "3.2 GB", "10 GB"), provided.UsageRow("Mailboxes", "4")]
    monkeypatch.setattr("kyklos.portal.service_pages.usage_rows", lambda s: rows_)

    html = page(portal, service).content.decode()

    assert "3.2 GB" in html and "10 GB" in html and "Unlimited" in html


def test_the_dashboard_links_each_service_to_its_page(portal, today, service):
    html = portal.get(reverse("portal:dashboard")).content.decode()
    assert f'href="/portal/services/{service.pk}/"' in html


def test_another_customers_service_is_a_404(portal, today, other_customer, basic, pro):
    theirs = factories.active_service(other_customer, basic, started_on=STARTED, expires_on=EXPIRES)
    before = rows()
    assert page(portal, theirs).status_code == 404
    assert portal.get(reverse("portal:service_plan", args=[theirs.pk])).status_code == 404
    response = portal.post(reverse("portal:service_plan", args=[theirs.pk]), {"plan": pro.pk})
    assert response.status_code == 404
    assert rows() == before


# --- the plan change ----------------------------------------------------------------------


def test_the_plan_page_shows_the_prorated_amount_before_confirming(portal, today, service, pro):
    mini = factories.product("shared_hosting", name="Hosting Mini", prices={"annual": "60.00"})

    response = portal.get(reverse("portal:service_plan", args=[service.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Pay €30.25 now, plus VAT (92 of 365 days)" in html
    assert "Changes now; €15.12 (92 of 365 days) is added to your account credit." in html
    assert html.index(mini.name) < html.index(pro.name)  # cheapest first
    assert not PlanChange.objects.exists()  # looking writes nothing


def test_upgrading_issues_the_proforma_and_shows_it(portal, today, service, pro):
    response = portal.post(reverse("portal:service_plan", args=[service.pk]), {"plan": pro.pk})

    change = PlanChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:invoice", args=[change.invoice_id])
    assert change.invoice.subtotal == Decimal("30.25")
    service.refresh_from_db()
    assert service.product_id != pro.pk  # moves when paid
    followed = portal.get(response["Location"]).content.decode()
    assert "your plan changes to Hosting Pro when it is paid" in followed


def test_downgrading_moves_now_and_credits(portal, today, customer, pro, basic):
    service = factories.active_service(customer, pro, started_on=STARTED, expires_on=EXPIRES)

    response = portal.post(reverse("portal:service_plan", args=[service.pk]), {"plan": basic.pk})

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.product == basic
    assert CreditEntry.objects.get().amount == Decimal("30.25")
    followed = portal.get(response["Location"]).content.decode()
    assert "the difference was added to your account credit" in followed


@pytest.mark.parametrize("plan", ["", "abc", "999999", "-1"])
def test_a_plan_not_offered_is_refused_and_writes_nothing(portal, today, service, pro, plan):
    mail = factories.product("email_hosting", prices={"annual": "1.00"})
    before = rows()
    for value in (plan, str(mail.pk), str(service.product_id)):
        response = portal.post(reverse("portal:service_plan", args=[service.pk]), {"plan": value})
        assert response.status_code == 400
        assert "Choose one of the plans listed." in response.content.decode()
    assert rows() == before


def test_a_suspended_service_is_told_why_it_cannot_change(portal, today, service, pro):
    Service.objects.filter(pk=service.pk).update(state=State.SUSPENDED)
    before = rows()

    get = portal.get(reverse("portal:service_plan", args=[service.pk]))
    post = portal.post(reverse("portal:service_plan", args=[service.pk]), {"plan": pro.pk})

    assert "Only an active service can change plan." in get.content.decode()
    assert post.status_code == 400
    assert rows() == before


def test_a_refusal_found_at_confirmation_is_one_line_and_writes_nothing(
    portal, today, service, pro, monkeypatch
):
    """The plan was offered, but the service changed before the customer confirmed."""
    from django.core.exceptions import ValidationError

    def refuse(*args, **kwargs):
        raise ValidationError("A proforma of this service is waiting for payment; pay it first.")

    monkeypatch.setattr("kyklos.lifecycle.services.change_plan", refuse)
    before = rows()

    response = portal.post(reverse("portal:service_plan", args=[service.pk]), {"plan": pro.pk})

    assert response.status_code == 400
    assert "waiting for payment; pay it first" in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize("language", ["el", "pl"])
def test_the_service_pages_are_translated(portal, today, service, pro, language):
    portal.cookies["django_language"] = language
    detail = page(portal, service).content.decode()
    plan = portal.get(reverse("portal:service_plan", args=[service.pk])).content.decode()
    expected = {
        "el": ("Επόμενη πληρωμή", "Αλλαγή πακέτου", "Επιβεβαίωση της αλλαγής"),
        "pl": ("Następna płatność", "Zmiana planu", "Potwierdź zmianę"),
    }[language]
    assert expected[0] in detail
    assert expected[1] in detail
    assert expected[2] in plan


def test_a_domain_service_shows_what_the_registry_says(portal, today, customer):
    """The domains app's facts of the service's domain: state, expiry at the registry, name
    servers and the transfer lock; a service without a domain shows none of them."""
    from kyklos.domains import services as domains

    product = factories.product("domain", name="Domain .gr", prices={"biennial": "28.00"})
    service = factories.active_service(
        customer,
        product,
        cycle="biennial",
        label="maria-shop.gr",
        started_on=STARTED,
        expires_on=EXPIRES,
    )
    domains.record_existing(service, nameservers=["ns1.kyklos.example", "ns2.kyklos.example"])
    html = page(portal, service).content.decode()
    assert "maria-shop.gr" in html
    assert "ns1.kyklos.example, ns2.kyklos.example" in html
    assert [r.label for r in provided.domain_rows(service)] == [
        "Domain",
        "Registry state",
        "Expires at the registry",
        "Name servers",
        "Transfer lock",
    ]
    hosting = factories.product("shared_hosting", name="Hosting", prices={"annual": "1.00"})
    other = factories.active_service(customer, hosting, started_on=STARTED, expires_on=EXPIRES)
    assert provided.domain_rows(other) == []
    assert provided.usage_rows(other) == []  # no account on a server: nothing reported
