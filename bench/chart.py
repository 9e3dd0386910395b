"""The chart of docs/performance.md: daily-run time against number of services."""

from __future__ import annotations

from pathlib import Path


def draw(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    series = [
        ("postgresql", "kyklos", "Kyklos, PostgreSQL", "o-"),
        ("postgresql", "naive", "naive per-service loop, PostgreSQL", "s--"),
        ("sqlite", "kyklos", "Kyklos, SQLite", "^"),
    ]
    for backend, engine, label, style in series:
        rows = sorted(
            (r["services"], r.get("projected_seconds", r["seconds"]), "projected_seconds" in r)
            for r in results.get("daily", [])
            if r["backend"] == backend and r["engine"] == engine and r["services"] >= 1000
        )
        if rows:
            ax.plot([x for x, _, _ in rows], [y for _, y, _ in rows], style, label=label)
            for x, y, projected in rows:
                text = f"{y:.0f} s (projected)" if projected else f"{y:.1f} s"
                ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("services")
    ax.set_ylabel("daily run, seconds (wall)")
    ax.set_title("Daily run for one day")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
