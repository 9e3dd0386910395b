"""A real ACME CA for the tests: Debian's ``pebble`` on free ports of 127.0.0.1, resolving
names through the tests' PowerDNS (``-dnsserver``), so a DNS-01 challenge is checked
against the zones Kyklos published. Its HTTPS certificate is made here (the Debian package
ships none) and trusted by Kyklos's client through ``KYKLOS_ACME_CA_BUNDLE``. Not a daemon;
stopped after the session. Skipped when ``pebble`` is missing."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.dns.pdns import free_port


@dataclass
class Pebble:
    directory_url: str
    ca_bundle: str
    management_url: str
    http_port: int

    def settings(self, settings) -> None:
        settings.KYKLOS_ACME_DIRECTORY = self.directory_url
        settings.KYKLOS_ACME_CA_BUNDLE = self.ca_bundle

    def roots(self) -> str:
        """The PEM of pebble's issuing root (for checking issued chains)."""
        return requests.get(f"{self.management_url}/roots/0", verify=self.ca_bundle, timeout=5).text


def _tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1/localhost signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kyklos test pebble TLS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "cert.pem",
        directory / "key.pem",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


@contextlib.contextmanager
def running_pebble(dns_port: int, *, http_port: int | None = None):
    binary = shutil.which("pebble") or (
        "/usr/bin/pebble" if Path("/usr/bin/pebble").exists() else None
    )
    if binary is None:
        pytest.skip("pebble is not installed (Debian pebble; scripts/install-system-packages)")
    directory = Path(tempfile.mkdtemp(prefix="kyklos-pebble-"))
    ca, cert, key = _tls_files(directory)
    port, management = free_port(), free_port()
    http_port = http_port or free_port()
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{port}",
            "managementListenAddress": f"127.0.0.1:{management}",
            "certificate": str(cert),
            "privateKey": str(key),
            "httpPort": http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (directory / "pebble-config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_WFE_NONCEREJECT": "0",
        "PEBBLE_AUTHZREUSE": "0",
        "PEBBLE_CHAIN_LENGTH": "2",
    }
    log = (directory / "pebble.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            "-config",
            str(directory / "pebble-config.json"),
            "-dnsserver",
            f"127.0.0.1:{dns_port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
        env=env,
    )
    server = Pebble(
        f"https://127.0.0.1:{port}/dir", str(ca), f"https://127.0.0.1:{management}", http_port
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "pebble stopped: " + (directory / "pebble.log").read_text()[-2000:]
                )
            try:
                requests.get(server.directory_url, verify=str(ca), timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError("pebble did not start in 20 s") from None
                time.sleep(0.1)
        server.log = directory / "pebble.log"
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
def pebble_server(powerdns_server):
    with running_pebble(powerdns_server.dns_port) as server:
        yield server


@pytest.fixture
def pebble(pebble_server, powerdns, settings):
    """pebble (and the PowerDNS it resolves through), with Kyklos's settings pointing at both."""
    pebble_server.settings(settings)
    return pebble_server
