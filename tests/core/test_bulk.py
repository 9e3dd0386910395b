"""``insert_many`` stores exactly what ``bulk_create`` would (COPY on PostgreSQL), sets the
ids, counts as statements and fails on a conflict like an INSERT."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from kyklos.core import audit, clock
from kyklos.core.bulk import insert_many
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Event, Outbox
from tests import factories

pytestmark = pytest.mark.django_db

FIELDS = ("event", "customer_id", "to_email", "language", "context", "service_id")
MORE = ("invoice_id", "anchor_date", "offset_days", "for_date", "status", "attachments")


def notices(customer, n, event=Event.EXPIRY_WARNING, first=0, service=None):
    return [
        Outbox(
            event=event,
            customer_id=customer.pk,
            service_id=service.pk if service else None,
            to_email="a@example.com",
            language="el",
            context={"n": i, "ö": "ü\t\\ \n", "none": None},
            anchor_date=date(2027, 6, 1 + i % 20),
            offset_days=i,
            for_date=date(2027, 6, 1),
            created_at=clock.now(),
        )
        for i in range(first, first + n)
    ]


class Statements:
    def __init__(self):
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.sql.append((sql.split(None, 1)[0].upper(), context["cursor"].rowcount))
        return result


def test_rows_and_ids_are_those_bulk_create_would_store():
    customer = factories.customer()
    copied = insert_many(notices(customer, 30), copy_from=1)
    created = Outbox.objects.bulk_create(notices(customer, 30, event=Event.PAYMENT_REMINDER))
    assert all(row.pk for row in copied) and len({row.pk for row in copied}) == 30
    assert [row.pk for row in copied] == sorted(row.pk for row in copied)
    stored = {o.pk: o for o in Outbox.objects.all()}
    for a, b in zip(copied, created, strict=True):
        got, want = stored[a.pk], stored[b.pk]
        assert got.context == a.context
        for name in FIELDS + MORE:
            if name == "event":
                continue
            assert getattr(got, name) == getattr(want, name), name
        assert got.status == Outbox.Status.QUEUED and got.headers == {}


def test_counted_as_statements_with_their_rows():
    customer = factories.customer()
    counter = Statements()
    with connection.execute_wrapper(counter):
        insert_many(notices(customer, 25), copy_from=1)
    if connection.vendor == "postgresql":
        assert counter.sql == [("SELECT", 25), ("COPY", 25)]
    else:
        assert [verb for verb, _rows in counter.sql] == ["INSERT"]
    assert Outbox.objects.count() == 25


def test_a_conflict_raises_like_an_insert():
    customer = factories.customer()
    service = factories.active_service(customer, factories.product(), expires_on=date(2027, 7, 1))
    insert_many(notices(customer, 5, first=0, service=service), copy_from=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many(notices(customer, 5, first=3, service=service), copy_from=1)
    assert Outbox.objects.filter(service_id=service.pk).count() == 5


def test_audit_events_keep_their_order_for_the_chain():
    customer = factories.customer()
    audit.log_actions(((customer, {"i": i}) for i in range(300)), "customer.poked")
    events = list(AuditEvent.objects.filter(action="customer.poked").order_by("pk"))
    assert [e.data["i"] for e in events] == list(range(300))
    assert {e.object_id for e in events} == {str(customer.pk)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path: PostgreSQL")
def test_values_sent_as_they_are_equal_what_each_field_would_make_of_them():
    from decimal import Decimal

    from kyklos.core.bulk import _row_maker
    from kyklos.lifecycle.models import Renewal

    customer = factories.customer()
    service = factories.active_service(customer, factories.product(), expires_on=date(2027, 7, 1))
    objs = [
        *notices(customer, 3, service=service),
        Outbox(event="x", customer_id=customer.pk, offset_days="7", for_date="2027-06-01"),
        Renewal(
            service=service,
            invoice_id=5,
            period_start=date(2027, 7, 1),
            period_end=date(2028, 7, 1),
            amount=Decimal("12.50"),
        ),
        Renewal(
            service_id=service.pk,
            invoice_id="6",
            period_start=date(2027, 7, 1),
            period_end=date(2028, 7, 1),
            amount="3.1",
        ),
        AuditEvent(at=clock.now(), action="a.b", object_type="t", object_id="1"),
    ]

    def plain(value):
        return getattr(value, "obj", value)  # a JSON value is wrapped for psycopg

    for obj in objs:
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
        row = _row_maker(connection, obj._meta.pk, fields)(obj)[1:]
        for field, got in zip(fields, row, strict=True):
            want = field.get_db_prep_save(field.pre_save(obj, True), connection)
            assert plain(got) == plain(want), (type(obj).__name__, field.name)
            # (psycopg's Int2/Int4/Int8 are ints: COPY writes the same text for both)
            assert isinstance(plain(want), type(plain(got))), (type(obj).__name__, field.name)
