"""Markdown tables of a results file (for docs/performance.md):
``python -m bench.report [bench/results/results.json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ORDER = {"smoke": 0, "10k": 1, "100k": 2, "1m": 3}


def daily(results: dict) -> str:
    rows = sorted(
        (r for r in results["daily"] if r["engine"] == "kyklos"),
        key=lambda r: (r["backend"] != "postgresql", ORDER.get(r["size"], 9)),
    )
    return "\n".join(
        f"| {r['backend']} | {r['services']:,} | {r.get('processes', 1)} | {r['seconds']:.1f} | "
        f"{r['cpu_seconds']:.1f} | {r.get('peak_rss_total_mb', r['peak_rss_mb']):.0f} MB | "
        f"{r['statements']} | {r['rows_written']:,} | "
        f"{r['total']:,} | {r['load_before']:.0f} |"
        for r in rows
    )


def naive(results: dict) -> str:
    lines = []
    for ratio in sorted(results["ratio"], key=lambda r: ORDER.get(r["size"], 9)):
        pair = {
            r["engine"]: r
            for r in results["daily"]
            if r["backend"] == ratio["backend"] and r["size"] == ratio["size"]
        }
        n = pair["naive"]
        naive_s = (
            f"{n['projected_seconds']:,.0f} (projected from {n['walked']:,} of "
            f"{n['main_services']:,} services in {n['seconds']:.0f} s)"
            if "projected_seconds" in n
            else f"{n['seconds']:,.1f}"
        )
        same = {True: "yes", False: "NO", None: "n/a (partial)"}[ratio["same_actions"]]
        lines.append(
            f"| {pair['kyklos']['services']:,} | {pair['kyklos']['seconds']:.1f} | {naive_s} | "
            f"{ratio['ratio']:.0f}× | {same} |"
        )
    return "\n".join(lines)


def cli(results: dict) -> str:
    rows = [
        f"| `{r['command']}` | {r['wall_median']:.2f} | {r['wall_min']:.2f} | "
        f"{r['cpu_median']:.2f} | {r['exit']} | {r['load_before']:.1f} |"
        for r in results.get("cli", [])
    ]
    rows += [
        f"| `kyklos automate` at {r['size']}, from the shell | {r['wall_median']:.2f} | "
        f"{r['wall_min']:.2f} | {r['cpu_median']:.2f} | 0 | {r['load_before']:.1f} |"
        for r in results.get("automate_shell", [])
    ]
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    path = Path(argv[0] if argv else "bench/results/results.json")
    results = json.loads(path.read_text())
    print(daily(results))
    print()
    print(naive(results))
    for year in results.get("year", []):
        print(year)
    for portal in results.get("portal", []):
        print(portal)
    print()
    print(cli(results))


if __name__ == "__main__":
    main(sys.argv[1:])
