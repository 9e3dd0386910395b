"""An estimate binds nobody beside the quote that does (R7.7); every quote carries the SLA
version in force when sent and its acceptance records it; third-party costs are
recharged at cost on the project's next invoice, once (R7.8)."""

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.notifications.services import send_pending
from kyklos.projects import selectors, services
from kyklos.projects.models import Channel, Project, Quote, Signature, SlaVersion, ThirdPartyCost
from tests.projects.test_project_flow import pay
from tests.projects.test_quotes import LINES, portal_consent

NEW_SLA = {
    "en": "Service level agreement, 2027 edition: answers within 4 business hours.",
    "el": "Συμφωνία επιπέδου υπηρεσιών, έκδοση 2027: απαντήσεις εντός 4 εργάσιμων ωρών.",
    "pl": "Umowa o poziomie usług, wydanie 2027: odpowiedź w ciągu 4 godzin roboczych.",
}


def pdf_text(quote: Quote) -> str:
    quote = Quote.objects.select_related("customer", "sla_version", "acceptance").get(pk=quote.pk)
    document = pypdf.PdfReader(io.BytesIO(selectors.quote_pdf(quote)))
    return "\n".join(page.extract_text() for page in document.pages)


@pytest.fixture
def estimate(customer, staff, today):
    draft = services.draft_quote(
        customer, title="Online shop", lines=LINES, is_estimate=True, actor=staff
    )
    return services.send_quote(draft, actor=staff)


def test_an_estimate_is_sent_as_not_binding_and_cannot_be_accepted(
    estimate, customer, staff, mailoutbox
):
    assert (estimate.status, estimate.valid_until) == (Quote.Status.SENT, None)
    notice = Outbox.objects.get()
    assert (notice.event, notice.headers) == ("estimate_sent", {})  # no reply is asked for
    send_pending()
    assert "not binding" in mailoutbox[0].subject
    assert "it binds neither you nor us" in mailoutbox[0].body
    assert "Estimate, not binding" in pdf_text(estimate)
    assert "To accept" not in pdf_text(estimate)

    email = services.Consent(
        channel=Channel.EMAIL,
        signer_name="Nikos Georgiou",
        signer_email="nikos@example.gr",
        source="<ok@example.gr>",
    )
    for consent, actor in ((portal_consent(customer), None), (email, staff)):
        with pytest.raises(ValidationError, match="is an estimate: it binds nobody"):
            services.accept_quote(estimate, version=1, consent=consent, actor=actor)
    assert Signature.objects.count() == 0 and Project.objects.count() == 0
    assert not AuditEvent.objects.filter(action="projects.quote.accepted").exists()


def test_an_estimate_revised_into_a_quote_becomes_binding(estimate, customer, staff):
    quote = services.revise_quote(estimate, is_estimate=False, actor=staff)
    assert (quote.version, quote.is_estimate, quote.status) == (2, False, Quote.Status.DRAFT)
    services.send_quote(quote, actor=staff)
    project = services.accept_quote(quote, version=2, consent=portal_consent(customer))
    assert project.contract_amount == Decimal("4000.00")


def test_the_quote_records_the_sla_version_it_was_sent_and_accepted_with(customer, staff, today):
    first = SlaVersion.objects.get()  # version 1, seeded
    quote = services.send_quote(
        services.draft_quote(customer, title="Company website", lines=LINES, actor=staff),
        actor=staff,
    )
    assert quote.sla_version == first
    assert Outbox.objects.get(event="quote_sent").context["sla_version"] == 1
    # a new SLA published after sending does not change what this quote carries
    second = services.publish_sla(NEW_SLA, actor=staff)
    assert second.number == 2 and services.current_sla() == second
    services.accept_quote(quote, version=1, consent=portal_consent(customer))

    signature = Signature.objects.get()
    assert signature.sla_version == first
    assert signature.snapshot["sla_version"] == 1
    assert signature.snapshot["sla_digest"] == first.digest
    text = pdf_text(quote)
    assert "Service level agreement: version 1" in text
    assert "with SLA version 1" in text  # the acceptance, named on the PDF
    assert "Requests are answered within business hours" in text  # v1 annexed, not v2
    # the next quote carries version 2
    later = services.send_quote(
        services.draft_quote(customer, title="Shop", lines=LINES, actor=staff), actor=staff
    )
    assert later.sla_version == second and "SLA v2" in pdf_text(later)


def test_the_pdf_is_in_the_customers_language_with_the_sla_in_it(company, staff, today):
    quote = services.send_quote(
        services.draft_quote(company, title="Ιστοσελίδα", lines=LINES, actor=staff), actor=staff
    )
    text = pdf_text(quote)
    assert "Συμφωνία επιπέδου υπηρεσιών" in text


def test_publishing_the_same_sla_makes_no_version_and_every_language_is_needed(staff, db):
    current = services.current_sla()
    assert services.publish_sla(current.texts, actor=staff) is None
    with pytest.raises(ValidationError, match="text in pl"):
        services.publish_sla({"en": "x", "el": "y"}, actor=staff)
    assert SlaVersion.objects.count() == 1


def test_without_a_published_sla_no_quote_is_sent(customer, staff, today):
    SlaVersion.objects.all().delete()
    quote = services.draft_quote(customer, title="Site", lines=LINES, actor=staff)
    with pytest.raises(ValidationError, match="Publish the service level agreement"):
        services.send_quote(quote, actor=staff)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT and not Outbox.objects.exists()


# --- third-party costs (R7.8) -------------------------------------------------------------


@pytest.fixture
def monthly_project(customer, staff, today):
    quote = services.draft_quote(customer, title="Portal", lines=LINES, plan="monthly", actor=staff)
    services.send_quote(quote, actor=staff)
    return services.accept_quote(quote, version=1, consent=portal_consent(customer))


def cost(project, amount="49.00", **kwargs):
    kwargs.setdefault("supplier", "Font Foundry Ltd")
    kwargs.setdefault("description", "Web font licence")
    kwargs.setdefault("receipt_reference", "FF-2027-118")
    return services.record_third_party_cost(project, amount=amount, actor="staff", **kwargs)


def test_third_party_costs_are_billed_at_cost_on_the_next_invoice_once(monthly_project, staff):
    project = monthly_project
    font = cost(project)
    photos = cost(
        project,
        "120.00",
        supplier="Stock Images SA",
        description="Three photos",
        receipt_reference="SI-9",
    )
    with clock.frozen(date(2027, 4, 1)):
        interim = services.issue_interim_invoice(project, amount="1000", actor=staff)
    # 1,000 interim + 49 + 120 at cost = 1,169 net; 24% VAT = 280.56; 1,449.56
    assert (interim.subtotal, interim.vat_total, interim.total) == (
        Decimal("1169.00"),
        Decimal("280.56"),
        Decimal("1449.56"),
    )
    assert [(ln.description, ln.unit_price) for ln in interim.lines.all()][1:] == [
        (
            "Third-party cost at cost: Font Foundry Ltd — Web font licence (receipt FF-2027-118)",
            Decimal("49.00"),
        ),
        (
            "Third-party cost at cost: Stock Images SA — Three photos (receipt SI-9)",
            Decimal("120.00"),
        ),
    ]
    font.refresh_from_db()
    photos.refresh_from_db()
    assert font.invoice == interim and photos.invoice == interim

    # the contract is unaffected: final = 4,000 − 1,000 = 3,000, the costs not again
    with clock.frozen(date(2027, 5, 3)):
        final = services.deliver_project(project, actor=staff)
    assert final.subtotal == Decimal("3000.00") and final.lines.count() == 1

    # a cost recorded after the final invoice is billed on its own, once
    with clock.frozen(date(2027, 5, 4)):
        late = cost(project, "15.00", description="Extra licence seat", receipt_reference="FF-2")
        invoice = services.bill_third_party_costs(project, actor=staff)
        assert services.bill_third_party_costs(project, actor=staff) is None
    late.refresh_from_db()
    assert (late.invoice, invoice.subtotal) == (invoice, Decimal("15.00"))


def test_a_deposit_request_leaves_costs_for_the_next_tax_invoice(customer, staff, today):
    quote = services.draft_quote(customer, title="Site", lines=LINES, actor=staff)
    services.send_quote(quote, actor=staff)
    project = services.accept_quote(quote, version=1, consent=portal_consent(customer))
    pay(project.invoices.get(kind="deposit").invoice, date(2027, 3, 2))
    licence = cost(project)
    with pytest.raises(ValidationError, match="next interim or final invoice"):
        services.bill_third_party_costs(project, actor=staff)
    with clock.frozen(date(2027, 4, 1)):
        final = services.deliver_project(project, actor=staff)
    # 4,000 − 2,000 deposit + 49 at cost = 2,049
    assert final.subtotal == Decimal("2049.00")
    licence.refresh_from_db()
    assert licence.invoice == final


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "0"}, "greater than zero"),
        ({"amount": "10.005"}, "At most 2 decimals"),
        ({"currency": "USD"}, "project's currency \\(EUR\\)"),
        ({"supplier": " "}, "Name the supplier"),
        ({"receipt_reference": ""}, "receipt's reference"),
        ({"incurred_on": date(2027, 3, 2)}, "future"),
    ],
)
def test_bad_costs_are_refused_and_nothing_is_written(monthly_project, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        cost(monthly_project, **kwargs)
    assert ThirdPartyCost.objects.count() == 0
    assert not AuditEvent.objects.filter(action="projects.cost.recorded").exists()
