"""Named locks for the daily run's chunks: PostgreSQL session-level advisory locks.

A chunk of the daily run commits batch after batch, so a row lock (which lives only as
long as its transaction) cannot cover it; an advisory lock taken on the session can,
and PostgreSQL releases it by itself when the session ends — a worker killed half-way
leaves no lock behind. SQLite has one writer at a time and no such locks: there the
lock is always granted (run one daily run at a time on SQLite).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection


def in_scratch_copy() -> bool:
    """Whether the connection works in the simulator's private copy of the tables
    (:mod:`kyklos.automation.scratch`): no one else can work on its rows, and a lock named
    like the live run's chunks would only make the simulation and the live run wait for
    each other."""
    return bool(getattr(connection, "kyklos_scratch", None))


def key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks are keyed by bigint)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


@contextmanager
def advisory(name: str, *, wait: bool = True) -> Iterator[bool]:
    """Hold the lock ``name`` for the block; yields whether it was taken (always, when
    ``wait``). Not re-entrant across names' holders: one holder per session."""
    if connection.vendor != "postgresql" or in_scratch_copy():
        yield True
        return
    lock = key(name)
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
            taken = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
            taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])
