"""Draw the layers of docs/architecture.md from the import contracts in pyproject.toml.

``python -m tests.architecture.diagram`` prints the block that stands in
docs/architecture.md between the ``layers:begin`` and ``layers:end`` markers;
tests/architecture/test_docs.py checks that the two agree.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 92


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def layers() -> list[list[str]]:
    """The layers from top to bottom, each a list of its apps (optional ones included)."""
    return [
        [name.strip().strip("()") for name in layer.split("|")]
        for layer in contracts()["layers"]["layers"]
    ]


def _box(text: str, *, first: bool) -> list[str]:
    inner = WIDTH - 4
    top = "┌" + "─" * (WIDTH - 2) + "┐"
    if not first:
        middle = (WIDTH - 2) // 2
        top = "┌" + "─" * middle + "▼" + "─" * (WIDTH - 3 - middle) + "┐"
    return [top, f"│ {text:<{inner}} │", "└" + "─" * (WIDTH - 2) + "┘"]


def render() -> str:
    lines: list[str] = []
    for index, apps in enumerate(layers()):
        text = " · ".join(apps) if len(apps) > 1 else apps[0]
        lines += _box(text, first=index == 0)
    face = contracts()["published-face"]
    lines += [
        "",
        "Each box imports only from the boxes below it; apps in one box (·) do not import",
        "each other. privacy imports only core. Between apps, only the published face:",
        "  " + ", ".join(face["public_modules"]) + ",",
        "  and " + ", ".join(face["also_public"]) + ".",
        "  "
        + ", ".join(face["shared_apps"])
        + " is open to all; "
        + ", ".join(face["exempt_importers"])
        + " may import anything.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
