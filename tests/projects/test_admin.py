"""Staff draft quotes quickly, send them, record e-mail acceptances and log hours in the
admin; everything goes through the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from kyklos.core import clock
from kyklos.projects.admin import parse_lines
from kyklos.projects.models import Project, Quote, Signature, TimeEntry


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@provider.example", "x")
    client.force_login(user)
    return client


def test_a_quote_is_drafted_from_typed_lines_then_sent(admin_client, customer, today):
    response = admin_client.post(
        reverse("admin:projects_quote_add"),
        {
            "customer": customer.pk,
            "title": "Landing page",
            "source": "phone call",
            "validity_days": "14",
            "plan": "deposit",
            "deposit_percent": "50",
            "final_due_days": "30",
            "hourly_rate": "",
            "notes": "",
            "lines_text": "Design | 1 | 600\nCopywriting | 3 | 80.50\nHosting setup | 120",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    quote = Quote.objects.get()
    assert quote.subtotal == Decimal("961.50")  # 600 + 3 × 80.50 + 120
    assert quote.created_by.username == "boss"

    admin_client.post(
        reverse("admin:projects_quote_changelist"),
        {"action": "send", ACTION_CHECKBOX_NAME: [quote.pk]},
    )
    quote.refresh_from_db()
    assert (quote.status, quote.valid_until) == ("sent", date(2027, 3, 15))


def test_bad_lines_show_on_the_form_and_nothing_is_written(admin_client, customer, today):
    response = admin_client.post(
        reverse("admin:projects_quote_add"),
        {
            "customer": customer.pk,
            "title": "Landing page",
            "validity_days": "14",
            "plan": "deposit",
            "deposit_percent": "50",
            "final_due_days": "30",
            "lines_text": "Design | 1 | -600",
        },
    )
    assert response.status_code == 200
    assert "cannot be negative" in str(response.context["adminform"].form.errors)
    assert Quote.objects.count() == 0


def test_staff_record_an_email_acceptance(admin_client, customer, today):
    from kyklos.projects import services

    quote = services.draft_quote(
        customer, title="Logo", lines=[{"description": "Logo", "unit_price": "300"}], actor="x"
    )
    services.send_quote(quote, actor="x")
    response = admin_client.post(
        reverse("admin:projects_quote_changelist"),
        {
            "action": "record_email_acceptance",
            ACTION_CHECKBOX_NAME: [quote.pk],
            "apply": "1",
            "signer_name": "Nikos Georgiou",
            "signer_email": "office@example.gr",
            "source": "<abc@example.gr>",
            "signed_at": "2027-03-01 08:30",
        },
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.channel, signature.recorded_by.username) == ("email", "boss")
    assert Project.objects.get().quote == quote


def test_time_is_logged_through_the_r74_rule(admin_client, customer, rate_60, today):
    response = admin_client.post(
        reverse("admin:projects_timeentry_add"),
        {"customer": customer.pk, "minutes": "7", "description": "DNS change", "reference": ""},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.billable_minutes, entry.amount, entry.worked_on) == (
        15,
        Decimal("15.00"),
        clock.today(),
    )


def test_the_line_format_is_checked():
    assert parse_lines("A | 2 | 10\n\nB | 5") == [
        {"description": "A", "quantity": "2", "unit_price": "10"},
        {"description": "B", "unit_price": "5"},
    ]
    with pytest.raises(Exception, match="Line 1"):
        parse_lines("just text")


def test_an_accepted_quote_is_read_only_in_the_admin(admin_client, customer, today):
    from kyklos.projects import services

    quote = services.draft_quote(
        customer, title="Logo", lines=[{"description": "Logo", "unit_price": "300"}], actor="x"
    )
    services.send_quote(quote, actor="x")
    services.decline_quote(quote, actor="x")
    page = admin_client.get(reverse("admin:projects_quote_change", args=[quote.pk]))
    assert page.status_code == 200
    assert "Logo" in page.content.decode()
    assert 'name="title"' not in page.content.decode()


def test_staff_cancel_a_project_with_a_reason(admin_client, customer, staff, today):
    from kyklos.projects import services

    quote = services.draft_quote(
        customer, title="Logo", lines=[{"description": "Logo", "unit_price": "300"}], actor="x"
    )
    services.send_quote(quote, actor="x")
    project = services.accept_quote(
        quote,
        version=1,
        consent=services.Consent(
            channel="email", signer_name="N", signer_email="office@example.gr", source="<a@b>"
        ),
        actor=staff,
    )
    url = reverse("admin:projects_project_changelist")
    asked = admin_client.post(url, {"action": "cancel", ACTION_CHECKBOX_NAME: [project.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    done = admin_client.post(
        url,
        {"action": "cancel", ACTION_CHECKBOX_NAME: [project.pk], "apply": "1", "reason": "Moved"},
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.CANCELLED


def test_parse_lines_reads_hours_of_a_kind_of_work():
    assert parse_lines("Page design | 12 | design\nLaunch | 2 | design rush") == [
        {
            "description": "Page design",
            "quantity": "12",
            "kind": "design",
            "rush": False,
            "unit_price": None,
        },
        {
            "description": "Launch",
            "quantity": "2",
            "kind": "design",
            "rush": True,
            "unit_price": None,
        },
    ]


def test_staff_change_rates_in_the_admin_under_the_r74_rule(admin_client, today):
    from kyklos.projects.models import HourlyRate, RateChange

    url = reverse("admin:projects_ratechange_add")
    too_soon = admin_client.post(
        url, {"effective_on": "2027-03-10", "rates_text": "design | 80.00", "note": ""}
    )
    assert "2027-03-31 at the earliest" in too_soon.content.decode()
    assert RateChange.objects.count() == 0
    response = admin_client.post(
        url,
        {"effective_on": "2027-04-01", "rates_text": "all | 60.00\ndesign rush | 120", "note": ""},
    )
    assert response.status_code == 302
    assert set(HourlyRate.objects.values_list("kind__code", "rush", "amount", "valid_from")) == {
        (None, False, Decimal("60.00"), date(2027, 4, 1)),
        ("design", True, Decimal("120.00"), date(2027, 4, 1)),
    }


def test_staff_publish_a_new_sla_version(admin_client, today):
    from kyklos.projects.models import SlaVersion

    response = admin_client.post(
        reverse("admin:projects_slaversion_add"),
        {"text_el": "Νέο κείμενο", "text_en": "New text", "text_pl": "Nowy tekst"},
    )
    assert response.status_code == 302
    assert SlaVersion.objects.get(number=2).texts["en"] == "New text"
    same = admin_client.post(
        reverse("admin:projects_slaversion_add"),
        {"text_el": "Νέο κείμενο", "text_en": "New text", "text_pl": "Nowy tekst"},
    )
    assert "the same as the version in force" in same.content.decode()
    assert SlaVersion.objects.count() == 2
