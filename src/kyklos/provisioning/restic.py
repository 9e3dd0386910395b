"""The backup repository: restic (Debian ``restic``) on a local folder (R5.2, decision 0032).

Each backup is one restic snapshot of a folder the module filled (``export_data``),
tagged with the account; restoring brings that folder back for ``import_data``. What is
kept is decided by Kyklos (``Backup.keep_until`` from the policy): expired snapshots are
forgotten by id and pruned.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

from kyklos.provisioning.modules.base import PermanentFailure, TemporaryFailure

RESTIC = shutil.which("restic") or "/usr/bin/restic"
PURPOSE = "provisioning:backup-repository"


def _password() -> str:
    from kyklos.vault import services as vault

    stored = vault.provider_secret(PURPOSE).get("password", "")
    return stored or settings.KYKLOS_BACKUP_PASSWORD


def _run(*args: str, cwd: Path | None = None, timeout: int = 3600) -> str:
    if not Path(RESTIC).exists():
        raise PermanentFailure(
            "restic is not installed (apt-get install restic)", answer="restic missing"
        )
    password = _password()
    if not password:
        raise PermanentFailure(
            "no password for the backup repository (KYKLOS_BACKUP_PASSWORD or the vault)",
            answer="no repository password",
        )
    env = {
        **os.environ,
        "RESTIC_REPOSITORY": str(settings.KYKLOS_BACKUP_REPOSITORY),
        "RESTIC_PASSWORD": password,
        "RESTIC_CACHE_DIR": str(Path(settings.KYKLOS_BACKUP_REPOSITORY).parent / ".restic-cache"),
    }
    try:
        done = subprocess.run(  # noqa: S603
            [RESTIC, *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TemporaryFailure(f"restic did not run: {error}", answer=str(error)) from error
    if done.returncode != 0:
        raise TemporaryFailure(
            f"restic {args[0]} failed ({done.returncode})", answer=done.stderr[-2000:]
        )
    return done.stdout


def ensure_repository() -> None:
    repository = Path(settings.KYKLOS_BACKUP_REPOSITORY)
    if (repository / "config").exists():
        return
    repository.parent.mkdir(parents=True, exist_ok=True)
    _run("init")


def backup(folder: Path, *, tags: list[str]) -> str:
    """Store ``folder`` as a snapshot; returns its id."""
    ensure_repository()
    args = ["backup", "--json", "--host", "kyklos"]
    for tag in tags:
        args += ["--tag", tag]
    out = _run(*args, ".", cwd=folder)
    for line in reversed(out.splitlines()):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("message_type") == "summary":
            return message["snapshot_id"]
    raise TemporaryFailure("restic gave no snapshot id", answer=out[-2000:])


def restore(snapshot: str, into: Path) -> Path:
    """Bring the snapshot back into ``into`` (the folder was backed up as ``.``, so its
    content lands there); returns ``into``."""
    if not json.loads(_run("snapshots", "--json", snapshot)):
        raise PermanentFailure(f"no snapshot {snapshot}", answer="snapshot not found")
    _run("restore", snapshot, "--target", str(into))
    return into


def forget(snapshots: list[str]) -> None:
    if snapshots:
        _run("forget", "--prune", *snapshots)
