"""Each benchmark of bench/ at a tiny size, so that they cannot rot (seconds, not minutes).

On SQLite by default; on PostgreSQL too when the suite runs there (``DATABASE_URL``).
The figures themselves are not asserted — only that every benchmark runs end to end,
writes its JSON, and that the naive baseline takes the same actions as Kyklos.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_bench(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k != "KYKLOS_DAILY_BROKER"}
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["BENCH_PG"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--smoke", f"--out={out}",
         f"--work={tmp_path}", f"--chart={tmp_path / 'chart.png'}",
         f"--prefix={_prefix()}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    return json.loads(out.read_text())


#: The SQLite benchmarks do not depend on the suite's database: the PostgreSQL run of the
#: suite leaves them to the SQLite run (CI runs both) and runs the PostgreSQL ones.
sqlite_run_only = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the SQLite run of the suite runs these"
)


def _prefix() -> str:
    # its own databases, named after the suite's (parallel runs of other worktrees differ)
    if connection.vendor != "postgresql":
        return "kyklos_bench_smoke"
    return f"{connection.settings_dict['NAME'].removeprefix('test_')}_bench_smoke"


@sqlite_run_only
def test_daily_run_naive_baseline_and_chart_on_sqlite(tmp_path):
    results = run_bench(tmp_path, "daily", "naive", "chart", "--backend=sqlite")

    daily = {(r["engine"], r["backend"]) for r in results["daily"]}
    assert daily == {("kyklos", "sqlite"), ("naive", "sqlite")}
    (ratio,) = results["ratio"]
    assert ratio["same_actions"] is True
    kyklos = next(r for r in results["daily"] if r["engine"] == "kyklos")
    assert kyklos["total"] > 0 and kyklos["statements"] > 0 and kyklos["peak_rss_mb"] > 0
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


@sqlite_run_only
def test_simulated_year_portal_and_api_load_on_sqlite(tmp_path):
    results = run_bench(tmp_path, "year", "portal", "api", "--backend=sqlite")

    (year,) = results["year"]
    assert year["days"] == 10 and year["total"] > 0
    (portal,) = results["portal"]
    assert portal["endpoints"]["Aggregated"]["requests"] > 0
    assert portal["endpoints"]["Aggregated"]["failures"] == 0
    (api,) = results["api"]
    assert api["requests"] > 0 and api["failures"] == 0


@sqlite_run_only
def test_command_start_on_sqlite(tmp_path):
    results = run_bench(tmp_path, "cli", "--backend=sqlite")

    rows = {r["command"]: r for r in results["cli"]}
    assert rows["kyklos automate --date nope"]["exit"] == 2
    assert set(rows) == {
        "kyklos automate --date nope",
        "kyklos automate --plan",
        "kyklos --help",
        "django.setup()",
    }
    assert all(r["cpu_median"] > 0 and r["wall_median"] > 0 for r in rows.values())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL benchmarks")
@pytest.mark.django_db
def test_every_benchmark_on_postgresql(tmp_path):
    results = run_bench(tmp_path, "daily", "naive", "year", "portal", "cli", "--sqlite=")

    assert {r["engine"] for r in results["daily"]} == {"kyklos", "naive"}
    assert results["ratio"][0]["same_actions"] is True
    assert results["year"][0]["total"] > 0
    assert results["portal"][0]["endpoints"]["Aggregated"]["failures"] == 0
    assert results["automate_shell"][0]["run_seconds_median"] > 0
