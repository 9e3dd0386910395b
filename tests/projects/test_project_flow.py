"""From an accepted quote to the ownership of the work (R7.2, R7.3, R7.5).

The customer is a Greek person: 24% VAT, receipts as tax documents."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from kyklos.projects import services
from kyklos.projects.models import Channel, Project, ProjectInvoice, Variation
from tests.projects.test_quotes import LINES, portal_consent


def pay(invoice, day, amount=None):
    with clock.frozen(day):
        record_payment(invoice, amount=amount or invoice.total, method="manual", actor="staff")


@pytest.fixture
def project(customer, staff, today):
    quote = services.draft_quote(customer, title="Company website", lines=LINES, actor=staff)
    services.send_quote(quote, actor=staff)
    return services.accept_quote(quote, version=1, consent=portal_consent(customer))


def test_the_deposit_starts_the_project_and_the_final_invoice_passes_ownership(
    project, customer, staff
):
    deposit = project.invoices.get(kind="deposit").invoice
    pay(deposit, date(2027, 3, 3))
    project.refresh_from_db()
    assert (project.status, project.started_on) == (Project.Status.IN_PROGRESS, date(2027, 3, 3))
    receipt = Invoice.objects.get(related=deposit)
    assert (receipt.kind, receipt.total) == (DocumentKind.RECEIPT, Decimal("2480.00"))

    with clock.frozen(date(2027, 4, 2)):
        added = services.propose_variation(
            project, kind="added", description="Newsletter sign-up", amount="600", actor=staff
        )
        omitted = services.propose_variation(
            project, kind="omitted", description="Second language", amount="200.00", actor=staff
        )
        services.confirm_variation(added, consent=portal_consent(customer))
        services.confirm_variation(
            omitted,
            consent=services.Consent(
                channel=Channel.EMAIL,
                signer_name="Nikos Georgiou",
                signer_email="nikos@example.gr",
                source="<reply-77@example.gr>",
            ),
            actor=staff,
        )
        declined = services.propose_variation(
            project, kind="added", description="Chat widget", amount="300", actor=staff
        )
        services.decline_variation(declined, actor=customer.user)

    with clock.frozen(date(2027, 5, 10)):
        final = services.deliver_project(project, actor=staff)
    # 4,000 contract + 600 added − 200 omitted − 2,000 deposit = 2,400 net; + 24% = 2,976
    assert (final.kind, final.subtotal, final.vat_total, final.total) == (
        DocumentKind.RECEIPT,
        Decimal("2400.00"),
        Decimal("576.00"),
        Decimal("2976.00"),
    )
    assert (final.issued_on, final.due_on, final.status) == (
        date(2027, 5, 10),
        date(2027, 6, 9),  # 30 days after delivery
        Invoice.Status.OPEN,
    )
    project.refresh_from_db()
    assert (project.status, project.delivered_on) == (Project.Status.DELIVERED, date(2027, 5, 10))
    # one notice per document: billing's, with the PDF attached
    assert list(Outbox.objects.filter(invoice_id=final.pk).values_list("event", "attachments")) == [
        ("receipt_issued", [{"kind": "invoice_pdf", "id": final.pk}])
    ]
    assert not project.ownership_transferred

    pay(final, date(2027, 6, 1), amount="1000.00")  # a part payment passes nothing
    project.refresh_from_db()
    assert not project.ownership_transferred
    pay(final, date(2027, 6, 5), amount="1976.00")
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED
    assert project.ownership_transferred_on == date(2027, 6, 5)
    assert Outbox.objects.filter(event="project_completed", customer=customer).count() == 1


def test_a_monthly_plan_gets_interim_invoices_and_a_final_one_for_the_rest(customer, staff, today):
    quote = services.draft_quote(customer, title="Portal", lines=LINES, plan="monthly", actor=staff)
    services.send_quote(quote, actor=staff)
    project = services.accept_quote(quote, version=1, consent=portal_consent(customer))
    assert project.status == Project.Status.IN_PROGRESS  # no deposit on the monthly plan
    assert not project.invoices.exists()

    with clock.frozen(date(2027, 3, 31)):
        march = services.issue_interim_invoice(project, amount="1200", actor=staff)
    with clock.frozen(date(2027, 4, 30)):
        april = services.issue_interim_invoice(project, amount="1500.00", actor=staff)
        with pytest.raises(ValidationError, match="nothing for the final invoice"):
            services.issue_interim_invoice(project, amount="1300", actor=staff)
    assert (march.subtotal, march.total, march.due_on) == (
        Decimal("1200.00"),
        Decimal("1488.00"),
        date(2027, 3, 31),
    )
    assert april.total == Decimal("1860.00")
    with clock.frozen(date(2027, 5, 20)):
        final = services.deliver_project(project, actor=staff)
    assert final.subtotal == Decimal("1300.00")  # 4,000 − 1,200 − 1,500
    assert final.due_on == date(2027, 6, 19)
    assert list(project.invoices.values_list("kind", flat=True)) == [
        "interim",
        "interim",
        "final",
    ]


def test_delivery_waits_for_open_variations_and_refuses_a_second_time(project, staff):
    pay(project.invoices.get(kind="deposit").invoice, date(2027, 3, 2))
    with clock.frozen(date(2027, 3, 10)):
        variation = services.propose_variation(
            project, kind="added", description="Blog", amount="100", actor=staff
        )
        with pytest.raises(ValidationError, match="still waiting for the customer"):
            services.deliver_project(project, actor=staff)
        services.withdraw_variation(variation, actor=staff)
        services.deliver_project(project, actor=staff)
        with pytest.raises(ValidationError, match="cannot be delivered"):
            services.deliver_project(project, actor=staff)
    assert ProjectInvoice.objects.filter(kind="final").count() == 1


def test_a_project_cannot_be_delivered_before_its_deposit_is_paid(project, staff):
    with pytest.raises(ValidationError, match="awaiting deposit cannot be delivered"):
        services.deliver_project(project, actor=staff)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(kind="extra"), "added or omitted"),
        (dict(amount="0"), "greater than zero"),
        (dict(amount="abc"), "as a number"),
        (dict(description=""), "Describe the work"),
        (dict(kind="omitted", amount="2000.01"), "More than is left"),
    ],
)
def test_bad_variations_are_refused(project, staff, kwargs, message):
    args = dict(kind="added", description="Blog", amount="100")
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        services.propose_variation(project, actor=staff, **args)
    assert Variation.objects.count() == 0
    assert not Outbox.objects.filter(event="variation_proposed").exists()


def test_cancelling_a_project_voids_its_unpaid_deposit_request(project, staff):
    services.cancel_project(project, reason="Customer changed plans", actor=staff)
    deposit = project.invoices.get(kind="deposit").invoice
    deposit.refresh_from_db()
    assert deposit.status == Invoice.Status.CANCELLED
    with pytest.raises(ValidationError, match="not yet delivered"):
        services.cancel_project(project, reason="again", actor=staff)
