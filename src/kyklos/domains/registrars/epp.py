"""An EPP client over TLS (RFC 5730 protocol, 5731 domains, 5733 contacts, 5734 transport,
3915 grace periods), written on lxml (decision 0028: the Python EPP libraries are either
unmaintained — ``EPP``/eppy, last release 2017 — or declare themselves unstable and lack
the RGP restore report — ``pyepp``).

Transport (RFC 5734): one TLS connection; every frame is a 4-byte big-endian length (the
header included) and one EPP XML document. The server greets first; the client logs in,
sends commands (each with its own ``clTRID``) and logs out.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import uuid
from datetime import date, datetime

from lxml import etree

from kyklos.domains.registrars.base import (
    Availability,
    Contact,
    PermanentFailure,
    RegistryDomain,
    TemporaryFailure,
)

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
NS = {"epp": EPP, "domain": DOMAIN, "contact": CONTACT, "rgp": RGP}

#: Result codes after which a later try may succeed (RFC 5730 §3): command failed,
#: command failed and the server closes, session limit exceeded.
TEMPORARY_CODES = {"2400", "2500", "2502"}
#: The largest frame accepted from a server (a guard, far above any real answer).
MAX_FRAME = 4 * 1024 * 1024


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent, ns: str, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, _q(ns, tag), **attrs)
    if text is not None:
        element.text = text
    return element


def new_cltrid(prefix: str = "KYK") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def _date(text: str | None) -> date | None:
    if not text:
        return None
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()


def _parser() -> etree.XMLParser:
    """No entities, no network, no huge trees: a registry's answer is data, not a program."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def encode_frame(xml: bytes) -> bytes:
    return struct.pack(">I", len(xml) + 4) + xml


def read_frame(sock) -> bytes:
    """One EPP frame from ``sock`` (raises ConnectionError when the peer is gone)."""
    header = _read_exactly(sock, 4)
    length = struct.unpack(">I", header)[0]
    if length < 5 or length > MAX_FRAME:
        raise ConnectionError(f"bad EPP frame length {length}")
    return _read_exactly(sock, length - 4)


def _read_exactly(sock, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            raise ConnectionError("the registry closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Response:
    """A parsed EPP response."""

    def __init__(self, raw: bytes, request: bytes = b""):
        self.raw = raw
        self.request = request
        try:
            self.root = etree.fromstring(raw, parser=_parser())
        except etree.XMLSyntaxError as error:
            raise TemporaryFailure(
                f"The registry's answer is not XML: {error}", response=raw.decode(errors="replace")
            ) from None
        result = self.root.find("epp:response/epp:result", NS)
        if result is None:
            raise TemporaryFailure("The registry's answer has no result.", response=self.text)
        self.code = result.get("code", "")
        self.message = (result.findtext("epp:msg", "", NS) or "").strip()
        reason = result.findtext("epp:extValue/epp:reason", "", NS)
        if reason:
            self.message = f"{self.message}: {reason.strip()}"

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")

    @property
    def ok(self) -> bool:
        return self.code.startswith("1")

    def find(self, path: str):
        return self.root.find(path, NS)

    def findall(self, path: str):
        return self.root.findall(path, NS)

    def findtext(self, path: str, default: str = "") -> str:
        return (self.root.findtext(path, default, NS) or "").strip()


class EppClient:
    """A session with one EPP server; a :class:`~kyklos.domains.registrars.base.Registrar`.

    ``settings``: ``host``, ``port`` (700), ``cafile`` (to trust a private CA or a test
    certificate), ``certfile``/``keyfile`` (the registrar's client certificate, when the
    registry asks for one), ``server_name`` (TLS name, default the host), ``timeout``
    (seconds, 30), ``contact_prefix`` (registry contact ids). ``credentials``: ``login``,
    ``password``.
    """

    def __init__(self, settings: dict, credentials: dict):
        self.host = settings.get("host", "")
        self.port = int(settings.get("port", 700))
        self.settings = settings
        self.sponsor = credentials.get("login", "")
        self._password = credentials.get("password", "")
        self.timeout = float(settings.get("timeout", 30))
        self.sock: ssl.SSLSocket | None = None
        self.greeting: Response | None = None
        self.log: list[tuple[str, str]] = []  # (request, response) of this session

    # --- the session ---------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.settings.get("cafile") or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.settings.get("certfile"):
            context.load_cert_chain(self.settings["certfile"], self.settings.get("keyfile"))
        return context

    def open(self) -> None:
        if not self.host:
            raise PermanentFailure("The registrar account has no host.")
        if not self.sponsor or not self._password:
            raise PermanentFailure("The registrar account has no login or password in the vault.")
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self.sock = self._context().wrap_socket(
                raw, server_hostname=self.settings.get("server_name") or self.host
            )
            greeting = read_frame(self.sock)
        except ssl.SSLCertVerificationError as error:
            self.close()
            raise PermanentFailure(f"The registry's certificate is not trusted: {error}") from None
        except (OSError, ConnectionError) as error:
            self.close()
            raise TemporaryFailure(f"Cannot reach the registry: {error}") from None
        self.greeting = Response.__new__(Response)
        self.greeting.raw = greeting
        try:
            self.greeting.root = etree.fromstring(greeting, parser=_parser())
        except etree.XMLSyntaxError:
            self.close()
            raise TemporaryFailure("The registry's greeting is not XML.") from None
        if self.greeting.root.find("epp:greeting", NS) is None:
            self.close()
            raise TemporaryFailure("The registry did not greet.")
        self._command(self._login_xml(), login=True)

    def close(self) -> None:
        if self.sock is None:
            return
        with contextlib.suppress(Exception):  # a session that is already gone
            self._send(self._document("logout"))
        try:
            self.sock.close()
        finally:
            self.sock = None

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def _login_xml(self) -> bytes:
        root, command = self._command_root()
        login = _sub(command, EPP, "login")
        _sub(login, EPP, "clID", self.sponsor)
        _sub(login, EPP, "pw", self._password)
        options = _sub(login, EPP, "options")
        _sub(options, EPP, "version", "1.0")
        _sub(options, EPP, "lang", "en")
        svcs = _sub(login, EPP, "svcs")
        _sub(svcs, EPP, "objURI", DOMAIN)
        _sub(svcs, EPP, "objURI", CONTACT)
        ext = _sub(svcs, EPP, "svcExtension")
        _sub(ext, EPP, "extURI", RGP)
        _sub(command, EPP, "clTRID", new_cltrid())
        return self._bytes(root)

    @staticmethod
    def _command_root():
        root = etree.Element(_q(EPP, "epp"), nsmap={None: EPP})
        return root, _sub(root, EPP, "command")

    def _document(self, verb: str) -> bytes:
        root, command = self._command_root()
        _sub(command, EPP, verb)
        _sub(command, EPP, "clTRID", new_cltrid())
        return self._bytes(root)

    @staticmethod
    def _bytes(root) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)

    def _send(self, xml: bytes) -> bytes:
        if self.sock is None:
            raise TemporaryFailure("No session with the registry.")
        try:
            self.sock.sendall(encode_frame(xml))
            return read_frame(self.sock)
        except (OSError, ConnectionError) as error:
            self.sock = None
            raise TemporaryFailure(
                f"The connection to the registry broke: {error}", request=xml.decode()
            ) from None

    def _command(self, xml: bytes, *, login: bool = False) -> Response:
        raw = self._send(xml)
        response = Response(raw, xml)
        shown = xml.decode() if not login else "<login/> (password not kept)"
        self.log.append((shown, response.text))
        if response.ok:
            return response
        kind = TemporaryFailure if response.code in TEMPORARY_CODES else PermanentFailure
        if response.code in ("2500", "2501", "2502"):
            self.sock = None  # the server closes the session after these
        raise kind(
            f"{response.code} {response.message}".strip(),
            code=response.code,
            request=shown,
            response=response.text,
        )

    # --- building commands ---------------------------------------------------------------

    def _object_command(self, verb: str, ns: str, prefix: str, cltrid: str, **attrs):
        root, command = self._command_root()
        action = _sub(command, EPP, verb, **attrs)
        body = etree.SubElement(action, _q(ns, verb), nsmap={prefix: ns})
        return root, command, body

    def _finish(self, root, command, cltrid: str) -> bytes:
        _sub(command, EPP, "clTRID", cltrid)
        return self._bytes(root)

    # --- domains (RFC 5731) --------------------------------------------------------------

    def check(self, names: list[str]) -> list[Availability]:
        root, command, body = self._object_command("check", DOMAIN, "domain", "")
        for name in names:
            _sub(body, DOMAIN, "name", name)
        response = self._command(self._finish(root, command, new_cltrid()))
        found = []
        for cd in response.findall("epp:response/epp:resData/domain:chkData/domain:cd"):
            element = cd.find("domain:name", NS)
            found.append(
                Availability(
                    name=element.text.strip(),
                    available=element.get("avail") in ("1", "true"),
                    reason=(cd.findtext("domain:reason", "", NS) or "").strip(),
                )
            )
        return found

    def register(self, name, *, years, registrant, nameservers, auth_code, cltrid):
        root, command, body = self._object_command("create", DOMAIN, "domain", cltrid)
        _sub(body, DOMAIN, "name", name)
        _sub(body, DOMAIN, "period", str(years), unit="y")
        if nameservers:
            ns = _sub(body, DOMAIN, "ns")
            for host in nameservers:
                attr = _sub(ns, DOMAIN, "hostAttr")
                _sub(attr, DOMAIN, "hostName", host)
        _sub(body, DOMAIN, "registrant", registrant)
        _sub(_sub(body, DOMAIN, "authInfo"), DOMAIN, "pw", auth_code)
        response = self._command(self._finish(root, command, cltrid))
        data = "epp:response/epp:resData/domain:creData/domain:"
        return RegistryDomain(
            name=response.findtext(data + "name") or name,
            created_on=_date(response.findtext(data + "crDate")),
            expires_on=_date(response.findtext(data + "exDate")),
            request=response.request.decode(),
            response=response.text,
        )

    def renew(self, name, *, years, current_expiry, cltrid):
        root, command, body = self._object_command("renew", DOMAIN, "domain", cltrid)
        _sub(body, DOMAIN, "name", name)
        _sub(body, DOMAIN, "curExpDate", current_expiry.isoformat())
        _sub(body, DOMAIN, "period", str(years), unit="y")
        response = self._command(self._finish(root, command, cltrid))
        return RegistryDomain(
            name=name,
            expires_on=_date(
                response.findtext("epp:response/epp:resData/domain:renData/domain:exDate")
            ),
            request=response.request.decode(),
            response=response.text,
        )

    def _transfer(self, name: str, op: str, cltrid: str, *, auth_code="", years=None):
        root, command, body = self._object_command("transfer", DOMAIN, "domain", cltrid, op=op)
        _sub(body, DOMAIN, "name", name)
        if years:
            _sub(body, DOMAIN, "period", str(years), unit="y")
        if auth_code:
            _sub(_sub(body, DOMAIN, "authInfo"), DOMAIN, "pw", auth_code)
        return self._command(self._finish(root, command, cltrid))

    def transfer_in(self, name, *, auth_code, years, cltrid):
        response = self._transfer(name, "request", cltrid, auth_code=auth_code, years=years)
        data = "epp:response/epp:resData/domain:trnData/domain:"
        return RegistryDomain(
            name=name,
            statuses=[response.findtext(data + "trStatus")],
            expires_on=_date(response.findtext(data + "exDate")),
            request=response.request.decode(),
            response=response.text,
        )

    def approve_transfer(self, name, *, cltrid):
        self._transfer(name, "approve", cltrid)

    def transfer_query(self, name: str, *, auth_code: str = "") -> str:
        response = self._transfer(name, "query", new_cltrid(), auth_code=auth_code)
        return response.findtext("epp:response/epp:resData/domain:trnData/domain:trStatus")

    def _update(self, name: str, cltrid: str, *, add=(), remove=(), chg=None, ext=None):
        root, command, body = self._object_command("update", DOMAIN, "domain", cltrid)
        _sub(body, DOMAIN, "name", name)
        for tag, items in (("add", add), ("rem", remove)):
            if items:
                section = _sub(body, DOMAIN, tag)
                hosts = [v for k, v in items if k == "ns"]
                if hosts:
                    ns = _sub(section, DOMAIN, "ns")
                    for host in hosts:
                        _sub(_sub(ns, DOMAIN, "hostAttr"), DOMAIN, "hostName", host)
                for key, value in items:
                    if key == "status":
                        _sub(section, DOMAIN, "status", s=value)
        if chg is not None:
            change = _sub(body, DOMAIN, "chg")
            if "registrant" in chg:
                _sub(change, DOMAIN, "registrant", chg["registrant"])
            if "auth_code" in chg:
                _sub(_sub(change, DOMAIN, "authInfo"), DOMAIN, "pw", chg["auth_code"])
        if ext is not None:
            extension = _sub(command, EPP, "extension")
            extension.append(ext)
        return self._command(self._finish(root, command, cltrid))

    def set_nameservers(self, name, *, add, remove, cltrid):
        self._update(name, cltrid, add=[("ns", h) for h in add], remove=[("ns", h) for h in remove])

    def set_statuses(self, name, *, add, remove, cltrid):
        self._update(
            name, cltrid, add=[("status", s) for s in add], remove=[("status", s) for s in remove]
        )

    def set_registrant(self, name, *, registrant, cltrid):
        self._update(name, cltrid, chg={"registrant": registrant})

    def set_auth_code(self, name, *, auth_code, cltrid):
        self._update(name, cltrid, chg={"auth_code": auth_code})

    def restore(self, name, *, report, cltrid):
        """RFC 3915: a restore request, then the restore report the registry requires."""
        self._update(name, cltrid, chg={}, ext=_rgp_update("request"))
        self._update(name, cltrid + "-R", chg={}, ext=_rgp_update("report", report))

    def delete(self, name: str, *, cltrid: str) -> None:
        """RFC 5731 §3.2.2: delete the name (the registry refuses an unknown one, 2303,
        and one whose statuses forbid it, 2304)."""
        root, command, body = self._object_command("delete", DOMAIN, "domain", cltrid)
        _sub(body, DOMAIN, "name", name)
        self._command(self._finish(root, command, cltrid))

    def info(self, name: str) -> RegistryDomain:
        root, command, body = self._object_command("info", DOMAIN, "domain", "")
        _sub(body, DOMAIN, "name", name, hosts="all")
        response = self._command(self._finish(root, command, new_cltrid()))
        data = "epp:response/epp:resData/domain:infData/"
        statuses = [s.get("s") for s in response.findall(data + "domain:status")]
        statuses += [
            s.get("s")
            for s in response.findall("epp:response/epp:extension/rgp:infData/rgp:rgpStatus")
        ]
        hosts = [
            h.text.strip()
            for h in response.findall(data + "domain:ns/domain:hostAttr/domain:hostName")
            + response.findall(data + "domain:ns/domain:hostObj")
        ]
        return RegistryDomain(
            name=response.findtext(data + "domain:name") or name,
            registry_id=response.findtext(data + "domain:roid"),
            sponsor=response.findtext(data + "domain:clID"),
            statuses=statuses,
            nameservers=hosts,
            created_on=_date(response.findtext(data + "domain:crDate")),
            expires_on=_date(response.findtext(data + "domain:exDate")),
            registrant=response.findtext(data + "domain:registrant"),
            updated_on=_date(response.findtext(data + "domain:upDate")),
            request=response.request.decode(),
            response=response.text,
        )

    # --- contacts (RFC 5733) -------------------------------------------------------------

    def _postal(self, parent, contact: Contact) -> None:
        postal = _sub(parent, CONTACT, "postalInfo", type="int")
        _sub(postal, CONTACT, "name", contact.name)
        if contact.organisation:
            _sub(postal, CONTACT, "org", contact.organisation)
        addr = _sub(postal, CONTACT, "addr")
        _sub(addr, CONTACT, "street", contact.street or "-")
        _sub(addr, CONTACT, "city", contact.city or "-")
        if contact.postal_code:
            _sub(addr, CONTACT, "pc", contact.postal_code)
        _sub(addr, CONTACT, "cc", contact.country)

    def create_contact(self, contact: Contact, *, cltrid: str) -> str:
        root, command, body = self._object_command("create", CONTACT, "contact", cltrid)
        _sub(body, CONTACT, "id", contact.handle)
        self._postal(body, contact)
        if contact.phone:
            _sub(body, CONTACT, "voice", contact.phone)
        _sub(body, CONTACT, "email", contact.email)
        _sub(_sub(body, CONTACT, "authInfo"), CONTACT, "pw", new_cltrid("C"))
        try:
            self._command(self._finish(root, command, cltrid))
        except PermanentFailure as error:
            if error.code != "2302":  # exists already: made by an earlier try
                raise
        return contact.handle

    def update_contact(self, contact: Contact, *, cltrid: str) -> None:
        root, command, body = self._object_command("update", CONTACT, "contact", cltrid)
        _sub(body, CONTACT, "id", contact.handle)
        change = _sub(body, CONTACT, "chg")
        self._postal(change, contact)
        if contact.phone:
            _sub(change, CONTACT, "voice", contact.phone)
        _sub(change, CONTACT, "email", contact.email)
        self._command(self._finish(root, command, cltrid))


def _rgp_update(op: str, report: dict[str, str] | None = None):
    update = etree.Element(_q(RGP, "update"), nsmap={"rgp": RGP})
    restore = _sub(update, RGP, "restore", op=op)
    if report is not None:
        body = _sub(restore, RGP, "report")
        for tag in ("preData", "postData", "delTime", "resTime", "resReason"):
            _sub(body, RGP, tag, report.get(tag, ""))
        _sub(body, RGP, "statement", report.get("statement1", ""))
        _sub(body, RGP, "statement", report.get("statement2", ""))
    return update
