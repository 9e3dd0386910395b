import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.support import daily, services
from kyklos.support.models import SlaEvent, Status
from tests.support.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, technical, agent):
    # Monday 1 March 2027 09:00, high: first response 24 h (Tue 09:00), resolution
    # 2 business days (Wed 3 March 09:00); warnings at 75%: Tue 03:00 and Tue 13:00.
    with clock.frozen(at(2027, 3, 1, 9, 0)):
        ticket = services.open_ticket(
            services.NewTicket(
                subject="Checkout broken",
                body="Orders fail",
                department=technical,
                customer=customer,
                priority="high",
            )
        )
        return services.assign(ticket, agent)


def staff_mail():
    return list(Outbox.objects.filter(event__startswith="sla_").order_by("id"))


def test_warns_the_assignee_at_75_percent_then_escalates_to_the_lead(ticket, agent, lead):
    assert ticket.first_response_warn == at(2027, 3, 2, 3, 0)
    assert ticket.resolution_warn == at(2027, 3, 2, 13, 0)
    assert daily.check(at(2027, 3, 2, 2, 59)) == {"sla_warnings": 0, "sla_breaches": 0}
    assert daily.check(at(2027, 3, 2, 3, 0)) == {"sla_warnings": 1, "sla_breaches": 0}
    (mail,) = staff_mail()
    assert (mail.event, mail.to_email) == ("sla_warning", "agent@kyklos.localhost")
    assert mail.context["target"] == "first_response"
    assert mail.context["url"].endswith(f"/desk/tickets/{ticket.pk}/")
    # First response breached at Tue 09:00: escalated to the department lead.
    assert daily.check(at(2027, 3, 2, 9, 0)) == {"sla_warnings": 0, "sla_breaches": 1}
    assert staff_mail()[-1].event == "sla_breach"
    assert staff_mail()[-1].to_email == "lead@kyklos.localhost"
    breach = SlaEvent.objects.get(kind="breach")
    assert (breach.target, breach.due_at, breach.notified) == (
        "first_response",
        at(2027, 3, 2, 9, 0),
        lead,
    )
    assert AuditEvent.objects.filter(action="support.sla.breach", object_id=str(ticket.pk))


def test_the_check_is_idempotent(ticket):
    assert daily.check(at(2027, 3, 4, 9, 0)) == {"sla_warnings": 2, "sla_breaches": 2}
    assert daily.check(at(2027, 3, 4, 9, 0)) == {"sla_warnings": 0, "sla_breaches": 0}
    assert daily.check(at(2027, 3, 5, 9, 0)) == {"sla_warnings": 0, "sla_breaches": 0}
    # Found late, both warnings are recorded but only the breaches are sent.
    assert [m.event for m in staff_mail()] == ["sla_breach", "sla_breach"]
    assert SlaEvent.objects.count() == 4


def test_a_responded_or_paused_ticket_is_not_chased(ticket, agent):
    with clock.frozen(at(2027, 3, 1, 10, 0)):
        services.add_message(ticket, body="On it", from_staff=True, actor=agent)
        services.set_status(ticket, Status.WAITING_CUSTOMER, actor=agent)
    assert daily.check(at(2027, 3, 10, 9, 0)) == {"sla_warnings": 0, "sla_breaches": 0}
    # The customer answers a week later: the clock runs on from where it stopped (one
    # hour used on Monday), so the resolution is now due 15 open hours later.
    with clock.frozen(at(2027, 3, 10, 9, 0)):
        services.add_message(ticket, body="Here it is", from_staff=False)
    ticket.refresh_from_db()
    assert ticket.resolution_due == at(2027, 3, 11, 16, 0)
    assert daily.check(at(2027, 3, 11, 16, 0)) == {"sla_warnings": 1, "sla_breaches": 1}


def test_priority_change_brings_a_fresh_warning(ticket):
    daily.check(at(2027, 3, 2, 13, 0))
    assert SlaEvent.objects.filter(target="resolution", kind="warning").count() == 1
    with clock.frozen(at(2027, 3, 2, 13, 30)):
        services.change_priority(ticket, "normal")  # 10 business days from Monday
    assert daily.check(at(2027, 3, 2, 14, 0))["sla_warnings"] == 0
    # 75% of 80 open hours = 60 h: Monday + 7 days 4 hours (Clean Monday 15th is closed).
    ticket.refresh_from_db()
    assert ticket.resolution_warn == at(2027, 3, 10, 13, 0)
    assert daily.check(at(2027, 3, 10, 13, 0))["sla_warnings"] == 1


def test_no_one_to_tell_still_records(customer, now):
    ticket = services.open_ticket(
        services.NewTicket(
            subject="Question",
            body="?",
            department="sales",
            customer=customer,
            priority="urgent",
        )
    )
    # Urgent: both targets are 24 hours, so both warn and breach at once.
    assert daily.check(ticket.resolution_due) == {"sla_warnings": 2, "sla_breaches": 2}
    assert staff_mail() == []
    assert SlaEvent.objects.filter(notified__isnull=True).count() == 4


def test_the_check_is_set_based(customer, technical, agent, django_assert_max_num_queries):
    with clock.frozen(at(2027, 3, 1, 9, 0)):
        for n in range(30):
            ticket = services.open_ticket(
                services.NewTicket(
                    subject=f"T{n}",
                    body="x",
                    department=technical,
                    customer=customer,
                )
            )
            services.assign(ticket, agent)
    with django_assert_max_num_queries(40):
        counts = daily.check(at(2027, 3, 30, 9, 0))
    assert counts == {"sla_warnings": 60, "sla_breaches": 60}


def test_daily_run_includes_the_check(ticket, run_day):
    result = run_day(at(2027, 3, 4, 9, 0).date())
    assert SlaEvent.objects.filter(kind="breach").count() == 2
    assert result.actions == {"sla_breaches": 2, "sla_warnings": 2}


def test_command(ticket, capsys):
    call_command("sla_check", "--at", "2027-03-04T09:00", "--allow-future")
    assert "2 warnings, 2 breaches" in capsys.readouterr().out
    with pytest.raises(CommandError) as error:
        call_command("sla_check", "--at", "tomorrow")
    assert error.value.returncode == 2


def test_a_check_as_of_a_later_instant_needs_allow_future_and_is_recorded(ticket, capsys):

    with clock.frozen(at(2027, 3, 1, 9, 0)):
        with pytest.raises(CommandError, match="add --allow-future") as error:
            call_command("sla_check", "--at", "2027-03-04T09:00")
        assert error.value.returncode == 2
        assert not SlaEvent.objects.exists()
        assert not AuditEvent.objects.filter(action="support.sla_check.future_date_allowed")

        call_command("sla_check", "--at", "2027-03-04T09:00", "--allow-future")
    assert SlaEvent.objects.filter(kind="breach").count() == 2
    assert "is after today" in capsys.readouterr().err
    event = AuditEvent.objects.get(action="support.sla_check.future_date_allowed")
    assert event.data == {"day": "2027-03-04", "today": "2027-03-01"}
