"""Inserting many new rows: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL sends ``INSERT … SELECT * FROM UNNEST(arrays)``
with the arrays quoted in Python by the client (psycopg's client-side binding): for the
daily run's batches of thousands of rows that quoting, and compiling the statement, were
the largest cost of the whole run. :func:`insert_many` takes the ids from the table's
sequence in one statement and sends the rows with ``COPY … FROM STDIN``, whose rows
psycopg writes in C. The rows, their values (each field's own ``pre_save`` and
``get_db_prep_save``, as ``bulk_create`` does) and the ids set on the objects are the same;
a conflict raises as an INSERT would. Lists shorter than ``KYKLOS_COPY_ROWS``, SQLite and
objects that already have a primary key go through ``bulk_create``.

The ``COPY`` runs through the connection's execute wrappers (as ``COPY``, with the cursor's
``rowcount`` set to the rows copied) and is logged like any query in debug mode, so whoever
counts statements sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import connections, router
from django.db import models as m
from django.db.models import Model


def insert_many(
    objs: Sequence[Model], *, batch_size: int | None = None, copy_from: int | None = None
) -> Sequence[Model]:
    """Insert ``objs`` (all new instances of one model) and set their primary keys."""
    if not objs:
        return objs
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    # fewer rows go through bulk_create: one statement instead of two
    threshold = settings.KYKLOS_COPY_ROWS if copy_from is None else copy_from
    if (
        connection.vendor != "postgresql"
        or len(objs) < threshold
        or any(obj.pk is not None for obj in objs)
    ):
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return objs
    _copy(connection, model, objs)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def _copy(connection, model: type[Model], objs: Sequence[Model]) -> None:
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        for obj, pk_value in zip(objs, ids, strict=True):
            obj._prepare_related_fields_for_save(operation_name="insert_many")
            setattr(obj, pk.attname, pk_value)
        prepare = [_preparer(f, connection) for f in fields]
        rows = [(getattr(obj, pk.attname), *(p(obj) for p in prepare)) for obj in objs]
        columns = ", ".join(quote(f.column) for f in (pk, *fields))
        sql = f"COPY {table} ({columns}) FROM STDIN"  # noqa: S608 (names from the model)

        def copy(sql, params, many, context):
            with context["cursor"].cursor.copy(sql) as stream:
                for row in params:
                    stream.write_row(row)

        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, connection.wrap_database_errors:
            cursor._execute_with_wrappers(sql, rows, False, copy)


#: Fields whose database value, on PostgreSQL, is the Python value itself when it has one
#: of these exact types (their ``get_db_prep_save`` returns it unchanged): the value is
#: then sent as it is, without the field's conversion calls — for the daily run's
#: thousands of rows, those calls were most of the time spent preparing a ``COPY``.
#: Any other field, or value, goes through ``pre_save`` and ``get_db_prep_save``.
_AS_IS: dict[type, tuple[type, ...]] = {
    m.CharField: (str,),
    m.TextField: (str,),
    m.EmailField: (str,),
    m.SlugField: (str,),
    m.IntegerField: (int,),
    m.BigIntegerField: (int,),
    m.SmallIntegerField: (int,),
    m.PositiveIntegerField: (int,),
    m.PositiveSmallIntegerField: (int,),
    m.PositiveBigIntegerField: (int,),
    m.BooleanField: (bool,),
    m.DecimalField: (Decimal,),
    m.DateField: (date,),
    m.DateTimeField: (datetime,),
    m.ForeignKey: (int,),
}


@cache
def _as_is_types(field_class: type) -> tuple[type, ...]:
    return _AS_IS.get(field_class, ())


def _preparer(field: m.Field, connection) -> Callable[[Model], object]:
    """``obj`` → the value of ``field`` to send, as ``get_db_prep_save`` would give it."""
    kinds = _as_is_types(type(field))
    if isinstance(field, m.ForeignKey) and not isinstance(
        field.target_field, m.AutoField | m.BigAutoField | m.IntegerField
    ):
        kinds = ()
    auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if not kinds or auto:
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    attname = field.attname

    def prepare(obj: Model) -> object:
        value = getattr(obj, attname)
        if value is None or type(value) in kinds:
            if type(value) is datetime and value.tzinfo is None:  # let Django warn
                return field.get_db_prep_save(value, connection)
            return value
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    return prepare
