"""``python -m bench cli``: what a ``kyklos`` command costs before it does anything, and the
daily run as cron starts it (``kyklos automate`` from the shell, start to exit).

Each command runs ``--cli-runs`` times in a fresh process (one warm-up run first, not
counted); a row gives the median and the fastest wall time and the median CPU time
(user + system, of that process alone: ``wait4``), the exit status, and the load average
before and after. The machine is shared, so the CPU time is the steadier figure.

The processes get the bytecode cache an installed Kyklos has (``PYTHONDONTWRITEBYTECODE``
dropped, the cache under ``--work``): otherwise every start would compile Kyklos' sources
again, which no installation does.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

#: name → arguments after ``python``; the expected exit status.
START_COMMANDS = {
    "kyklos automate --date nope": (["-m", "kyklos", "automate", "--date", "nope"], 2),
    "kyklos automate --plan": (["-m", "kyklos", "automate", "--plan"], 0),
    "kyklos --help": (["-m", "kyklos", "--help"], 0),
    "django.setup()": (["-c", "import django; django.setup()"], 0),
}

RUN_SECONDS = re.compile(r"actions \(([0-9.]+) s\)")


def cli_env(base: dict, work: Path) -> dict:
    env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.setdefault("DJANGO_SETTINGS_MODULE", "kyklos.config.settings")
    return env


def run(argv: list[str], env: dict, cwd: Path) -> tuple[float, float, int, str, str]:
    """One process: (wall seconds, its CPU seconds, exit status, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (
            wall,
            usage.ru_utime + usage.ru_stime,
            child.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace")[-3000:],
        )


def measure(name: str, argv: list[str], env: dict, cwd: Path, runs: int, expect: int) -> dict:
    run(argv, env, cwd)  # warm-up: the bytecode cache, the page cache
    load_before = round(os.getloadavg()[0], 2)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, status, _stdout, stderr = run(argv, env, cwd)
        if status != expect:
            raise SystemExit(f"{name}: exit {status}, expected {expect}:\n{stderr}")
        walls.append(wall)
        cpus.append(cpu)
    return {"command": name, "exit": expect, **summary(walls, cpus, load_before)}


def summary(walls: list[float], cpus: list[float], load_before: float) -> dict:
    return {
        "runs": len(walls),
        "wall_median": round(statistics.median(walls), 3),
        "wall_min": round(min(walls), 3),
        "cpu_median": round(statistics.median(cpus), 3),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
    }


def print_row(r: dict) -> None:
    print(
        f"cli {r['command']:<34} wall {r['wall_median']:>6.3f} s (min {r['wall_min']:.3f})  "
        f"cpu {r['cpu_median']:>6.3f} s  exit {r['exit']}  runs {r['runs']}  "
        f"load {r['load_before']} → {r['load_after']}"
    )


def bench_start(python: str, env: dict, cwd: Path, runs: int, out: dict) -> None:
    """The four start-up measures (none of them reaches the database)."""
    for name, (args, expect) in START_COMMANDS.items():
        row = measure(name, [python, *args], env, cwd, runs, expect)
        out["cli"].append(row)
        print_row(row)


def bench_automate(dbs, python: str, env: dict, cwd: Path, size, day: str, runs: int, out):
    """``kyklos automate --date DAY`` from the shell on fresh copies of the seeded
    database (PostgreSQL): wall and CPU of the whole process, and the run's own time."""
    label, services = size
    template, _seed = dbs.seed("postgresql", label, services, portal=100)
    walls, cpus, inside = [], [], []
    load_before = round(os.getloadavg()[0], 2)
    argv = [python, "-m", "kyklos", "automate", f"--date={day}", "--allow-future"]
    for _ in range(runs):
        with dbs.copy("postgresql", template) as url:
            wall, cpu, status, stdout, stderr = run(argv, {**env, "DATABASE_URL": url}, cwd)
        if status:
            raise SystemExit(f"kyklos automate failed:\n{stderr}")
        walls.append(wall)
        cpus.append(cpu)
        # its first line: "2027-06-01: 4515 actions (1.68 s)", the run's own time
        said = RUN_SECONDS.search(stdout)
        inside.append(float(said.group(1)) if said else 0.0)
    row = {
        "command": f"kyklos automate --date {day} (from the shell)",
        "backend": "postgresql",
        "size": label,
        "services": services,
        **summary(walls, cpus, load_before),
        "run_seconds_median": round(statistics.median(inside), 3),
    }
    out["automate_shell"].append(row)
    print(
        f"automate {label} from the shell: wall {row['wall_median']:.2f} s "
        f"(min {row['wall_min']:.2f}), cpu {row['cpu_median']:.2f} s, the run itself "
        f"{row['run_seconds_median']:.2f} s, runs {runs}, load {load_before} → "
        f"{row['load_after']}"
    )
