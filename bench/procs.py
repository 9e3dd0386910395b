"""The memory of a measured process and of the worker processes it starts (Linux /proc).

The daily run forks worker processes (``KYKLOS_DAILY_PROCESSES``); the resident memory of
"the run" is then the coordinator's and its workers' together. :class:`TreeMemory` samples
the resident set of this process and every descendant in a background thread and keeps
the largest sum seen (an upper bound of what they used at once: pages the workers still
share with the coordinator after the fork are counted in each).
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """``with TreeMemory() as memory: …`` then ``memory.peak_mb`` (this process and its
    descendants, summed) and ``memory.most_processes``."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.peak_kb = 0
        self.most_processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids = [me, *descendants(me)]
            self.peak_kb = max(self.peak_kb, sum(rss_kb(p) for p in pids))
            self.most_processes = max(self.most_processes, len(pids))
            self._stop.wait(self.every)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.peak_kb = max(self.peak_kb, own)

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of ``pid`` so far (None once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds of the PostgreSQL sessions on database ``name`` while it runs (the
    server on this machine): sampled every ``every`` seconds, the last figure of each
    session kept, so sessions that end (a worker's) count up to their last sample."""

    def __init__(self, url: str, every: float = 0.2) -> None:
        self.url = url
        self.every = every
        self.seen: dict[int, float] = {}
        self.start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psycopg

        name = self.url.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect(self.url, autocommit=True) as conn:
            me = conn.info.backend_pid
            first = True
            while not self._stop.is_set():
                pids = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                    [name, me],
                ).fetchall()
                for (pid,) in pids:
                    cpu = cpu_seconds(pid)
                    if cpu is not None:
                        # sessions that begin during the run count from their start
                        self.start.setdefault(pid, cpu if first else 0.0)
                        self.seen[pid] = cpu
                first = False
                self._stop.wait(self.every)

    def __enter__(self) -> ServerCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return round(sum(self.seen[p] - self.start[p] for p in self.seen), 2)
