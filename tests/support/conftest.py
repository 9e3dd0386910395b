from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from kyklos.accounts import roles
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.support.models import Department, SlaEvent, Ticket
from tests import factories

ATHENS = ZoneInfo("Europe/Athens")


def at(*args) -> datetime:
    """An instant in Athens time: ``at(2027, 4, 29, 10, 0)``."""
    return datetime(*args, tzinfo=ATHENS)


@pytest.fixture
def now():
    """Thursday 4 March 2027, 10:00 in Athens (a working day)."""
    with clock.frozen(at(2027, 3, 4, 10, 0)) as instant:
        yield instant


@pytest.fixture
def customer(db):
    return factories.customer(name="Maria Nowak", email="maria@example.gr", language="en")


@pytest.fixture
def other_customer(db):
    return factories.customer(name="Nikos Other", email="nikos@example.gr", language="el")


@pytest.fixture
def agent(db):
    user = get_user_model().objects.create_user(
        "agent", email="agent@kyklos.localhost", is_staff=True, first_name="Anna"
    )
    roles.assign(user, roles.SUPPORT)
    return user


@pytest.fixture
def lead(db):
    user = get_user_model().objects.create_user(
        "lead", email="lead@kyklos.localhost", is_staff=True
    )
    roles.assign(user, roles.SUPPORT)
    return user


@pytest.fixture
def technical(db, lead):
    department = Department.objects.get(code="technical")
    department.lead = lead
    department.save()
    return department


def written(ticket) -> dict:
    """What a refused change must leave as it was: the ticket's row as stored, and how
    many audit events, SLA events and queued notices there are."""
    row = Ticket.objects.get(pk=ticket.pk)
    return {
        "ticket": {f.attname: getattr(row, f.attname) for f in Ticket._meta.concrete_fields},
        "audit events": AuditEvent.objects.count(),
        "sla events": SlaEvent.objects.count(),
        "notices": Outbox.objects.count(),
    }
