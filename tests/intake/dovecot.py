"""A real IMAP server for the tests: Debian's dovecot-imapd, configured in a temporary
folder, listening on a free port of 127.0.0.1, plaintext login, one mailbox.

It runs as the current user. Dovecot refuses mail access as root (uid 0), so when the
tests run as root the mail files belong to Dovecot's own ``dovecot`` system user.
:func:`start` raises :class:`Unavailable` with the reason when it cannot start; the
fixture turns that into a skip.
"""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support"
PASSWORD = "imap-test-password"  # noqa: S105


class Unavailable(RuntimeError):
    pass


@dataclass
class Dovecot:
    root: Path
    port: int
    process_id: int

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def stop(self) -> None:
        try:
            os.kill(self.process_id, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for _ in range(50):
            try:
                os.kill(self.process_id, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accounts() -> tuple[str, str, str, int, int]:
    """(internal user, internal group, login user, mail uid, mail gid)."""
    if os.geteuid() != 0:
        user = getpass.getuser()
        group = grp.getgrgid(os.getegid()).gr_name
        return user, group, user, os.geteuid(), os.getegid()
    try:
        dovecot = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError as exc:
        raise Unavailable(
            f"running as root, and Dovecot's system users are missing: {exc}"
        ) from None
    return (
        "dovecot",
        grp.getgrgid(dovecot.pw_gid).gr_name,
        "dovenull",
        dovecot.pw_uid,
        dovecot.pw_gid,
    )


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = kyklos-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = 0
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
{userdb}
mail_location = maildir:~/Maildir
"""

STATIC_USERDB = """\
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}"""

#: Kyklos' provisioning writes the passwd-file with each mailbox's home and extra fields
#: (quota, R5.4 limits, nologin when suspended); Dovecot reads it as the userdb too.
PASSWD_USERDB = """\
userdb {{
  driver = passwd-file
  args = {root}/passwd
  default_fields = uid={uid} gid={gid}
}}"""


def start(*, passwd_userdb: bool = False) -> Dovecot:
    """Start Dovecot; with ``passwd_userdb`` the passwd-file is the userdb as well (the
    provisioning module's layout: ``<root>/passwd``, mail under ``<root>/home``) and the
    log lines start with ISO dates (R5.7 pruning)."""
    if not Path(DOVECOT).exists():
        raise Unavailable(
            "dovecot is not installed (apt-get install dovecot-imapd; "
            "see scripts/install-system-packages)"
        )
    root = Path(tempfile.mkdtemp(prefix="kyklos-dovecot-"))
    root.chmod(0o755)  # Dovecot's own user must reach the mail folder when run as root
    internal_user, internal_group, login_user, uid, gid = _accounts()
    port = _free_port()
    for folder in ("run", "state", "home"):
        (root / folder).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    if os.geteuid() == 0:
        os.chown(root / "home", uid, gid)
    config = root / "dovecot.conf"
    ids = {"root": root, "uid": uid, "gid": gid}
    userdb = (PASSWD_USERDB if passwd_userdb else STATIC_USERDB).format(**ids)
    if passwd_userdb:
        userdb += '\nlog_timestamp = "%Y-%m-%d %H:%M:%S "'
    config.write_text(
        CONFIG.format(
            userdb=userdb,
            root=root,
            port=port,
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login_user,
            uid=uid,
            gid=gid,
        )
    )
    errors = root / "start.err"
    with errors.open("w") as err:
        # The daemon forks; its output goes to a file so no pipe is held open.
        code = subprocess.call(  # noqa: S603
            [DOVECOT, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=err, timeout=20
        )
    if code != 0:
        message = errors.read_text(errors="replace").strip()
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"dovecot did not start: {message}")
    pid_file = root / "run" / "master.pid"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if pid_file.exists() and pid_file.read_text().strip():
                    break
        except OSError:
            pass
        time.sleep(0.05)
    else:
        server = Dovecot(root, port, int(pid_file.read_text()) if pid_file.exists() else 0)
        log = server.log()
        if server.process_id:
            server.stop()
        raise Unavailable(f"dovecot did not listen on port {port}: {log[-500:]}")
    return Dovecot(root, port, int(pid_file.read_text().strip()))
