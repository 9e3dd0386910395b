"""R5.7: mail-server logs are kept 7 days (``KYKLOS_PROVISIONING["MAIL_LOG_DAYS"]``).

Each server whose settings name a ``log_path`` has its log pruned by the daily step: the
lines dated before the cutoff go. The mail server writes ISO dates at the start of each
line (Dovecot: ``log_timestamp = "%Y-%m-%d %H:%M:%S "``); a line without a date (a
continuation) goes with the line before it. Rotated files (``<log>.1``, ``.2.gz`` …) older
than the cutoff are removed whole.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kyklos.provisioning.models import Server

DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def prune_file(path: Path, cutoff: date) -> int:
    """Remove the lines of ``path`` dated before ``cutoff``; returns how many went."""
    if not path.exists():
        return 0
    kept: list[str] = []
    removed = 0
    keeping = True
    with path.open(errors="replace") as log:
        for line in log:
            found = DATED.match(line)
            if found:
                keeping = date.fromisoformat(found.group(1)) >= cutoff
            if keeping:
                kept.append(line)
            else:
                removed += 1
    if removed:
        temporary = path.with_name(path.name + ".pruning")
        temporary.write_text("".join(kept))
        os.replace(temporary, path)
    for rotated in path.parent.glob(path.name + ".*"):
        if rotated.suffix == ".pruning":
            continue
        if datetime.fromtimestamp(rotated.stat().st_mtime, tz=UTC).date() < cutoff:
            rotated.unlink(missing_ok=True)
    return removed


def prune(day: date) -> int:
    from kyklos.provisioning.services import option

    cutoff = day - timedelta(days=option("MAIL_LOG_DAYS"))
    total = 0
    for settings in Server.objects.values_list("settings", flat=True):
        log_path = (settings or {}).get("log_path")
        if log_path:
            total += prune_file(Path(log_path), cutoff)
    return total
