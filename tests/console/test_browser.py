"""The staff console in a real browser (issue 16's "done when"): billing staff log in with
the real second factor, find a customer by domain, issue a document by hand and a partial
credit note, suspend a service for abuse and lift it, and look at the dashboard's charts;
support staff open the customer's tickets from the customer page. Screenshots of every
console page in el/en/pl and at phone width go to /tmp/shots/console/."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from kyklos.accounts import roles
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from kyklos.support.models import Department
from kyklos.support.services import NewTicket, open_ticket
from tests import factories
from tests.accounts.helpers import code_for, totp_device
from tests.portal.test_browser import CHROMIUM, chromium_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "correct horse battery staple"
SHOTS = Path("/tmp/shots/console")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_second_factor,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def staff_login(username: str, role: str):
    user = get_user_model().objects.create_user(
        username, password=PASSWORD, is_staff=True, first_name=username.title()
    )
    roles.assign(user, role)
    return user, totp_device(user)


@pytest.fixture
def world(transactional_db):
    """Maria with a hosting on maria-shop.gr, a paid invoice and a ticket (real clock: the
    live server runs in another thread)."""
    seed_policies(LifecyclePolicy)
    if not Department.objects.filter(code="technical").exists():
        Department.objects.create(code="technical", name="Technical")
    today = clock.today()
    maria = factories.customer(
        name="Maria Nowak",
        email="maria@example.gr",
        language="en",
        user=get_user_model().objects.create_user("maria", password=PASSWORD),
    )
    hosting = factories.product("shared_hosting", name="Web Hosting Pro")
    service = factories.active_service(
        maria,
        hosting,
        label="maria-shop.gr",
        expires_on=today + timedelta(days=200),
        started_on=today - timedelta(days=165),
    )
    factories.active_service(
        maria,
        hosting,
        label="nowak-blog.gr",
        cycle="monthly",
        expires_on=today + timedelta(days=12),
        started_on=today - timedelta(days=80),
    )
    issue_document(
        DocumentSpec(
            customer=maria,
            kind=DocumentKind.RECEIPT,
            lines=[LineSpec(description="Web Hosting Pro, 12 months", unit_price=Decimal("120"))],
            issued_on=today - timedelta(days=40),
            status=Invoice.Status.PAID,
            paid_on=today - timedelta(days=40),
        )
    )
    ticket = open_ticket(
        NewTicket(
            subject="My site is slow",
            body="Since yesterday.",
            department="technical",
            customer=maria,
        ),
        notify=False,
    )
    return {"maria": maria, "service": service, "ticket": ticket}


def log_in(page, base: str, username: str, device) -> None:
    page.goto(f"{base}/portal/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(code_for(device))
    page.get_by_role("button", name="Verify").click()


def test_billing_staff_bill_credit_suspend_and_read_the_dashboard(live_server, world):
    from playwright.sync_api import expect

    service = world["service"]
    _user, device = staff_login("bella", roles.BILLING)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        log_in(page, live_server.url, "bella", device)
        expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()
        assert page.url == f"{live_server.url}/console/"  # the console, not the admin

        page.get_by_label("Search").fill("maria-shop")
        page.get_by_role("button", name="Search", exact=True).click()
        results = page.get_by_role("region", name="Services and domains")
        expect(results).to_contain_text("maria-shop.gr")
        results.get_by_role("link", name="Maria Nowak").click()
        expect(page.get_by_role("heading", name="Maria Nowak", level=1)).to_be_visible()

        # A document by hand, as a tax document, then a partial credit note against it.
        page.get_by_role("link", name="Issue a document by hand").click()
        page.get_by_label("Document").select_option("tax")
        page.get_by_label("Reason").fill("Restore from backup, billed (R5.2)")
        page.get_by_label("Line 1: description").fill("Restore from backup")
        page.locator("#id_price_1").fill("40.00")
        page.get_by_role("button", name="Issue the document").click()
        expect(page.get_by_role("status").first).to_contain_text("was issued for €49.60")
        number = Invoice.objects.exclude(kind=DocumentKind.CREDIT_NOTE).latest("id").number

        page.locator(f"#document-{Invoice.objects.get(number=number).pk}").get_by_role(
            "link", name="Credit note"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(number)
        page.get_by_label("or amount before VAT").fill("10.00")
        page.get_by_label("Reason").fill("Part of the restore was not needed")
        page.get_by_role("button", name="Issue the credit note").click()
        expect(page.get_by_role("status").first).to_contain_text(
            f"was issued for €12.40 against {number}"
        )

        # Suspend for abuse at once, then lift it.
        row = page.locator(f"#service-{service.pk}")
        row.get_by_label("Reason").fill("Phishing page reported by CERT")
        row.get_by_role("button", name="Suspend for abuse").click()
        expect(page.get_by_role("status").first).to_contain_text("was suspended for abuse")
        expect(row).to_contain_text("Suspended")
        row.get_by_label("Reason").fill("Page removed, site cleaned")
        row.get_by_role("button", name="Lift the suspension").click()
        expect(page.get_by_role("status").first).to_contain_text("suspension of maria-shop.gr")
        expect(row).to_contain_text("Active")

        # The dashboard's charts.
        page.get_by_role("link", name="Dashboard").click()
        for name in (
            "Monthly recurring revenue",
            "Renewals due in the next 30 days",
            "Receivables by age",
            "SLA health",
            "New and lost customers",
        ):
            expect(page.get_by_role("img", name=name)).to_be_visible()
        page.screenshot(path=str(SHOTS / "flow-dashboard-en.png"), full_page=True)
        assert page.console_errors == []  # e.g. no CSP violation

    service.refresh_from_db()
    assert service.state == State.ACTIVE
    credit = Invoice.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert credit.related.number == number and credit.total == Decimal("12.40")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "invoice.issued_by_hand",
        "service.suspended_for_abuse",
        "service.suspension_lifted",
    } <= actions


def test_support_staff_open_the_customers_tickets_from_the_customer_page(live_server, world):
    from playwright.sync_api import expect

    ticket = world["ticket"]
    _user, device = staff_login("sofia", roles.SUPPORT)
    with chromium_page() as page:
        log_in(page, live_server.url, "sofia", device)
        page.get_by_label("Search").fill("maria@example.gr")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.get_by_role("heading", name="Maria Nowak", level=1)).to_be_visible()
        tickets = page.get_by_role("region", name="Tickets")
        expect(tickets).to_contain_text("My site is slow")
        tickets.get_by_role("link", name=ticket.number).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("My site is slow")
        assert page.url.endswith(f"/desk/tickets/{ticket.pk}/")
        page.get_by_role("link", name="Staff console").click()  # the desk links back
        expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()
        assert page.console_errors == []
