"""Bulk loading for the benchmark seed: rows appended with ``COPY … FROM STDIN`` on
PostgreSQL (the loaded tables' foreign keys and plain indexes dropped for the load and made
again after it), with ``executemany`` on SQLite."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from django.db import connection


class Writer:
    """Appends rows to tables: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts  # rows written per table
        self.pg = connection.vendor == "postgresql"

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        columns, rows = _with_defaults(model, columns, rows)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.pg:
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # noqa: S608
                    for row in rows:
                        copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
                [tuple(_sqlite(v) for v in row) for row in rows],
            )


def _with_defaults(model, columns: list[str], rows: list[tuple]):
    """Columns the generator does not name (added by later migrations) get their field's
    default, so the seed keeps up with new NOT NULL columns."""
    extra, values = [], []
    for column in model._meta.concrete_fields:
        if column.column in columns or column.primary_key or column.null:
            continue
        if not (column.has_default() or column.empty_strings_allowed):
            continue
        value = column.get_default()
        if column.get_internal_type() == "JSONField":
            value = json.dumps(value)
        extra.append(column.column)
        values.append(value)
    if not extra:
        return columns, rows
    tail = tuple(values)
    return [*columns, *extra], [(*row, *tail) for row in rows]


def _sqlite(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


class LoadMode:
    """On PostgreSQL, the foreign keys and plain indexes of the loaded tables are dropped
    for the load and made again after it: one validating join and one index build per
    table instead of a trigger and an index insertion per row."""

    def __init__(self, models):
        self.tables = [m._meta.db_table for m in models]
        self.constraints: list[tuple[str, str, str]] = []
        self.indexes: list[str] = []

    def __enter__(self):
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND "
                "(conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
                [self.tables, self.tables],
            )
            self.constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
                "AND NOT i.indisunique AND NOT i.indisprimary",
                [self.tables],
            )
            index_rows = cursor.fetchall()
            self.indexes = [definition for _name, definition in index_rows]
            # Foreign-key checks still deferred from rows written earlier in this transaction
            # (the catalog, or a caller's own rows) must run before a table is altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, name, _definition in self.constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in index_rows:
                cursor.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None or connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def reset_sequences(models) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
