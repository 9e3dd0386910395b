"""E-mail hosting on Dovecot: one mailbox per service in a passwd-file that Kyklos writes.

Dovecot reads the file as both passdb and userdb (``driver = passwd-file``) and notices a
change by its modification time, so writing the file is all it takes. Each line is::

    user:{SSHA512}hash::::<mail_root>/<user>::userdb_quota_rule=*:storage=<MB>M \
        userdb_kyklos_message_size=25M userdb_kyklos_messages_per_hour=200 [nologin reason=…]

- **quota** is Dovecot's own ``quota_rule`` (enforced when the ``quota`` plugin is on);
- **message size and messages per hour** (R5.4) are userdb extra fields that the MTA reads
  (Postfix ``message_size_limit`` per user through a policy service such as
  ``postfwd``/``policyd-rate-limit`` querying ``doveadm user -f userdb_kyklos_…``);
- **suspension** adds ``nologin`` with a ``reason``: the password still matches but the
  login is refused with the reason; unsuspending removes them;
- **termination** removes the line and the maildir (the job took the backup first).

Dovecot looks at the file at most once a second, so a change takes effect within a second.

Server settings (``Server.settings``): ``passwd_file`` and ``mail_root`` (paths on the
machine that runs the worker), ``prefix`` (optional, for user names), ``log_path`` (the
mail log that R5.7 prunes). To drive a remote Dovecot, run the worker on the mail server
or mount its files; docs/provisioning.md describes doveadm's HTTP API as the other way.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from kyklos.provisioning.modules import register
from kyklos.provisioning.modules.base import (
    Account,
    PermanentFailure,
    ProvisioningModule,
    Server,
    TemporaryFailure,
    Usage,
)

#: R5.4 defaults when neither the product nor the service sets them
DEFAULT_LIMITS = {"quota_mb": 1024, "message_size_mb": 25, "messages_per_hour": 200}
NAME = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,62}(@[a-z0-9.-]+\.[a-z]{2,})?$")


def password_hash(password: str) -> str:
    """Dovecot's ``{SSHA512}``: base64(SHA-512(password + salt) + salt)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


def _fields(limits: dict[str, Any]) -> list[str]:
    merged = {**DEFAULT_LIMITS, **{k: v for k, v in limits.items() if v not in (None, "")}}
    return [
        f"userdb_quota_rule=*:storage={int(merged['quota_mb'])}M",
        f"userdb_kyklos_message_size={int(merged['message_size_mb'])}M",
        f"userdb_kyklos_messages_per_hour={int(merged['messages_per_hour'])}",
    ]


class PasswdFile:
    """The passwd-file: read, change one user's line, write atomically under a lock."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return [line for line in self.path.read_text().splitlines() if line.strip()]

    def find(self, user: str) -> list[str] | None:
        for line in self.lines():
            parts = line.split(":", 7)
            if parts[0] == user:
                return parts + [""] * (8 - len(parts))
        return None

    def put(self, user: str, parts: list[str] | None) -> None:
        """Replace (or add, or with ``None`` remove) ``user``'s line."""
        kept = [line for line in self.lines() if line.split(":", 1)[0] != user]
        if parts is not None:
            kept.append(":".join(parts))
        temporary = self.path.with_suffix(".new")
        temporary.write_text("".join(f"{line}\n" for line in kept))
        # The new file keeps the old one's owner and mode (e.g. root:dovecot 0640), so
        # Dovecot's auth process can still read it.
        if self.path.exists():
            old = self.path.stat()
            # Dovecot re-reads the file when its mtime (in seconds) or size changed: a
            # change in the same second as the last one must still move the mtime.
            stamp = max(time.time(), int(old.st_mtime) + 1)
            os.utime(temporary, (stamp, stamp))
            os.chmod(temporary, old.st_mode & 0o777)
            try:
                os.chown(temporary, old.st_uid, old.st_gid)
            except PermissionError:
                pass
        else:
            os.chmod(temporary, 0o640)
        os.replace(temporary, self.path)


@register
class DovecotModule(ProvisioningModule):
    code = "dovecot"
    label = "Dovecot (e-mail hosting)"
    backs_up = True
    settings_help = {
        "quota_mb": "Mailbox quota in MB.",
        "message_size_mb": "Largest message in MB (R5.4: 25).",
        "messages_per_hour": "Messages sent per hour per mailbox (R5.4: 200).",
    }

    def check_settings(self, settings: dict[str, Any]) -> None:
        for name, value in settings.items():
            if name not in self.settings_help:
                raise ValidationError(f"Dovecot has no setting {name!r}.")
            if not isinstance(value, int) or value <= 0:
                raise ValidationError(f"{name} is a whole number above zero.")

    # --- helpers ----------------------------------------------------------------------

    def _paths(self, server: Server) -> tuple[PasswdFile, Path]:
        try:
            return PasswdFile(Path(server.settings["passwd_file"])), Path(
                server.settings["mail_root"]
            )
        except KeyError as missing:
            raise PermanentFailure(
                f"server {server.hostname} has no {missing.args[0]} setting",
                answer=f"missing setting {missing.args[0]}",
            ) from None

    def username(self, service_id: int, label: str, prefix: str = "") -> str:
        label = (label or "").strip().lower()
        if "@" in label and len(prefix + label) <= 63 and NAME.match(prefix + label):
            return prefix + label
        return f"{prefix}k{service_id}"

    def _home(self, mail_root: Path, user: str) -> Path:
        return mail_root / user

    def _write(self, server: Server, account: Account, change) -> None:
        passwd, _root = self._paths(server)
        try:
            with passwd.locked():
                parts = passwd.find(account.username)
                passwd.put(account.username, change(parts))
        except OSError as error:
            raise TemporaryFailure(
                f"cannot write {passwd.path}: {error}", answer=str(error)
            ) from error

    @staticmethod
    def _extra(parts: list[str]) -> list[str]:
        return [f for f in parts[7].split(" ") if f]

    # --- the contract -----------------------------------------------------------------

    def create(self, server: Server, account: Account) -> dict[str, Any]:
        if not NAME.match(account.username):
            raise PermanentFailure(
                f"{account.username!r} is not a valid mailbox name", answer="invalid name"
            )
        _passwd, root = self._paths(server)
        home = self._home(root, account.username)

        def change(parts):
            if parts is not None:  # a retry after the crash: the mailbox is there
                return parts
            if not account.password:
                raise PermanentFailure("no password for the new mailbox", answer="no password")
            return [
                account.username,
                password_hash(account.password),
                "",
                "",
                "",
                str(home),
                "",
                " ".join(_fields(account.limits)),
            ]

        self._write(server, account, change)
        return {"home": str(home)}

    def suspend(self, server: Server, account: Account, *, reason: str) -> None:
        def change(parts):
            if parts is None:
                raise PermanentFailure(
                    f"no mailbox {account.username}", answer="unknown user", code="not_found"
                )
            extra = [
                f for f in self._extra(parts) if f != "nologin" and not f.startswith("reason=")
            ]
            text = re.sub(r"\s+", "_", reason or "suspended")[:60] or "suspended"
            parts[7] = " ".join([*extra, "nologin", f"reason={text}"])
            return parts

        self._write(server, account, change)

    def unsuspend(self, server: Server, account: Account) -> None:
        def change(parts):
            if parts is None:
                raise PermanentFailure(
                    f"no mailbox {account.username}", answer="unknown user", code="not_found"
                )
            extra = self._extra(parts)
            parts[7] = " ".join(f for f in extra if f != "nologin" and not f.startswith("reason="))
            return parts

        self._write(server, account, change)

    def terminate(self, server: Server, account: Account) -> None:
        _passwd, root = self._paths(server)
        self._write(server, account, lambda parts: None)
        shutil.rmtree(self._home(root, account.username), ignore_errors=True)

    def change_plan(self, server: Server, account: Account, *, previous_plan: str) -> None:
        def change(parts):
            if parts is None:
                raise PermanentFailure(
                    f"no mailbox {account.username}", answer="unknown user", code="not_found"
                )
            kept = [f for f in self._extra(parts) if not f.startswith("userdb_")]
            parts[7] = " ".join([*_fields(account.limits), *kept])
            return parts

        self._write(server, account, change)

    def reset_password(self, server: Server, account: Account) -> None:
        def change(parts):
            if parts is None:
                raise PermanentFailure(
                    f"no mailbox {account.username}", answer="unknown user", code="not_found"
                )
            parts[1] = password_hash(account.password)
            return parts

        self._write(server, account, change)

    def usage(self, server: Server, account: Account) -> Usage:
        _passwd, root = self._paths(server)
        home = self._home(root, account.username)
        size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) if home.exists() else 0
        return Usage(disk_mb=round(size / 1_048_576, 2), mailboxes=1)

    def export_data(self, server: Server, account: Account, into: Path) -> None:
        _passwd, root = self._paths(server)
        home = self._home(root, account.username)
        if home.exists():
            shutil.copytree(home, into / "mail", symlinks=True)
        else:
            (into / "mail").mkdir(parents=True)

    def import_data(self, server: Server, account: Account, source: Path) -> None:
        _passwd, root = self._paths(server)
        home = self._home(root, account.username)
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(source / "mail", home, symlinks=True)
        owner = home.parent.stat()
        for path in [home, *home.rglob("*")]:  # the mail user owns what came back
            try:
                os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
            except PermissionError:
                break
