"""Whether a copied benchmark database lacks migrations the code has.

The seeded templates are made once and kept (``--keep``); a migration added since (an
index, say) would be missing from every copy, and the figures would measure the old
schema. :func:`missing` compares the migration files under ``src/kyklos`` with the
database's ``django_migrations`` table in one query, without starting Django; the copy
is migrated (outside any measurement) only when something is missing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "kyklos"


def on_disk() -> set[tuple[str, str]]:
    return {(path.parent.parent.name, path.stem) for path in SRC.glob("*/migrations/[0-9]*.py")}


def applied(url: str) -> set[tuple[str, str]]:
    sql = "SELECT app, name FROM django_migrations"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return set(conn.execute(sql).fetchall())
    import psycopg

    with psycopg.connect(url) as conn:
        return set(conn.execute(sql).fetchall())


def missing(url: str) -> set[tuple[str, str]]:
    return on_disk() - applied(url)
