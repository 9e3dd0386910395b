"""``python -m bench api``: the API's list of invoices under load (wrk, gunicorn).

A member of the billing staff with an API token asks for a page of 50 invoices of the
customer with 100 services (``GET /api/v1/invoices?customer=ID&limit=50``) at ``--rate``
requests a second (default 200) for ``--seconds``, with the same server, pacing and CPU
accounting as the portal's measure (``bench/__main__.py``, decision 0015). Every answer
writes its access event (decision 0016), as in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

LIMIT = 50


def bench_api(dbs, label: str, services: int, backend: str, args, out: dict, runner) -> None:
    """``runner`` is ``bench.__main__`` (its gunicorn, wrk and CPU helpers)."""
    template, _seed = dbs.seed(backend, label, services, portal=100)
    load_before = round(os.getloadavg()[0], 2)
    with dbs.copy(backend, template) as url, tempfile.TemporaryDirectory() as tmp:
        served = f"{url}?conn_max_age=600" if backend == "postgresql" else url
        made = runner.probe(url, "token")
        path = f"/api/v1/invoices?customer={made['customer']}&limit={LIMIT}"
        auth = f"Bearer {made['token']}"
        with runner.gunicorn(served, args, Path(tmp)) as (server, port):
            _warm_up(port, path, auth, 24)
            servers = runner._server_pids(server.pid, url)
            cpu_before, children_before = runner._cpu_seconds(servers), runner._children_cpu()
            row = _wrk(port, path, auth, args, runner)
            cpu = {k: v - cpu_before[k] for k, v in runner._cpu_seconds(servers).items()}
            cpu["load generator"] = runner._children_cpu() - children_before
    result = {
        "size": label,
        "backend": backend,
        "endpoint": "GET /api/v1/invoices?customer=ID&limit=50",
        "documents_of_customer": made["documents"],
        "server": runner.server_label(args),
        "target_rate": args.rate,
        "connections": args.connections,
        "seconds": _seconds(args),
        "cache": args.cache or "locmemcache://",
        **row,
        "cpu_ms_per_request": {
            k: round(1000 * v / max(row["requests"], 1), 2) for k, v in cpu.items()
        },
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
    }
    out.setdefault("api", []).append(result)
    print(
        f"api invoices  {row['requests_per_s']:>7.1f} req/s  p50 {row['p50']!s:>5} ms  "
        f"p95 {row['p95']!s:>5} ms  p99 {row['p99']!s:>5} ms  failures {row['failures']}"
    )
    print(
        "api CPU per request: "
        + ", ".join(f"{k} {v} ms" for k, v in result["cpu_ms_per_request"].items())
        + f"  (load {load_before} before, {result['load_after']} after)"
    )


def _seconds(args) -> int:
    return min(args.seconds, 3) if args.smoke else args.seconds  # --smoke: only that it works


def _wrk(port: int, path: str, auth: str, args, runner) -> dict:
    done = subprocess.run(
        [
            "wrk",
            "--threads=1",
            f"--connections={args.connections}",
            f"--duration={_seconds(args)}s",
            "--timeout=10s",
            f"--script={runner.ROOT / 'bench' / 'wrk.lua'}",
            f"http://127.0.0.1:{port}{path}",
            "--",
            str(args.rate),
            "",
            auth,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"wrk made no report:\n{done.stderr[-2000:]}\n{done.stdout[-2000:]}")
    report = json.loads(lines[-1])
    return runner._wrk_row(
        report["requests"],
        report["failures"],
        report["seconds"],
        {v: c for v, c in report["histogram"]},
    )


def _warm_up(port: int, path: str, auth: str, requests: int) -> None:
    for _ in range(requests):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Authorization": auth}
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            body = json.loads(response.read())
            if response.status != 200 or len(body["items"]) != min(LIMIT, body["count"]):
                raise SystemExit(f"{path} answered {response.status}: {body!r:.300}")
