"""``python -m bench [WHAT …] [options]``: run the benchmarks, print tables, write JSON.

WHAT is any of ``daily naive year portal api cli chart`` (default: all of them). Databases:
PostgreSQL at ``BENCH_PG`` (default ``postgres://postgres@127.0.0.1:5432``), one seeded
template database per size (``{prefix}_{size}_seed``, reused when it exists) copied for
each measurement and dropped after it; SQLite files under ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench import behind

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(sys.executable).parent
DAY = "2027-06-01"
SERVICES_PER_CUSTOMER = 4
SIZES = {"smoke": 400, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def parse_size(text: str) -> tuple[str, int]:
    label = text.lower()
    if label in SIZES:
        return label, SIZES[label]
    return label, int(label)


# --- databases ---------------------------------------------------------------------------------


class Databases:
    def __init__(self, args):
        self.pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
        self.prefix = args.prefix
        self.work = Path(args.work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.keep = args.keep
        self.made: list[str] = []

    def _admin(self, *statements: str) -> list:
        import psycopg

        with psycopg.connect(f"{self.pg}/postgres", autocommit=True) as conn:
            rows = []
            for sql in statements:
                cur = conn.execute(sql)
                rows = cur.fetchall() if cur.description else []
            return rows

    def _exists(self, name: str) -> bool:
        return bool(self._admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def url(self, backend: str, name: str) -> str:
        if backend == "postgresql":
            return f"{self.pg}/{name}"
        return f"sqlite:///{self.work / (name + '.sqlite3')}"

    def seed(self, backend: str, label: str, services: int, portal: int = 0) -> tuple[str, dict]:
        """The seeded template for a size (made once); returns its name and the seed's
        report (empty when it was reused)."""
        name = f"{self.prefix}_{label}_seed"
        if backend == "postgresql":
            if self._exists(name):
                return name, {}
            self._admin(f'CREATE DATABASE "{name}"')
        else:
            path = self.work / f"{name}.sqlite3"
            if path.exists():
                return name, {}
        self.made.append(name)
        url = self.url(backend, name)
        try:
            kyklos(url, "migrate", "-v0")
            customers = max(1, services // SERVICES_PER_CUSTOMER)
            report = json.loads(
                kyklos(
                    url,
                    "bench",
                    "seed",
                    f"--customers={customers}",
                    f"--services={services}",
                    f"--date={DAY}",
                    f"--portal-services={portal}",
                    "--json",
                )
            )
        except BaseException:
            self.drop(backend, name)
            raise
        return name, report

    @contextmanager
    def copy(self, backend: str, template: str):
        """A fresh copy of ``template`` for one measurement, dropped afterwards."""
        name = f"{template.removesuffix('_seed')}_run{os.getpid()}"
        if backend == "postgresql":
            self._admin(
                f'DROP DATABASE IF EXISTS "{name}"',
                f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
            )
        else:
            shutil.copyfile(self.work / f"{template}.sqlite3", self.work / f"{name}.sqlite3")
        try:
            url = self.url(backend, name)
            if behind.missing(url):  # a template seeded before the latest migrations
                kyklos(url, "migrate", "-v0")
            yield url
        finally:
            self.drop(backend, name)

    def drop(self, backend: str, name: str) -> None:
        if backend == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                (self.work / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)

    def cleanup(self) -> None:
        if not self.keep:
            for name in self.made:
                for backend in ("postgresql", "sqlite"):
                    self.drop(backend, name)


def _env(url: str, **extra) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src"), **extra}
    env.pop("KYKLOS_DAILY_BROKER", None) if "KYKLOS_DAILY_BROKER" not in extra else None
    return env


def kyklos(url: str, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "kyklos", *args],
        env=_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"kyklos {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def probe(url: str, *args: str, **env) -> dict:
    done = subprocess.run(
        [PYTHON, "-m", "bench.probe", *args],
        env=_env(url, **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"bench.probe {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the benchmarks ----------------------------------------------------------------------------


def bench_daily(
    dbs: Databases, sizes, backend: str, naive: bool, out: dict, max_naive: float = 0
) -> None:
    for label, services in sizes:
        template, seed = dbs.seed(backend, label, services, portal=100)
        if seed:
            out["seed"].append({"backend": backend, "size": label, **seed})
            print(f"seeded {label} on {backend}: {seed['seconds']} s")
        engines = ["kyklos", "naive"] if naive else ["kyklos"]
        row = {}
        for engine in engines:
            with dbs.copy(backend, template) as url:
                kind = ["daily"] if engine == "kyklos" else ["naive", f"--max-seconds={max_naive}"]
                result = probe(url, *kind, f"--date={DAY}")
            result.update(backend=backend, size=label, services=services, engine=engine)
            out["daily"].append(result)
            row[engine] = result
            _print_daily(result)
        if naive:
            projected = "projected_seconds" in row["naive"]
            same = None if projected else row["kyklos"]["actions"] == row["naive"]["actions"]
            naive_seconds = row["naive"].get("projected_seconds", row["naive"]["seconds"])
            ratio = naive_seconds / max(row["kyklos"]["seconds"], 1e-6)
            out["ratio"].append(
                {
                    "backend": backend,
                    "size": label,
                    "ratio": round(ratio, 1),
                    "same_actions": same,
                    "naive_projected": projected,
                }
            )
            print(
                f"  naive / kyklos at {label}: {ratio:.1f}x"
                + (
                    f" (naive projected from {row['naive']['walked']} services)"
                    if projected
                    else ""
                )
                + f"; same actions: {same}"
            )
            if same is False:
                print(f"  kyklos {row['kyklos']['actions']}\n  naive  {row['naive']['actions']}")


def _print_daily(r: dict) -> None:
    print(
        f"{r['backend']:<10} {r['size']:>6} {r['engine']:<7} {r['seconds']:>9.2f} s "
        f"cpu {r['cpu_seconds']:>8.2f} s  rss {r['peak_rss_mb']:>7.1f} MB  "
        f"(all {r.get('processes', 1)} processes {r.get('peak_rss_total_mb', 0):>7.1f} MB)  "
        f"server cpu {r.get('server_cpu_seconds')} s  "
        f"statements {r['statements']:>8}  rows written {r['rows_written']:>8}  "
        f"actions {r['total']:>7}  load {r['load_before']}"
    )


def bench_year(dbs: Databases, sizes, backend: str, days: int, out: dict) -> None:
    for label, services in sizes:
        template, _seed = dbs.seed(backend, label, services, portal=100)
        with dbs.copy(backend, template) as url:
            result = probe(url, "year", f"--date={DAY}", f"--days={days}")
        result.update(backend=backend, size=label, services=services)
        out["year"].append(result)
        print(
            f"year {backend} {label}: {days} days in {result['seconds']:.1f} s, "
            f"{result['total']} actions, rss {result['peak_rss_mb']} MB, "
            f"statements {result['statements']}, cpu {result['cpu_seconds']} s, "
            f"load {result['load_before']} -> {result['load_after']}"
        )
        from bench.year import print_curve

        print_curve(result)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_portal(dbs: Databases, label: str, services: int, backend: str, args, out: dict):
    template, _seed = dbs.seed(backend, label, services, portal=100)
    load_before = round(os.getloadavg()[0], 2)
    with dbs.copy(backend, template) as url, tempfile.TemporaryDirectory() as tmp:
        # persistent connections: one per worker, not one per request
        served = f"{url}?conn_max_age=600" if backend == "postgresql" else url
        # the session is signed with the server's key
        session = probe(url, "session", **_server_env(args))["session"]
        with gunicorn(served, args, Path(tmp)) as (server, port):
            _warm_up(port, session, 12)
            load = _wrk if args.load == "wrk" else _locust
            servers = _server_pids(server.pid, url)
            cpu_before, children_before = _cpu_seconds(servers), _children_cpu()
            rows = load(port, session, args, Path(tmp))
            cpu = {k: v - cpu_before[k] for k, v in _cpu_seconds(servers).items()}
            cpu["load generator"] = _children_cpu() - children_before
    result = {
        "size": label,
        "backend": backend,
        "server": server_label(args),
        "cache": args.cache or "locmemcache://",
        "load": args.load,
        "target_rate": args.rate,
        "connections": args.connections if args.load == "wrk" else args.users,
        "seconds": args.seconds,
        "endpoints": rows,
        # CPU per request answered, whatever else ran on the machine at the time
        "cpu_ms_per_request": {
            k: round(1000 * v / max(rows["Aggregated"]["requests"], 1), 2) for k, v in cpu.items()
        },
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
    }
    out["portal"].append(result)
    for name, r in rows.items():
        print(
            f"portal {name:<11} {r['requests_per_s']:>7.1f} req/s  p50 {r['p50']!s:>5} ms  "
            f"p95 {r['p95']!s:>5} ms  p99 {r['p99']!s:>5} ms  failures {r['failures']}"
        )
    print(
        "portal CPU per request: "
        + ", ".join(f"{k} {v} ms" for k, v in result["cpu_ms_per_request"].items())
        + f"  (load {load_before} before, {result['load_after']} after)"
    )


_SECRET = "bench-" + "Zq4Wm8Tr2Ky6Hp0Lx3" * 3  # noqa: S105 - a throw-away database


def _server_env(args) -> dict:
    """What the server runs with (and the probes that sign sessions for it)."""
    env = {"KYKLOS_SECRET_KEY": _SECRET, "KYKLOS_DEBUG": "0"}
    if args.cache:
        env["KYKLOS_CACHE_URL"] = args.cache
    return env


def server_label(args) -> str:
    return (
        "gunicorn -c python:kyklos.config.gunicorn"
        + (f" --workers {args.workers}" if args.workers else "")
        + (f" --threads {args.threads}" if args.threads else "")
    )


@contextmanager
def gunicorn(served: str, args, tmp: Path):
    """gunicorn with ``kyklos.config.gunicorn`` on a free port, until the block ends."""
    port = _free_port()
    env = _env(
        served,
        **_server_env(args),
        KYKLOS_ALLOWED_HOSTS="127.0.0.1",
        KYKLOS_LOG_LEVEL="WARNING",
    )
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "kyklos.config.wsgi:application",
            "--config",
            "python:kyklos.config.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            *(["--workers", str(args.workers)] if args.workers else []),
            *(["--threads", str(args.threads)] if args.threads else []),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "gunicorn.log").open("w"),
    )
    try:
        _wait_for(port)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _redis_cache() -> str:
    """A shared cache for the server when Redis answers on its default port (sessions and
    rendered parts in Redis, decision 0040); else none (each process its own)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/9"
    except OSError:
        return ""


def _server_pids(master: int, url: str) -> dict[str, list[int]]:
    """The gunicorn processes and the PostgreSQL backends serving them (Linux /proc)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text()
        workers = [int(pid) for pid in children.split()]
    except OSError:
        workers = []
    backends = []
    if url.startswith("postgres"):
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            backends = [
                pid
                for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
                ).fetchall()
            ]
    return {"gunicorn": [master, *workers], "postgresql": backends}


def _cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """User and system CPU seconds of each group of processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {}
    for group, members in pids.items():
        total = 0
        for pid in members:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        totals[group] = total / tick
    return totals


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: A browser that has visited once has a CSRF cookie; without it every page would make one.
CSRF_COOKIE = "csrftoken=" + "k" * 32
PAGES = {"dashboard": "/portal/", "invoices": "/portal/invoices/"}


def _wrk(port: int, session: str, args, tmp: Path) -> dict:
    """Each page at half the rate from its own wrk process (one thread, ``--connections``
    connections, paced by bench/wrk.lua); the latency histograms are merged for the total."""
    cookie = f"sessionid={session}; {CSRF_COOKIE}"
    runs = {
        name: subprocess.Popen(
            [
                "wrk",
                "--threads=1",
                f"--connections={args.connections}",
                f"--duration={args.seconds}s",
                "--timeout=10s",
                f"--script={ROOT / 'bench' / 'wrk.lua'}",
                f"http://127.0.0.1:{port}{path}",
                "--",
                str(args.rate / len(PAGES)),
                cookie,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, path in PAGES.items()
    }
    outputs = {name: run.communicate() for name, run in runs.items()}
    rows, merged = {}, {}
    for name, (stdout, stderr) in outputs.items():
        lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
        if not lines:
            raise SystemExit(f"wrk made no report for {name}:\n{stderr[-2000:]}\n{stdout[-2000:]}")
        report = json.loads(lines[-1])
        for value, count in report["histogram"]:
            merged[value] = merged.get(value, 0) + count
        rows[name] = _wrk_row(report["requests"], report["failures"], report["seconds"],
                              {v: c for v, c in report["histogram"]})  # fmt: skip
    seconds = max(json.loads(o[0].splitlines()[-1])["seconds"] for o in outputs.values())
    rows["Aggregated"] = _wrk_row(
        sum(r["requests"] for r in rows.values()),
        sum(r["failures"] for r in rows.values()),
        seconds,
        merged,
    )
    return rows


def _wrk_row(requests: int, failures: int, seconds: float, histogram: dict) -> dict:
    def percentile(p: float) -> float | None:
        total, seen = sum(histogram.values()), 0
        for value in sorted(histogram):
            seen += histogram[value]
            if seen >= total * p / 100:
                return round(value / 1000, 1)  # µs -> ms
        return None

    return {
        "requests": requests,
        "failures": failures,
        "requests_per_s": round(requests / seconds, 1) if seconds else 0.0,
        "p50": percentile(50),
        "p95": percentile(95),
        "p99": percentile(99),
    }


def _locust(port: int, session: str, args, tmp: Path) -> dict:
    csv = tmp / "locust"
    load = subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.users),
            "--run-time",
            f"{args.seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(csv),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env={
            **os.environ,
            "BENCH_SESSION": session,
            "BENCH_RATE": str(args.rate),
            "BENCH_USERS": str(args.users),
        },
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    rows = _stats(Path(f"{csv}_stats.csv"))
    if not rows.get("Aggregated", {}).get("requests"):
        raise SystemExit(f"locust made no requests:\n{load.stderr[:3000]}\n{load.stdout[:2000]}")
    return rows


def _warm_up(port: int, session: str, requests: int) -> None:
    """Every worker has loaded Django and answered the pages once before the load."""
    import urllib.request

    for path in list(PAGES.values()) * requests:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            headers={"Cookie": f"sessionid={session}; {CSRF_COOKIE}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            if response.status != 200 or "/login/" in response.url:
                raise SystemExit(f"{path} answered {response.status} at {response.url}")


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _ms(text: str) -> int | None:
    return None if text in ("", "N/A") else int(float(text))


def _stats(path: Path) -> dict:
    import csv

    rows = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "requests_per_s": round(float(row["Requests/s"]), 1),
                "p50": _ms(row["50%"]),
                "p95": _ms(row["95%"]),
                "p99": _ms(row["99%"]),
            }
    return rows


def bench_cli(dbs: Databases, args, sizes, out: dict) -> None:
    """Command start (``bench/cli.py``) and ``kyklos automate`` from the shell."""
    from bench import cli

    # a database nobody creates: none of the start-up measures may reach it
    url = dbs.url(args.backend, f"{args.prefix}_cli_unused")
    env = cli.cli_env(_env(url), dbs.work)
    cli.bench_start(PYTHON, env, ROOT, args.cli_runs, out)
    if args.backend == "postgresql":
        for size in sizes(args.cli_automate):
            cli.bench_automate(dbs, PYTHON, env, ROOT, size, DAY, args.cli_automate_runs, out)


# --- the command -----------------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_at_start": round(os.getloadavg()[0], 2),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("what", nargs="*", default=[])
    parser.add_argument("--sizes", default="10k,100k,1m", help="daily run on PostgreSQL")
    parser.add_argument("--sqlite", default="100k", help="daily run on SQLite")
    parser.add_argument("--naive", default="10k,100k", help="naive baseline on PostgreSQL")
    parser.add_argument(
        "--naive-seconds",
        type=float,
        default=0,
        help="stop the naive run after this long and project its time",
    )
    parser.add_argument("--year", default="100k", help="simulated year on PostgreSQL")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--portal", default="100k", help="seed size under the portal test")
    parser.add_argument("--cli-runs", type=int, default=10, help="runs of each command started")
    parser.add_argument(
        "--cli-automate", default="100k", help="kyklos automate from the shell, on PostgreSQL"
    )
    parser.add_argument("--cli-automate-runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument(
        "--load",
        choices=["wrk", "locust"],
        default="wrk" if shutil.which("wrk") else "locust",
        help="portal load generator (default wrk when installed: it costs far less CPU)",
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections per page")
    parser.add_argument("--users", type=int, default=20, help="locust users")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: kyklos.config.gunicorn)"
    )
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads per worker")
    parser.add_argument(
        "--cache",
        default=None,
        help="the server's KYKLOS_CACHE_URL (default Redis on 127.0.0.1:6379 when it answers)",
    )
    parser.add_argument("--seconds", type=int, default=60, help="portal load duration")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds not minutes")
    parser.add_argument(
        "--backend",
        choices=["postgresql", "sqlite"],
        default="postgresql",
        help="database of the daily, naive, year and portal benchmarks",
    )
    parser.add_argument("--prefix", default="kyklos_bench")
    parser.add_argument("--work", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "results.json"))
    parser.add_argument("--chart", default=str(ROOT / "docs" / "performance-daily.png"))
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases")
    args = parser.parse_args(argv)
    what = set(args.what or ["daily", "naive", "year", "portal", "api", "cli", "chart"])
    if args.cache is None:
        args.cache = _redis_cache()
    if args.smoke:
        args.sizes = args.sqlite = args.naive = args.year = args.portal = "smoke"
        args.days, args.seconds, args.rate, args.users, args.workers = 10, 5, 20, 2, 2
        args.connections = 2
        args.cli_automate, args.cli_runs, args.cli_automate_runs = "smoke", 2, 1

    def sizes(text):
        return [parse_size(s) for s in text.split(",") if s]

    out_path = Path(args.out)
    out = json.loads(out_path.read_text()) if out_path.exists() else {}
    fresh = {"machine": machine(), "seed": [], "daily": [], "ratio": [], "year": [], "portal": []}
    fresh.update(cli=[], automate_shell=[], api=[])
    dbs = Databases(args)
    try:
        backend = args.backend
        if "daily" in what or "naive" in what:
            naive = {label for label, _ in sizes(args.naive)} if "naive" in what else set()
            main_sizes = sizes(args.sizes) if "daily" in what else []
            for label, services in main_sizes:
                bench_daily(dbs, [(label, services)], backend, label in naive, fresh)
            for label, services in sizes(args.naive):
                if label in naive and label not in {x for x, _ in main_sizes}:
                    bench_daily(dbs, [(label, services)], backend, True, fresh, args.naive_seconds)
            if "daily" in what and backend == "postgresql":
                bench_daily(dbs, sizes(args.sqlite), "sqlite", False, fresh)
        if "year" in what:
            bench_year(dbs, sizes(args.year), backend, args.days, fresh)
        if "portal" in what:
            for label, services in sizes(args.portal):
                bench_portal(dbs, label, services, backend, args, fresh)
        if "api" in what:
            from bench.api import bench_api

            for label, services in sizes(args.portal):
                bench_api(dbs, label, services, backend, args, fresh, sys.modules[__name__])
        if "cli" in what:
            bench_cli(dbs, args, sizes, fresh)
    finally:
        dbs.cleanup()
    out = merge(out, fresh)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"results: {out_path}")
    if "chart" in what:
        from bench.chart import draw

        draw(out, Path(args.chart))
        print(f"chart: {args.chart}")


def merge(old: dict, new: dict) -> dict:
    """New figures replace old ones of the same kind, backend, size and engine."""
    merged = {"machine": new["machine"]}
    keys = {
        "seed": ("backend", "size"),
        "daily": ("backend", "size", "engine"),
        "ratio": ("backend", "size"),
        "year": ("backend", "size"),
        "portal": ("backend", "size"),
        "api": ("backend", "size"),
        "cli": ("command",),
        "automate_shell": ("backend", "size"),
    }
    for section, key in keys.items():
        rows = {tuple(r.get(k) for k in key): r for r in old.get(section, [])}
        rows.update({tuple(r.get(k) for k in key): r for r in new.get(section, [])})
        merged[section] = list(rows.values())
    return merged


if __name__ == "__main__":
    main()
