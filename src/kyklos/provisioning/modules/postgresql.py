"""Database hosting on PostgreSQL: one role and one database per service.

- create: ``CREATE ROLE <user> LOGIN PASSWORD … CONNECTION LIMIT n`` and
  ``CREATE DATABASE <user> OWNER <user>`` (public CONNECT revoked); a retry finds both and
  only sets the password and limit again;
- suspend: ``ALTER ROLE … NOLOGIN`` and its open sessions are ended; unsuspend: ``LOGIN``;
- terminate: sessions ended, ``DROP DATABASE`` and ``DROP ROLE`` (the job took the final
  ``pg_dump`` first);
- backups: ``pg_dump --format=custom`` into the backup folder, restored with
  ``pg_restore --clean --if-exists``.

The server row is the PostgreSQL cluster: host, port, an administrator role (user name)
whose password is in the vault; ``settings.prefix`` prefixes the names (tests use a prefix
per run).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from django.core.exceptions import ValidationError
from psycopg import sql

from kyklos.provisioning.modules import register
from kyklos.provisioning.modules.base import (
    Account,
    PermanentFailure,
    ProvisioningModule,
    Server,
    TemporaryFailure,
    Usage,
)

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DEFAULT_CONNECTIONS = 10
DUMP = "database.dump"


@register
class PostgresqlModule(ProvisioningModule):
    code = "postgresql"
    label = "PostgreSQL (database hosting)"
    backs_up = True
    settings_help = {"connection_limit": "Connections a database's role may hold at once."}

    def check_settings(self, settings: dict[str, Any]) -> None:
        for name, value in settings.items():
            if name not in self.settings_help:
                raise ValidationError(f"PostgreSQL has no setting {name!r}.")
            if not isinstance(value, int) or value <= 0:
                raise ValidationError(f"{name} is a whole number above zero.")

    def username(self, service_id: int, label: str, prefix: str = "") -> str:
        return f"{prefix}db{service_id}".lower()

    # --- helpers ----------------------------------------------------------------------

    def _connect(self, server: Server) -> psycopg.Connection:
        try:
            return psycopg.connect(
                host=server.hostname,
                port=server.port or 5432,
                user=server.username,
                password=server.secret or None,
                dbname=server.settings.get("maintenance_db", "postgres"),
                autocommit=True,
                connect_timeout=10,
            )
        except psycopg.OperationalError as error:
            raise TemporaryFailure(
                f"cannot reach PostgreSQL at {server.hostname}", answer=str(error)
            ) from error

    def _run(self, server: Server, *statements) -> list:
        rows: list = []
        try:
            with self._connect(server) as conn:
                for statement, args in statements:
                    cursor = conn.execute(statement, args)
                    if cursor.description:
                        rows.append(cursor.fetchall())
        except psycopg.errors.InsufficientPrivilege as error:
            raise PermanentFailure(str(error), answer=str(error), code=error.sqlstate) from error
        except psycopg.OperationalError as error:
            raise TemporaryFailure(str(error), answer=str(error)) from error
        except psycopg.Error as error:
            raise PermanentFailure(
                str(error), answer=str(error), code=error.sqlstate or ""
            ) from error
        return rows

    @staticmethod
    def _name(account: Account) -> sql.Identifier:
        if not NAME.match(account.username):
            raise PermanentFailure(
                f"{account.username!r} is not a valid role name", answer="invalid name"
            )
        return sql.Identifier(account.username)

    @staticmethod
    def _limit(account: Account) -> int:
        return int(account.limits.get("connection_limit") or DEFAULT_CONNECTIONS)

    def _end_sessions(self, account: Account):
        return (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
            [account.username],
        )

    # --- the contract -----------------------------------------------------------------

    def create(self, server: Server, account: Account) -> dict[str, Any]:
        name = self._name(account)
        if not account.password:
            raise PermanentFailure("no password for the new role", answer="no password")
        role_exists, db_exists = self._run(
            server,
            ("SELECT count(*) FROM pg_roles WHERE rolname = %s", [account.username]),
            ("SELECT count(*) FROM pg_database WHERE datname = %s", [account.username]),
        )
        verb = "ALTER" if role_exists[0][0] else "CREATE"
        role = sql.SQL(verb + " ROLE {} LOGIN PASSWORD {} CONNECTION LIMIT {}").format(
            name, sql.Literal(account.password), sql.Literal(self._limit(account))
        )
        statements = [(role, None)]
        if not db_exists[0][0]:
            statements += [
                (sql.SQL("CREATE DATABASE {} OWNER {}").format(name, name), None),
                (sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(name), None),
            ]
        self._run(server, *statements)
        return {"database": account.username, "host": server.hostname, "port": server.port or 5432}

    def suspend(self, server: Server, account: Account, *, reason: str) -> None:
        name = self._name(account)
        self._run(
            server,
            (sql.SQL("ALTER ROLE {} NOLOGIN").format(name), None),
            self._end_sessions(account),
        )

    def unsuspend(self, server: Server, account: Account) -> None:
        self._run(server, (sql.SQL("ALTER ROLE {} LOGIN").format(self._name(account)), None))

    def terminate(self, server: Server, account: Account) -> None:
        name = self._name(account)
        self._run(
            server,
            self._end_sessions(account),
            (sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name), None),
            (sql.SQL("DROP ROLE IF EXISTS {}").format(name), None),
        )

    def change_plan(self, server: Server, account: Account, *, previous_plan: str) -> None:
        self._run(
            server,
            (
                sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(
                    self._name(account), sql.Literal(self._limit(account))
                ),
                None,
            ),
        )

    def reset_password(self, server: Server, account: Account) -> None:
        self._run(
            server,
            (
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    self._name(account), sql.Literal(account.password)
                ),
                None,
            ),
        )

    def usage(self, server: Server, account: Account) -> Usage:
        rows = self._run(
            server,
            (
                "SELECT coalesce(sum(pg_database_size(datname)), 0) FROM pg_database"
                " WHERE datname = %s",
                [account.username],
            ),
        )
        return Usage(disk_mb=round(int(rows[0][0][0]) / 1_048_576, 2))

    # --- backups ----------------------------------------------------------------------

    def _tool(self, server: Server, args: list[str]) -> None:
        env = {**os.environ, "PGPASSWORD": server.secret, "PGCONNECT_TIMEOUT": "10"}
        base = ["-h", server.hostname, "-p", str(server.port or 5432), "-U", server.username]
        try:
            done = subprocess.run(  # noqa: S603
                [args[0], *base, *args[1:]],
                env=env,
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TemporaryFailure(f"{args[0]} did not run: {error}", answer=str(error)) from error
        if done.returncode != 0:
            raise TemporaryFailure(
                f"{args[0]} failed ({done.returncode})", answer=done.stderr[-2000:]
            )

    def export_data(self, server: Server, account: Account, into: Path) -> None:
        self._name(account)
        self._tool(
            server,
            ["pg_dump", "--format=custom", "--no-owner", "-f", str(into / DUMP), account.username],
        )

    def import_data(self, server: Server, account: Account, source: Path) -> None:
        self._name(account)
        self._tool(
            server,
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                f"--role={account.username}",
                "-d",
                account.username,
                str(source / DUMP),
            ],
        )
