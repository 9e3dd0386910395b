"""Sending, revising, accepting and expiring quotes (R7.1)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.notifications.models import Outbox
from kyklos.notifications.services import send_pending
from kyklos.projects import services
from kyklos.projects.models import Channel, Project, Quote, Signature
from tests.portal.conftest import make_login

LINES = [
    {"description": "Design and build of the site", "unit_price": "3500.00"},
    {"description": "Content migration", "quantity": "2", "unit_price": "250.00"},
]


@pytest.fixture
def sent_quote(customer, staff, today):
    quote = services.draft_quote(customer, title="Company website", lines=LINES, actor=staff)
    return services.send_quote(quote, actor=staff)


def portal_consent(customer, name="Nikos Georgiou"):
    if customer.user is None:
        customer.user = make_login("nikos", email="nikos@example.gr")
        customer.save(update_fields=["user"])
    return services.Consent(
        channel=Channel.PORTAL,
        signer_name=name,
        ip_address="203.0.113.7",
        user_agent="Firefox",
        user=customer.user,
    )


def test_a_sent_quote_is_valid_14_days_and_mailed_with_its_pdf(sent_quote, mailoutbox):
    assert sent_quote.status == Quote.Status.SENT
    assert sent_quote.sent_on == date(2027, 3, 1)
    assert sent_quote.valid_until == date(2027, 3, 15)
    assert sent_quote.subtotal == Decimal("4000.00")  # 3500 + 2 × 250

    notice = Outbox.objects.get(event="quote_sent")
    assert notice.to_email == "office@example.gr"  # the administrative address
    assert notice.headers == {"Reply-To": "billing@kyklos.localhost"}
    send_pending()
    (message,) = mailoutbox
    assert "Q-2027-" in message.subject
    assert "15 March 2027" in message.body and "€4,000.00" in message.body
    (filename, content, mime) = message.attachments[0]
    assert filename == f"{sent_quote.number}-v1.pdf" and mime == "application/pdf"
    assert content.startswith(b"%PDF")


def test_portal_acceptance_is_the_signature_of_the_exact_version(sent_quote, customer):
    project = services.accept_quote(sent_quote, version=1, consent=portal_consent(customer))

    sent_quote.refresh_from_db()
    signature = sent_quote.acceptance
    assert sent_quote.status == Quote.Status.ACCEPTED
    assert (signature.channel, signature.signer_name, signature.ip_address) == (
        "portal",
        "Nikos Georgiou",
        "203.0.113.7",
    )
    assert signature.source == "portal 203.0.113.7"
    assert signature.user == customer.user
    assert signature.signed_at == clock.now()  # 1 March 2027, 09:00 (frozen)
    assert signature.reference == f"{sent_quote.number} v1"
    assert signature.snapshot["subtotal"] == "4000.00"
    assert [ln["amount"] for ln in signature.snapshot["lines"]] == ["3500.00", "500.00"]
    assert len(signature.digest) == 64
    assert signature.digest == services.digest(signature.snapshot)

    # The project opens and asks for the 50% deposit: 2,000.00 + 24% VAT = 2,480.00
    assert project.status == Project.Status.AWAITING_DEPOSIT
    assert project.contract_amount == Decimal("4000.00")
    deposit = project.invoices.get(kind="deposit").invoice
    assert (deposit.kind, deposit.subtotal, deposit.total) == (
        DocumentKind.PROFORMA,
        Decimal("2000.00"),
        Decimal("2480.00"),
    )
    assert deposit.due_on == date(2027, 3, 1)
    assert set(Outbox.objects.values_list("event", flat=True)) == {
        "quote_sent",
        "quote_accepted",
        "invoice_issued",
    }


def test_an_email_reply_recorded_by_staff_is_the_signature(sent_quote, customer, staff):
    replied = datetime(2027, 3, 14, 22, 5, tzinfo=clock.provider_tz())
    with clock.frozen(date(2027, 3, 17)):  # recorded after the quote expired: still in time
        services.expire_quotes(date(2027, 3, 17))
        project = services.accept_quote(
            sent_quote,
            version=1,
            consent=services.Consent(
                channel=Channel.EMAIL,
                signer_name="Nikos Georgiou",
                signer_email="Nikos@Example.gr",
                source="<CAF=1234@mail.example.gr>",
                signed_at=replied,
            ),
            actor=staff,
        )
    signature = Signature.objects.get()
    assert (signature.channel, signature.signed_at, signature.recorded_by) == (
        "email",
        replied,
        staff,
    )
    assert signature.source == "<CAF=1234@mail.example.gr>"
    assert project.accepted_on == date(2027, 3, 17)


@pytest.mark.parametrize(
    ("consent", "message"),
    [
        (dict(signer_email="someone@else.gr"), "not an address of this customer"),
        (dict(source=""), "Identify the reply"),
        (dict(signed_at=datetime(2027, 3, 16, 9, 0)), "expired on 2027-03-15"),
        (dict(signed_at=datetime(2027, 2, 27, 9, 0)), "older than the quote"),
        (dict(signer_name=" "), "Type the name"),
    ],
)
def test_a_doubtful_email_acceptance_is_refused_and_nothing_written(
    sent_quote, staff, consent, message
):
    args = dict(
        channel=Channel.EMAIL,
        signer_name="Nikos",
        signer_email="nikos@example.gr",
        source="<id@x>",
        signed_at=datetime(2027, 3, 1, 10, 0),
    )
    args.update(consent)
    if args["signed_at"] is not None:
        args["signed_at"] = args["signed_at"].replace(tzinfo=clock.provider_tz())
    with clock.frozen(date(2027, 3, 20)):
        with pytest.raises(ValidationError, match=message):
            services.accept_quote(
                sent_quote, version=1, consent=services.Consent(**args), actor=staff
            )
    assert Signature.objects.count() == 0 and Project.objects.count() == 0
    sent_quote.refresh_from_db()
    assert sent_quote.status == Quote.Status.SENT


def test_only_staff_record_email_replies(sent_quote):
    consent = services.Consent(
        channel=Channel.EMAIL, signer_name="N", signer_email="nikos@example.gr", source="x"
    )
    with pytest.raises(ValidationError, match="recorded by a staff member"):
        services.accept_quote(sent_quote, version=1, consent=consent, actor=None)
    assert Signature.objects.count() == 0


def test_a_revised_quote_must_be_sent_again_and_the_old_version_cannot_be_accepted(
    sent_quote, customer, staff
):
    revised = services.revise_quote(
        sent_quote, lines=[{"description": "Design and build", "unit_price": "3800"}], actor=staff
    )
    assert (revised.version, revised.status, revised.subtotal) == (
        2,
        Quote.Status.DRAFT,
        Decimal("3800.00"),
    )
    with pytest.raises(ValidationError, match="cannot be accepted"):
        services.accept_quote(revised, version=2, consent=portal_consent(customer))
    services.send_quote(revised, actor=staff)
    with pytest.raises(ValidationError, match="changed since version 1"):
        services.accept_quote(revised, version=1, consent=portal_consent(customer))
    project = services.accept_quote(revised, version=2, consent=portal_consent(customer))
    assert project.contract_amount == Decimal("3800.00")
    assert Signature.objects.get().snapshot["version"] == 2


def test_quotes_expire_after_their_last_valid_day_once(sent_quote, customer):
    assert services.expire_quotes(date(2027, 3, 15)) == {"quote_expired": 0}
    assert services.expire_quotes(date(2027, 3, 16)) == {"quote_expired": 1}
    assert services.expire_quotes(date(2027, 3, 17)) == {"quote_expired": 0}
    sent_quote.refresh_from_db()
    assert sent_quote.status == Quote.Status.EXPIRED
    with clock.frozen(date(2027, 3, 16)):
        with pytest.raises(ValidationError, match="is expired"):
            services.accept_quote(sent_quote, version=1, consent=portal_consent(customer))


def test_a_portal_click_after_the_last_valid_day_is_refused(sent_quote, customer):
    with clock.frozen(date(2027, 3, 16)):  # the daily run has not expired it yet
        with pytest.raises(ValidationError, match="expired on 2027-03-15"):
            services.accept_quote(sent_quote, version=1, consent=portal_consent(customer))
    assert Project.objects.count() == 0


def test_another_login_cannot_accept_in_the_portal(sent_quote, customer, staff):
    consent = services.Consent(
        channel=Channel.PORTAL, signer_name="Anna", ip_address="198.51.100.1", user=staff
    )
    with pytest.raises(ValidationError, match="customer's own login"):
        services.accept_quote(sent_quote, version=1, consent=consent)
    assert Invoice.objects.count() == 0


def test_a_declined_quote_is_closed(sent_quote, customer):
    services.decline_quote(sent_quote, reason="Too expensive", actor=customer.user)
    sent_quote.refresh_from_db()
    assert (sent_quote.status, sent_quote.decision_note) == ("declined", "Too expensive")
    with pytest.raises(ValidationError, match="declined quote cannot be withdrawn"):
        services.withdraw_quote(sent_quote, actor="staff")


def test_the_expiry_step_is_one_query_set_whatever_the_number_of_quotes(
    customer, staff, today, django_assert_num_queries
):
    for n in range(5):
        quote = services.draft_quote(customer, title=f"Q{n}", lines=LINES, actor=staff)
        services.send_quote(quote, actor=staff)
    with django_assert_num_queries(5):  # select, savepoint, update, audit insert, release
        assert services.expire_quotes(today + timedelta(days=15)) == {"quote_expired": 5}
