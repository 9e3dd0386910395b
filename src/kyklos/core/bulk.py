"""Inserting many new rows: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL sends ``INSERT … SELECT * FROM UNNEST(arrays)``
with the arrays quoted in Python by the client (psycopg's client-side binding): for the
daily run's batches of thousands of rows that quoting, and compiling the statement, were
the largest cost of the whole run. :func:`insert_many` takes the ids from the table's
sequence in one statement and sends the rows with ``COPY … FROM STDIN``, whose rows
psycopg writes in C. The rows, their values (each field's own ``pre_save`` and
``get_db_prep_save``, as ``bulk_create`` does) and the ids set on the objects are the same;
a conflict raises as an INSERT would. Lists shorter than ``KYKLOS_COPY_ROWS`` (10), SQLite
and objects that already have a primary key go through ``bulk_create``. Plain values of
plain fields (:data:`_PLAIN`) are sent as they are, without the conversion calls that
return them unchanged on PostgreSQL (decision 0039).

The ``COPY`` runs through the connection's execute wrappers (as ``COPY``, with the cursor's
``rowcount`` set to the rows copied) and is logged like any query in debug mode, so whoever
counts statements sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connections, router
from django.db.models import Model, fields
from django.db.models.fields import related

_NONE = type(None)
#: Field classes (exactly these, not subclasses: those may convert on save) whose values of
#: these plain types reach the database unchanged on PostgreSQL — what ``get_db_prep_save``
#: returns for them, without the calls, which were most of the Python time of a COPY.
_PLAIN: dict[type, frozenset[type]] = {
    **dict.fromkeys(
        (fields.CharField, fields.TextField, fields.EmailField, fields.SlugField),
        frozenset({str, _NONE}),
    ),
    **dict.fromkeys(
        (
            fields.IntegerField,
            fields.BigIntegerField,
            fields.SmallIntegerField,
            fields.PositiveIntegerField,
            fields.PositiveBigIntegerField,
            fields.PositiveSmallIntegerField,
            related.ForeignKey,
            related.OneToOneField,
        ),
        frozenset({int, _NONE}),
    ),
    fields.BooleanField: frozenset({bool, _NONE}),
    fields.DateField: frozenset({date, _NONE}),
    fields.DecimalField: frozenset({Decimal, _NONE}),
}


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
        make_row = _row_maker(connection, pk, fields)
        rows = [make_row(obj) for obj in objs]
        columns = ", ".join(quote(f.column) for f in (pk, *fields))
        sql = f"COPY {table} ({columns}) FROM STDIN"  # noqa: S608 (names from the model)

        def copy(sql, params, many, context):
            with context["cursor"].cursor.copy(sql) as stream:
                for row in params:
                    stream.write_row(row)

        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, connection.wrap_database_errors:
            cursor._execute_with_wrappers(sql, rows, False, copy)


def _row_maker(connection, pk, fields) -> Callable[[Model], tuple]:
    """A function giving an object's values for ``COPY``: each field's ``pre_save`` and
    ``get_db_prep_save``, as ``bulk_create`` does, except where :data:`_PLAIN` says the
    value goes unchanged (a plain value of a plain field, no automatic date)."""
    plan = []
    for f in fields:
        kinds = _PLAIN.get(type(f))
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            kinds = None
        if kinds is not None and connection.vendor == "postgresql":
            plan.append((f.attname, kinds, f))
        else:
            plan.append((None, None, f))

    def make_row(obj: Model) -> tuple:
        values = [getattr(obj, pk.attname)]
        for attname, kinds, f in plan:
            if attname is not None:
                value = getattr(obj, attname)
                if type(value) in kinds and (type(value) is not Decimal or value.is_finite()):
                    values.append(value)
                    continue
            values.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
        return tuple(values)

    return make_row


def insert_one(obj: Model) -> None:
    """Insert one new instance with a plain ``INSERT`` in autocommit (no transaction of its
    own, no id read back: the object's ``pk`` stays unset). For append-only rows written on
    every request, such as access events (decision 0040), where compiling Django's insert
    cost more than running it; the statement is built once per model and connection."""
    model = type(obj)
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    statements = connection.__dict__.setdefault("_kyklos_insert_one", {})
    built = statements.get(model)
    if built is None:
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        built = statements[model] = (sql, fields)
    sql, fields = built
    obj._prepare_related_fields_for_save(operation_name="insert_one")
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    obj._state.adding = False
    obj._state.db = alias
