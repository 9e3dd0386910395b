"""A real PowerDNS Authoritative server for the tests: Debian's ``pdns_server`` with the
gsqlite3 backend, in a temporary directory with its own ``--config-dir``, DNS on a free
UDP/TCP port of 127.0.0.1 and the HTTP API on a free TCP port; not a daemon, stopped after
the session. Skipped (with the reason) when ``pdns_server`` or the schema is missing — CI
installs both through scripts/install-system-packages."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

SCHEMAS = (
    Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"),
    Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"),
)


@dataclass
class PowerDns:
    api_url: str
    api_key: str
    dns_port: int
    server_id: str = "localhost"
    directory: Path | None = None

    def settings(self, settings) -> None:
        """Point Kyklos at this server (pytest-django's ``settings`` fixture)."""
        settings.KYKLOS_PDNS_API_URL = self.api_url
        settings.KYKLOS_PDNS_API_KEY = self.api_key
        settings.KYKLOS_PDNS_SERVER_ID = self.server_id

    def query(self, name: str, rtype: str):
        """Ask the server over UDP (dnspython); the answer's RRset or None."""
        import dns.message
        import dns.query
        import dns.rcode

        message = dns.message.make_query(name, rtype)
        answer = dns.query.udp(message, "127.0.0.1", port=self.dns_port, timeout=3)
        if answer.rcode() != dns.rcode.NOERROR or not answer.answer:
            return None
        return answer.answer[0]

    def values(self, name: str, rtype: str) -> set[str]:
        rrset = self.query(name, rtype)
        return {r.to_text() for r in rrset} if rrset is not None else set()

    def zones(self) -> set[str]:
        answer = requests.get(
            f"{self.api_url}/api/v1/servers/localhost/zones",
            headers={"X-API-Key": self.api_key},
            timeout=5,
        )
        answer.raise_for_status()
        return {z["name"].rstrip(".") for z in answer.json()}


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def _schema() -> Path | None:
    return next((p for p in SCHEMAS if p.exists()), None)


@contextlib.contextmanager
def running_powerdns():
    binary = shutil.which("pdns_server") or (
        "/usr/sbin/pdns_server" if Path("/usr/sbin/pdns_server").exists() else None
    )
    schema = _schema()
    if binary is None:
        pytest.skip(
            "pdns_server is not installed (Debian pdns-server; scripts/install-system-packages)"
        )
    if schema is None:
        pytest.skip("the gsqlite3 schema is missing (Debian pdns-backend-sqlite3)")
    directory = Path(tempfile.mkdtemp(prefix="kyklos-pdns-"))
    database = directory / "pdns.sqlite3"
    with sqlite3.connect(database) as db:
        db.executescript(schema.read_text())
    key = secrets.token_hex(16)
    dns_port, api_port = free_port(), free_port()
    (directory / "pdns.conf").write_text("")
    command = [
        binary,
        f"--config-dir={directory}",
        f"--socket-dir={directory}",
        "--daemon=no",
        "--guardian=no",
        "--disable-syslog",
        "--write-pid=no",
        "--launch=gsqlite3",
        f"--gsqlite3-database={database}",
        f"--local-address=127.0.0.1:{dns_port}",
        "--webserver=yes",
        "--webserver-address=127.0.0.1",
        f"--webserver-port={api_port}",
        "--webserver-allow-from=127.0.0.1",
        "--api=yes",
        f"--api-key={key}",
        "--loglevel=4",
        "--cache-ttl=0",
        "--query-cache-ttl=0",
        "--negquery-cache-ttl=0",
        "--zone-cache-refresh-interval=0",
    ]
    log = (directory / "pdns.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    server = PowerDns(f"http://127.0.0.1:{api_port}", key, dns_port, directory=directory)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "pdns_server stopped: " + (directory / "pdns.log").read_text()[-2000:]
                )
            try:
                requests.get(
                    f"{server.api_url}/api/v1/servers", headers={"X-API-Key": key}, timeout=1
                ).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError("pdns_server did not start in 20 s") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def powerdns_server():
    with running_powerdns() as server:
        yield server


@pytest.fixture
def powerdns(powerdns_server, settings):
    """The session's PowerDNS, with Kyklos's settings pointing at it."""
    powerdns_server.settings(settings)
    return powerdns_server
