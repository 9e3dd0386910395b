"""A scratch copy of the database for the simulator to commit into (PostgreSQL).

The simulator used to run every day inside one transaction and roll it back. PostgreSQL
cannot remove a row version that a transaction still in progress created or replaced, so
every update of the simulated year stayed in the tables and their indexes, and each
simulated day read more dead versions than the one before (decision 0039).

:func:`scratch_copy` copies the tables of the live schema, as one consistent snapshot, into
temporary tables of the connection's session: the same names, columns, defaults, checks,
identity sequences at the live values, keys, indexes and triggers; no foreign keys (the
simulated runs are the real code on consistent data: a foreign key would check Kyklos' own
writes at a cost on every insert). PostgreSQL looks a name up among the session's temporary
tables first, so the unchanged code reads and writes the copy and each simulated day can
commit. Temporary tables write no WAL, live in the session's own buffers, are seen by no
other session and disappear with it: the copy is dropped at the end of the block, and by
PostgreSQL itself if the process dies. Autovacuum does not see them, so :func:`tidy` does
its work every few simulated days.

``CREATE DATABASE … TEMPLATE`` would copy faster but needs the live database without
other sessions, which a running system never is; an unlogged schema copy cost three times
the temporary tables' time in catalogue work and syncs before the first day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

#: The session's buffers for temporary tables, asked for before the copy (PostgreSQL's
#: default, 8 MB, would send the copy of a large database through the file system).
TEMP_BUFFERS = "1GB"


def _rows(cursor, sql: str, params=()) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@contextmanager
def scratch_copy() -> Iterator[str]:
    """Run the block with the connection reading and writing a fresh copy of the live
    schema's tables; yields the session's temporary schema. PostgreSQL only; call it
    outside any transaction."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the scratch copy is PostgreSQL's")
    if connection.in_atomic_block:
        raise RuntimeError("the scratch copy is made outside a transaction")
    with connection.cursor() as cursor:
        live, sync = _rows(
            cursor, "SELECT current_schema(), current_setting('synchronous_commit')"
        )[0]
        try:  # refused once the session has used temporary tables: then as it is
            cursor.execute("SELECT set_config('temp_buffers', %s, false)", [TEMP_BUFFERS])
        except DatabaseError:
            pass
    tables: list[str] = []
    try:
        tables = _copy(live)
        with connection.cursor() as cursor:
            schema = _rows(cursor, "SELECT pg_my_temp_schema()::regnamespace::text")[0][0]
            # a simulated day's commit need not wait for the disk
            cursor.execute("SELECT set_config('synchronous_commit', 'off', false)")
        connection.kyklos_scratch = tables
        try:
            yield schema
        finally:
            connection.kyklos_scratch = None
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [sync])
    finally:
        if tables:
            with connection.cursor() as cursor:
                cursor.execute(
                    "DROP TABLE IF EXISTS "
                    + ", ".join(f"pg_temp.{_quote(t)}" for t in tables)
                    + " CASCADE"
                )


def tidy() -> None:
    """What autovacuum would do for the copy's busy tables (it does not see temporary
    tables): vacuum and analyze those changed by more than a tenth since last analyzed."""
    tables = getattr(connection, "kyklos_scratch", None)
    if not tables:
        return
    with connection.cursor() as cursor:
        busy = _rows(
            cursor,
            "SELECT relname FROM pg_stat_all_tables WHERE relid IN"
            " (SELECT c.oid FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema())"
            " AND n_mod_since_analyze > 1000 + n_live_tup / 10",
        )
        if busy:
            cursor.execute("VACUUM (ANALYZE) " + ", ".join(f"pg_temp.{_quote(t)}" for (t,) in busy))


def _copy(live: str) -> list[str]:
    """The live schema's tables as temporary tables: one snapshot (repeatable read), with
    their sequences, keys, indexes, triggers and statistics; returns their names. A few
    round trips, each carrying the statements of all the tables."""
    src = _quote(live)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        tables = [
            name
            for (name,) in _rows(
                cursor,
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
                [live],
            )
        ]
        if not tables:
            return []
        # definitions name the live schema as PostgreSQL quotes it
        shown = _rows(cursor, "SELECT quote_ident(%s)", [live])[0][0]
        # keys as constraints (PostgreSQL groups by a primary key only), then the rest
        keys = _rows(
            cursor,
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k"
            " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND k.contype IN ('p', 'u', 'x')",
            [live],
        )
        indexes = _rows(
            cursor,
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
            " AND k.contype IN ('p', 'u', 'x'))",
            [live],
        )
        triggers = _rows(
            cursor,
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c"
            " ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT t.tgisinternal",
            [live],
        )
        statements = ["SET LOCAL maintenance_work_mem = '256MB'"]  # the index builds
        for table in tables:
            name = _quote(table)
            statements += [
                f"CREATE TEMPORARY TABLE {name} (LIKE {src}.{name} INCLUDING DEFAULTS"
                " INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE)",
                f"INSERT INTO pg_temp.{name} SELECT * FROM {src}.{name}",  # noqa: S608
            ]
        statements += [
            f"ALTER TABLE pg_temp.{_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}"
            for table, name, definition in keys
        ]
        statements += [_moved(definition, shown) for (definition,) in indexes + triggers]
        cursor.execute(";\n".join(statements))
        # the identity sequences go on from where the live ones are
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(format('pg_temp.%%I', relname), attname), v)"
            " FROM (SELECT c.relname, a.attname, pg_sequence_last_value("
            " pg_get_serial_sequence(format('%%I.%%I', n.nspname, c.relname), a.attname)"
            "::regclass) AS v FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attidentity <> '') s"
            " WHERE v IS NOT NULL",
            [live],
        )
        # every name the code uses now means the copy (or nothing is simulated)
        stray = _rows(
            cursor,
            "SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(quote_ident(t))"
            " IS DISTINCT FROM to_regclass('pg_temp.' || quote_ident(t))",
            [tables],
        )
        if stray:
            raise RuntimeError(f"the scratch copy does not hide the live table {stray[0][0]}")
    # as autovacuum would leave them: statistics, and the visibility map that lets the
    # "not done yet" probes stay index-only (VACUUM runs outside a transaction)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) " + ", ".join(f"pg_temp.{_quote(t)}" for t in tables))
    return tables


def _moved(definition: str, src: str) -> str:
    """An index's or trigger's definition on the live table, on the copy's instead."""
    for live in (f" ON {src}.", f" ON ONLY {src}."):
        if live in definition:
            return definition.replace(live, live.replace(src, "pg_temp"), 1)
    raise RuntimeError(f"cannot place {definition!r} in the scratch copy")
