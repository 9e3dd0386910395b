"""Queries compiled once (kyklos.core.prepared) give exactly what the ORM gives."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kyklos.core.prepared import prepared, prepared_one
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service
from tests import factories


@pytest.fixture
def services(db):
    maria, nikos = factories.customer(name="Maria"), factories.customer(name="Nikos")
    hosting = factories.product("shared_hosting", prices={"annual": "120.00"})
    for customer, day in ((maria, date(2027, 5, 1)), (maria, date(2027, 9, 30)), (nikos, None)):
        factories.active_service(customer, hosting, expires_on=day or date(2028, 1, 1))
    return maria, nikos


def query(customer_id, after_id):
    return (
        Service.objects.filter(customer_id=customer_id, pk__gt=after_id)
        .order_by("expires_on")
        .values_list("pk", "expires_on", "product__policy__warning_offsets", "auto_renew")
    )


def test_the_rows_are_the_orms_rows_for_each_call_and_compiled_once(services):
    maria, nikos = services
    read = prepared("test.services", query)
    first = Service.objects.filter(customer=maria).order_by("pk")[0].pk
    calls = [(maria.pk, 0), (maria.pk, first), (nikos.pk, 0)]
    with CaptureQueriesContext(connection) as queries:
        got = [read(*args) for args in calls]
    assert got == [list(query(*args)) for args in calls]
    # dates, JSON and booleans come back converted, as values_list gives them
    assert [len(rows) for rows in got] == [2, 1, 1]
    assert got[1][0][1] == date(2027, 9, 30) and isinstance(got[1][0][2], list)
    assert len(queries) == 3  # one statement per call, nothing else
    assert connection._kyklos_prepared["test.services"].params.count(maria.pk) == 0


def test_an_argument_the_query_does_not_use_is_refused(services):
    read = prepared("test.unused", lambda customer_id, unused: query(customer_id, 0))
    with pytest.raises(ValueError, match="each argument must appear once"):
        read(services[0].pk, 5)


def test_one_row_comes_back_as_the_model_instance_first_would_give(services):
    maria, _nikos = services
    one = prepared_one("test.customer", lambda pk: Customer.objects.filter(pk=pk))
    got, orm = one(maria.pk), Customer.objects.filter(pk=maria.pk).first()
    fields = [f.attname for f in Customer._meta.concrete_fields]
    assert [getattr(got, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert not got._state.adding  # saved as an update, like any loaded instance
    assert one(-1) is None


def test_a_page_and_a_text_argument_give_what_the_orm_gives(services):
    maria, _nikos = services
    read = prepared(
        "test.services.by_name",
        lambda name: Service.objects.filter(customer__name=name).order_by("pk").values_list("pk"),
    )
    orm = list(Service.objects.filter(customer=maria).order_by("pk").values_list("pk"))
    assert read("Maria") == orm and read("Nobody") == []
    assert read.page("Maria", limit=1, offset=0) == orm[:1]
    assert read.page("Maria", limit=5, offset=1) == orm[1:]
    assert read.page("Maria", limit=5, offset=9) == []


def test_json_can_stay_text_for_the_caller_to_decode(services):
    maria, _nikos = services
    read = prepared("test.services.json", lambda c: query(c, 0), json_as_text=True)
    rows = read(maria.pk)
    assert [json.loads(row[2]) for row in rows] == [row[2] for row in query(maria.pk, 0)]
