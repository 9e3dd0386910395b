"""One measurement in a fresh process: ``python -m bench.probe KIND …`` prints JSON.

Runs inside Django (the database is ``DATABASE_URL``); counts every SQL statement and the
rows it wrote (and, on PostgreSQL, read), and reports the process's peak RSS, so each
figure belongs to that run alone. The daily run's worker processes (forked from this one,
``KYKLOS_DAILY_PROCESSES``) count into the same shared counters; their CPU time is added
to this process's, and ``peak_rss_total_mb`` is the largest sum of this process's and its
workers' resident memory seen (``bench/procs.py``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from contextlib import nullcontext
from datetime import date


class Counter:
    """Statements, rows written and rows read, in shared memory: a forked worker process
    keeps this wrapper on its connection and counts into the same numbers."""

    def __init__(self):
        self.shared = multiprocessing.Array("q", 3)

    statements = property(lambda self: self.shared[0])
    rows_written = property(lambda self: self.shared[1])
    rows_read = property(lambda self: self.shared[2])

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        written = read = 0
        rowcount = getattr(context["cursor"], "rowcount", -1)
        if rowcount and rowcount > 0:
            verb = sql.lstrip().split(None, 1)[0].upper()
            if verb in ("INSERT", "UPDATE", "DELETE", "COPY"):  # COPY: kyklos.core.bulk
                written = rowcount
            elif verb in ("SELECT", "WITH"):
                read = rowcount
        with self.shared.get_lock():
            self.shared[0] += 1
            self.shared[1] += written
            self.shared[2] += read
        return result


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the daily run's
    workers end with the run)."""
    cpu = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        cpu += usage.ru_utime + usage.ru_stime
    return cpu


def measure(func) -> dict:
    from django.db import connection

    from bench.procs import ServerCpu, TreeMemory

    counter = Counter()
    connection.ensure_connection()
    sqlite_changes = connection.connection.total_changes if connection.vendor == "sqlite" else None
    load = os.getloadavg()[0]
    cpu, started = _cpu(), time.perf_counter()
    server = ServerCpu(os.environ["DATABASE_URL"]) if connection.vendor == "postgresql" else None
    with TreeMemory() as memory, server or nullcontext(), connection.execute_wrapper(counter):
        outcome = func()
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(_cpu() - cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_total_mb": memory.peak_mb,
        # the PostgreSQL sessions' CPU (sampled; a session's first 0.2 s may be missed)
        "server_cpu_seconds": server.seconds if server else None,
        "processes": memory.most_processes,
        "statements": counter.statements,
        "rows_written": (
            counter.rows_written
            if sqlite_changes is None
            else connection.connection.total_changes - sqlite_changes
        ),
        "rows_read": counter.rows_read if connection.vendor == "postgresql" else None,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        **outcome,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("kind", choices=["daily", "naive", "year", "session", "token", "count"])
    parser.add_argument("--date", default="2027-06-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--username", default="bench")
    parser.add_argument("--max-seconds", type=float, default=0, help="naive: stop after")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyklos.config.settings")
    import django

    django.setup()
    day = date.fromisoformat(args.date)

    if args.kind == "daily":
        from kyklos.automation.services import run_day

        def func():
            result = run_day(day, batch_size=args.batch_size)
            return {"actions": result.actions, "total": result.total}

        out = measure(func)
    elif args.kind == "naive":
        from bench.naive import run_day_naive

        def func():
            actions, walked, services = run_day_naive(day, args.max_seconds)
            return {
                "actions": actions,
                "total": _total(actions),
                "walked": walked,
                "main_services": services,
            }

        out = measure(func)
        if out["walked"] < out["main_services"]:  # stopped early: project to all services
            out["projected_seconds"] = round(
                out["seconds"] * out["main_services"] / max(out["walked"], 1), 1
            )
    elif args.kind == "year":
        from bench.year import measure as year

        def func():
            return year(day, args.days, batch_size=args.batch_size)

        out = measure(func)
    elif args.kind == "session":
        out = {"session": _session(args.username)}
    elif args.kind == "token":
        out = _token(args.username)
    else:
        from kyklos.lifecycle.models import Service

        out = {"services": Service.objects.count()}
    print(json.dumps(out))


def _total(actions: dict) -> int:
    return sum(v for k, v in actions.items() if not k.endswith("_skipped"))


def _token(username: str) -> dict:
    """An API token of a new member of the billing staff, and the id of ``username``'s
    customer account (``python -m bench api`` lists that customer's invoices)."""
    from django.contrib.auth.models import Group, User

    from kyklos.accounts import roles
    from kyklos.api.services import create_token

    staff = User.objects.create_user(f"{username}-api", is_staff=True)
    staff.groups.add(Group.objects.get(name=roles.GROUPS[roles.BILLING]))
    _row, token = create_token(staff)
    customer = User.objects.get(username=username).customer
    return {"token": token, "customer": customer.pk, "documents": customer.invoices.count()}


def _session(username: str) -> str:
    """A logged-in session for ``username`` (what the login form would create)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # the backend that loads users (the first one, axes, only guards logins)
    session[BACKEND_SESSION_KEY] = "kyklos.accounts.backends.AccountBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


if __name__ == "__main__":
    main(sys.argv[1:])
