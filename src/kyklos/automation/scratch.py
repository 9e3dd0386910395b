"""A scratch copy of the database for the simulator to commit into (PostgreSQL).

The simulator used to run every day inside one transaction and roll it back. PostgreSQL
cannot remove a row version that a transaction still in progress created or replaced, so
every update of the simulated year stayed in the tables and their indexes, and each
simulated day read more dead versions than the one before (decision 0039).

:func:`scratch_schema` copies the tables of the live schema, as one consistent snapshot,
into a new schema of the same database (``kyklos_simulation_<pid>_<random>``): unlogged
tables (no write-ahead log: nothing in them has to survive a crash), the same columns, defaults,
checks, identity sequences at the live values, indexes and triggers; no foreign keys (the
simulated runs are the real code on consistent data: they check what Kyklos' own writes
would break, at a cost on every insert). Inside the block the connection's
``search_path`` puts the copy first, so the unchanged code reads and writes the copy and
each simulated day can commit; the schema is dropped afterwards, whatever happens.

``CREATE DATABASE … TEMPLATE`` would copy faster but needs the live database without
other sessions, which a running system never is.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

PREFIX = "kyklos_simulation_"


def _rows(cursor, sql: str, params=()) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@contextmanager
def scratch_schema() -> Iterator[str]:
    """Run the block with the connection reading and writing a fresh copy of the live
    schema's tables; yields the copy's schema name. PostgreSQL only; call it outside any
    transaction."""
    if connection.vendor != "postgresql":
        raise RuntimeError("a scratch schema is a PostgreSQL copy")
    if connection.in_atomic_block:
        raise RuntimeError("the scratch copy is made outside a transaction")
    schema = f"{PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        live, path, sync = _rows(
            cursor,
            "SELECT current_schema(), current_setting('search_path'),"
            " current_setting('synchronous_commit')",
        )[0]
    try:
        _copy(live, schema)
        with connection.cursor() as cursor:
            # the copy first; and a simulated day's commit need not wait for the disk
            cursor.execute(
                "SELECT set_config('search_path', %s, false),"
                " set_config('synchronous_commit', 'off', false)",
                [f"{_quote(schema)}, {_quote(live)}"],
            )
        connection.kyklos_scratch = schema
        try:
            yield schema
        finally:
            connection.kyklos_scratch = None
            _restore(path, sync)
    finally:
        _drop(schema)


def _restore(path: str, sync: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('search_path', %s, false),"
            " set_config('synchronous_commit', %s, false)",
            [path, sync],
        )


def _drop(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")


def _copy(live: str, schema: str) -> None:
    """The live schema's tables into ``schema``: one snapshot (repeatable read), then
    their indexes, triggers and statistics."""
    src, dst = _quote(live), _quote(schema)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the index builds
        cursor.execute(f"CREATE SCHEMA {dst}")
        tables = [
            name
            for (name,) in _rows(
                cursor,
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
                [live],
            )
        ]
        for table in tables:
            name = _quote(table)
            cursor.execute(
                f"CREATE UNLOGGED TABLE {dst}.{name} (LIKE {src}.{name} INCLUDING DEFAULTS"
                " INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE)"
            )
            cursor.execute(f"INSERT INTO {dst}.{name} SELECT * FROM {src}.{name}")  # noqa: S608
        # the identity sequences go on from where the live ones are
        for table, column in _rows(
            cursor,
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c"
            " ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attidentity <> ''",
            [live],
        ):
            sequence = _rows(
                cursor, "SELECT pg_get_serial_sequence(%s, %s)", [f"{src}.{_quote(table)}", column]
            )[0][0]
            last, called = _rows(cursor, f"SELECT last_value, is_called FROM {sequence}")[0]  # noqa: S608
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                [f"{dst}.{_quote(table)}", column, last, called],
            )
        # definitions name the live schema as PostgreSQL quotes it
        shown = _rows(cursor, "SELECT quote_ident(%s)", [live])[0][0]
        # keys as constraints (PostgreSQL groups by a primary key only), then the rest
        for table, name, definition in _rows(
            cursor,
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k"
            " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND k.contype IN ('p', 'u', 'x')",
            [live],
        ):
            cursor.execute(
                f"ALTER TABLE {dst}.{_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}"
            )
        for (definition,) in _rows(
            cursor,
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
            " AND k.contype IN ('p', 'u', 'x'))",
            [live],
        ):
            cursor.execute(_moved(definition, shown, dst))
        for (definition,) in _rows(
            cursor,
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c"
            " ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT t.tgisinternal",
            [live],
        ):
            cursor.execute(_moved(definition, shown, dst))
        cursor.execute(
            "SELECT string_agg(quote_ident(%s) || '.' || quote_ident(c.relname), ', ')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r'",
            [schema, schema],
        )
        (names,) = cursor.fetchone()
        if names:
            cursor.execute(f"ANALYZE {names}")


def _moved(definition: str, src: str, dst: str) -> str:
    """An index's or trigger's definition on the live table, on the copy's instead."""
    for live in (f" ON {src}.", f" ON ONLY {src}."):
        if live in definition:
            return definition.replace(live, live.replace(src, dst), 1)
    raise RuntimeError(f"cannot place {definition!r} in the scratch copy")
