"""``kyklos mail-in`` streams: a message just under the 50 MB limit needs little memory."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.intake.mails import write_large

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
#: The peak the issue allows for a 50 MB message (Django and Kyklos alone take about 110).
PEAK_LIMIT_MIB = 150


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def environment(home: Path) -> dict[str, str]:
    """A Kyklos of its own: SQLite and files under ``home``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "PYTHONPATH": str(ROOT / "src"), "KYKLOS_HOME": str(home)}


def test_a_50_mb_message_is_filed_in_under_150_mb_of_memory(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(
        [sys.executable, "-m", "kyklos", "migrate", "-v0"],
        cwd=ROOT,
        env=environment(home),
        check=True,
        timeout=300,
    )
    message = tmp_path / "large.eml"
    files = write_large(message, sizes=[9 * MiB] * 4)
    assert 48 * MiB < message.stat().st_size < 50 * MiB

    with open(message, "rb") as stdin:
        status, out, err, peak = run_measured(home, stdin)

    assert status == 0, err
    assert "new_ticket" in out and "(too_large)" in out
    assert peak < PEAK_LIMIT_MIB, f"mail-in peaked at {peak:.0f} MiB"
    db = sqlite3.connect(home / "kyklos.sqlite3")
    media = home / "media"
    # 25 MB of attachments are kept per message: the first two files; the others stay in
    # the quarantined raw message.
    stored = db.execute(
        "SELECT filename, size, file FROM support_attachment ORDER BY id"
    ).fetchall()
    assert [(name, size) for name, size, _file in stored] == [(n, s) for n, s, _h in files[:2]]
    for (_name, size, path), (_n, _s, digest) in zip(stored, files[:2], strict=True):
        assert (media / path).stat().st_size == size
        assert sha256(media / path) == digest
    ((reason, size, digest, path),) = db.execute(
        "SELECT reason, size, sha256, raw FROM intake_quarantinedmessage"
    ).fetchall()
    assert reason == "too_large"
    assert size == message.stat().st_size == (media / path).stat().st_size
    assert digest == sha256(message) == sha256(media / path)
    assert db.execute("SELECT count(*) FROM support_ticket").fetchone() == (1,)


#: ``kyklos mail-in`` that reports its peak memory (VmHWM) on standard error at exit. Not
#: ru_maxrss: Linux carries the parent's peak into a child across exec, and the test process
#: may be large.
MEASURED_MAIL_IN = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("peak-kib", line.split()[1], file=sys.stderr)
atexit.register(peak)
from kyklos.__main__ import main
main(["mail-in"])
"""


def run_measured(home: Path, stdin) -> tuple[int, str, str, float]:
    """``kyklos mail-in`` with its peak resident memory in MiB."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURED_MAIL_IN],
        stdin=stdin,
        capture_output=True,
        cwd=ROOT,
        env=environment(home),
        timeout=300,
    )
    err = result.stderr.decode()
    peak = int(err.rsplit("peak-kib ", 1)[1].split()[0]) / 1024
    return result.returncode, result.stdout.decode(), err, peak
