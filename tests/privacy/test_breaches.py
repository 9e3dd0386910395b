"""The breach register (R9.6, art. 33–34): the 72-hour clock from awareness."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kyklos.core import clock
from kyklos.notifications.models import Outbox
from kyklos.privacy import breaches
from kyklos.privacy.models import Breach

pytestmark = pytest.mark.django_db

AWARE = datetime.fromisoformat("2027-03-01T08:00:00+02:00")
FIELDS = dict(
    title="Laptop stolen",
    nature="Confidentiality: an unencrypted export of 120 customers",
    data_categories="Names, e-mail addresses, phone numbers",
    subjects_approx=120,
    records_approx=120,
    consequences="Phishing aimed at the customers",
    measures="Passwords reset; customers warned",
)


@pytest.fixture
def breach(staff):
    with clock.frozen(AWARE + timedelta(hours=2)):
        return breaches.record_breach(aware_at=AWARE, actor=staff, **FIELDS)


def test_a_breach_has_a_72_hour_deadline_and_staff_are_warned_at_once(breach, settings):
    assert breach.deadline == datetime.fromisoformat("2027-03-04T08:00:00+02:00")
    warning = Outbox.objects.get(event=breaches.STAFF_EVENT)
    assert warning.to_email == settings.KYKLOS_DPO["email"]
    assert warning.context["hours_left"] == 70


def test_the_daily_run_warns_before_the_deadline_and_when_it_passed(breach, run_day):
    run_day(date(2027, 3, 2))  # 47 h left at 09:00
    run_day(date(2027, 3, 3))  # 23 h left
    run_day(date(2027, 3, 4))  # overdue
    run_day(date(2027, 3, 5))  # already warned as overdue
    hours = [m.context["hours_left"] for m in Outbox.objects.filter(event=breaches.STAFF_EVENT)]
    assert hours == [70, 47, 23, 0]
    assert Outbox.objects.filter(event=breaches.STAFF_EVENT).last().context["overdue"] is True


def test_every_field_the_authority_asks_for_is_required(staff):
    with pytest.raises(ValidationError) as error:
        breaches.record_breach(aware_at=None, actor=staff, title="x", nature="")
    assert {"aware_at", "nature", "measures", "subjects_approx"} <= set(error.value.message_dict)
    assert not Breach.objects.exists()


def test_a_late_notification_needs_the_reasons_for_the_delay(breach, staff):
    late = AWARE + timedelta(hours=80)
    with clock.frozen(late), pytest.raises(ValidationError, match="reasons for the delay"):
        breaches.notify_authority(breach, at=late, reference="HDPA-1", actor=staff)
    with clock.frozen(late):
        done = breaches.notify_authority(
            breach, at=late, reference="HDPA-1", actor=staff, delay_reason="Forensics"
        )
    assert done.authority_reference == "HDPA-1"
    assert not breaches.pending().exists()


def test_the_decision_to_notify_the_people_affected_needs_a_reason(breach, staff):
    with pytest.raises(ValidationError):
        breaches.decide_subjects(breach, notify=True, reason="", actor=staff)
    with pytest.raises(ValidationError, match="Decide first"):
        breaches.mark_subjects_notified(breach, at=AWARE, actor=staff)
    decided = breaches.decide_subjects(
        breach, notify=False, reason="Data was encrypted (34(3)(a))", actor=staff
    )
    assert decided.subjects_decision == Breach.SubjectsDecision.NOT_REQUIRED


def test_staff_record_a_breach_in_the_admin(client, staff, today):
    client.force_login(staff)
    response = client.post(
        reverse("admin:privacy_breach_add"),
        {
            **FIELDS,
            "aware_at_0": "2027-02-28",
            "aware_at_1": "10:00",
            "risk_to_people": "on",
            "subjects_decision": "undecided",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Breach.objects.get().recorded_by == staff
    assert Outbox.objects.filter(event=breaches.STAFF_EVENT).count() == 1
