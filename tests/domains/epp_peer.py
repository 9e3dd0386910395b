"""A local EPP registry for tests: a TLS server on 127.0.0.1 (a free port), with a
self-signed certificate the test makes with ``cryptography``, that speaks RFC 5730–5734
and RFC 3915 frames and answers as a registry does — including its refusals:

- 2002 command use error (a command before login), 2004 value range (a period a TLD
  does not sell: .gr only in 2-year steps → 2306 per its policy), 2005 syntax,
- 2200 authentication error (bad login), 2201 authorisation (another registrar's object),
  2202 bad auth code, 2302 object exists, 2303 object does not exist,
  2304 status prohibits (locked, on hold, pending transfer, in redemption),
  2305 association (an unknown registrant), 2306 parameter policy (wrong curExpDate,
  wrong period), 2400 command failed, 2502 session limit, 2500 closing.

A stateful store of domains and contacts per registrar (``clID``): statuses
(``ok``, ``clientTransferProhibited``, ``clientHold``, ``pendingTransfer``,
``redemptionPeriod`` + ``pendingDelete``), expiry, name servers, auth codes that are
reset after a completed transfer (so a code cannot be used twice).

``outage`` switches the answer to the next commands: ``"drop"`` closes the connection
before doing the command, ``"drop_after"`` does it and closes before answering (the lost
answer), ``"2400"``/``"2502"`` answer with that code. ``None`` is normal service.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import struct
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
NS = {"epp": EPP, "domain": DOMAIN, "contact": CONTACT, "rgp": RGP}

MESSAGES = {
    "1000": "Command completed successfully",
    "1001": "Command completed successfully; action pending",
    "1500": "Command completed successfully; ending session",
    "2002": "Command use error",
    "2001": "Command syntax error",
    "2004": "Parameter value range error",
    "2005": "Parameter value syntax error",
    "2106": "Object is not eligible for transfer",
    "2200": "Authentication error",
    "2201": "Authorization error",
    "2202": "Invalid authorization information",
    "2300": "Object pending transfer",
    "2301": "Object not pending transfer",
    "2302": "Object exists",
    "2303": "Object does not exist",
    "2304": "Object status prohibits operation",
    "2305": "Object association prohibits operation",
    "2306": "Parameter value policy error",
    "2400": "Command failed",
    "2500": "Command failed; server closing connection",
    "2502": "Session limit exceeded; server closing connection",
}


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class RegDomain:
    name: str
    roid: str
    sponsor: str
    registrant: str
    created: dt.date
    expires: dt.date
    auth_code: str
    nameservers: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    transfer_to: str = ""
    transfer_years: int = 0
    restore_requested: bool = False
    updated: dt.date | None = None
    #: RFC 3915 grace statuses shown by info (e.g. ``autoRenewPeriod`` after a renewal).
    rgp: set[str] = field(default_factory=set)


class Registry:
    """The registry's data and rules (shared by every session)."""

    #: suffix → the periods it sells (years).
    PERIODS = {"gr": {2, 4, 6, 8, 10}, "com.gr": {2, 4, 6, 8, 10}}

    def __init__(self, today=None):
        self.accounts: dict[str, str] = {}
        self.domains: dict[str, RegDomain] = {}
        self.contacts: dict[str, str] = {}  # id → sponsor
        self.reserved: set[str] = set()
        self.outage: str | None = None
        #: When set, the outage hits only this command (e.g. ``"transfer"``).
        self.outage_verb: str | None = None
        #: Approve every transfer request at once (as a registry whose losing registrar
        #: approves automatically); otherwise :meth:`approve_transfer` does it.
        self.auto_approve = False
        self.commands: list[tuple[str, str, str]] = []  # (clID, command, clTRID)
        self.today = today or dt.date.today
        self.lock = threading.Lock()

    def suffix(self, name: str) -> str:
        for suffix in sorted(self.PERIODS, key=len, reverse=True):
            if name.endswith("." + suffix):
                return suffix
        return name.rsplit(".", 1)[-1]

    def periods(self, name: str) -> set[int]:
        return self.PERIODS.get(self.suffix(name), set(range(1, 11)))

    def count(self, verb: str) -> int:
        return sum(1 for _c, v, _t in self.commands if v == verb)

    # --- test helpers ------------------------------------------------------------------

    def take(self, name: str, sponsor: str = "other-registrar") -> None:
        """Someone else registers ``name`` meanwhile."""
        today = self.today()
        self.domains[name] = RegDomain(
            name,
            f"D{uuid.uuid4().hex[:8]}-REG",
            sponsor,
            "OTHER",
            today,
            _add_years(today, 1),
            "Other-1!",
        )

    def expire(self, name: str, *, redemption: bool) -> None:
        domain = self.domains[name]
        if redemption:
            domain.statuses |= {"redemptionPeriod", "pendingDelete"}

    def release(self, name: str) -> None:
        self.domains.pop(name, None)

    def held_elsewhere(
        self,
        name: str,
        *,
        auth_code: str,
        sponsor: str = "other-registrar",
        expires: dt.date | None = None,
        locked: bool = False,
        renewed_days_ago: int | None = None,
    ) -> RegDomain:
        """``name`` registered at another registrar, for a transfer in."""
        today = self.today()
        domain = RegDomain(
            name,
            f"D{uuid.uuid4().hex[:8]}-REG",
            sponsor,
            "OTHER",
            today - dt.timedelta(days=400),
            expires or _add_years(today, 1),
            auth_code,
            nameservers=["ns1.elsewhere.example", "ns2.elsewhere.example"],
            statuses={"clientTransferProhibited"} if locked else {"ok"},
        )
        if renewed_days_ago is not None:
            domain.updated = today - dt.timedelta(days=renewed_days_ago)
            if renewed_days_ago <= 45:
                domain.rgp.add("autoRenewPeriod")
        self.domains[name] = domain
        return domain

    def approve_transfer(self, name: str) -> None:
        """The losing registrar (or the registry, when its days pass) approves."""
        with self.lock:
            domain = self.domains[name]
            if "pendingTransfer" in domain.statuses:
                _complete_transfer(domain)


def _complete_transfer(domain: RegDomain) -> None:
    domain.statuses.discard("pendingTransfer")
    domain.sponsor = domain.transfer_to
    domain.transfer_to = ""
    if domain.transfer_years:
        domain.expires = _add_years(domain.expires, domain.transfer_years)
    domain.rgp.clear()
    if not domain.statuses:
        domain.statuses.add("ok")
    # The code is spent: a registry resets it on every completed transfer.
    domain.auth_code = f"spent-{uuid.uuid4().hex}"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Refusal(Exception):
    def __init__(self, code: str, reason: str = ""):
        super().__init__(code)
        self.code = code
        self.reason = reason


def _el(parent, ns, tag, text=None, **attrs):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


class Session:
    def __init__(self, registry: Registry, sock):
        self.registry = registry
        self.sock = sock
        self.client: str | None = None

    # --- framing -------------------------------------------------------------------------

    def send(self, root) -> None:
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)
        self.sock.sendall(struct.pack(">I", len(data) + 4) + data)

    def read(self) -> bytes | None:
        header = self._exact(4)
        if header is None:
            return None
        length = struct.unpack(">I", header)[0]
        return self._exact(length - 4)

    def _exact(self, size):
        chunks = b""
        while len(chunks) < size:
            chunk = self.sock.recv(size - len(chunks))
            if not chunk:
                return None
            chunks += chunk
        return chunks

    def greeting(self):
        root = etree.Element(f"{{{EPP}}}epp", nsmap={None: EPP})
        greeting = _el(root, EPP, "greeting")
        _el(greeting, EPP, "svID", "Kyklos test registry")
        _el(greeting, EPP, "svDate", dt.datetime.now(dt.UTC).isoformat())
        menu = _el(greeting, EPP, "svcMenu")
        _el(menu, EPP, "version", "1.0")
        _el(menu, EPP, "lang", "en")
        for uri in (DOMAIN, CONTACT):
            _el(menu, EPP, "objURI", uri)
        _el(_el(menu, EPP, "svcExtension"), EPP, "extURI", RGP)
        _el(_el(_el(greeting, EPP, "dcp"), EPP, "access"), EPP, "all")
        return root

    def serve(self) -> None:
        self.send(self.greeting())
        while True:
            frame = self.read()
            if frame is None:
                return
            outage = self.registry.outage
            if outage == "drop" and not self.registry.outage_verb:
                return
            try:
                doc = etree.fromstring(frame)
            except etree.XMLSyntaxError:
                self.send(self.response("2001", ""))
                continue
            command = doc.find("epp:command", NS)
            cltrid = doc.findtext("epp:command/epp:clTRID", "", NS)
            if command is None:
                self.send(self.response("2001", cltrid))
                continue
            verb_el = next(
                (c for c in command if etree.QName(c).localname not in ("clTRID", "extension")),
                None,
            )
            verb = etree.QName(verb_el).localname
            if self.registry.outage_verb and verb != self.registry.outage_verb:
                outage = None
            if outage in ("2400", "2502", "2500") and verb not in ("logout",):
                self.send(self.response(outage, cltrid))
                if outage != "2400":
                    return
                continue
            with self.registry.lock:
                try:
                    answer = self.handle(verb, verb_el, command, cltrid)
                except Refusal as refusal:
                    answer = self.response(refusal.code, cltrid, reason=refusal.reason)
            if outage == "drop_after":
                return
            self.send(answer)
            if verb == "logout":
                return

    # --- answers -------------------------------------------------------------------------

    def response(self, code: str, cltrid: str, *, data=None, ext=None, reason: str = ""):
        root = etree.Element(f"{{{EPP}}}epp", nsmap={None: EPP})
        response = _el(root, EPP, "response")
        result = _el(response, EPP, "result", code=code)
        _el(result, EPP, "msg", MESSAGES.get(code, "Error"), lang="en")
        if reason:
            ext_value = _el(result, EPP, "extValue")
            _el(ext_value, EPP, "value")
            _el(ext_value, EPP, "reason", reason)
        if data is not None:
            _el(response, EPP, "resData").append(data)
        if ext is not None:
            _el(response, EPP, "extension").append(ext)
        tr = _el(response, EPP, "trID")
        if cltrid:
            _el(tr, EPP, "clTRID", cltrid)
        _el(tr, EPP, "svTRID", f"SV-{uuid.uuid4().hex[:12]}")
        return root

    def handle(self, verb: str, element, command, cltrid: str):
        registry = self.registry
        if verb == "login":
            login = element.findtext("epp:clID", "", NS)
            password = element.findtext("epp:pw", "", NS)
            if self.client is not None:
                raise Refusal("2002", "already logged in")
            if registry.accounts.get(login) != password:
                raise Refusal("2200")
            self.client = login
            return self.response("1000", cltrid)
        if verb == "logout":
            return self.response("1500", cltrid)
        if self.client is None:
            raise Refusal("2002", "log in first")
        obj = element[0] if len(element) else None
        if obj is None:
            raise Refusal("2005")
        ns = etree.QName(obj).namespace
        registry.commands.append((self.client, f"{etree.QName(obj).localname}", cltrid))
        if ns == CONTACT:
            return self.contact(verb, obj, cltrid)
        if ns != DOMAIN:
            raise Refusal("2005", "unknown object")
        handler = getattr(self, f"domain_{verb}", None)
        if handler is None:
            raise Refusal("2005")
        return handler(obj, command, element, cltrid)

    def contact(self, verb, obj, cltrid):
        handle = obj.findtext("contact:id", "", NS)
        if verb == "create":
            if not handle or not obj.findtext("contact:email", "", NS):
                raise Refusal("2005", "id and email are required")
            if handle in self.registry.contacts:
                raise Refusal("2302")
            self.registry.contacts[handle] = self.client
            data = etree.Element(f"{{{CONTACT}}}creData", nsmap={"contact": CONTACT})
            _el(data, CONTACT, "id", handle)
            _el(data, CONTACT, "crDate", dt.datetime.now(dt.UTC).isoformat())
            return self.response("1000", cltrid, data=data)
        if verb == "update":
            if handle not in self.registry.contacts:
                raise Refusal("2303")
            if self.registry.contacts[handle] != self.client:
                raise Refusal("2201")
            return self.response("1000", cltrid)
        raise Refusal("2005")

    def _domain(self, obj, *, own=True) -> RegDomain:
        name = obj.findtext("domain:name", "", NS).strip().lower()
        domain = self.registry.domains.get(name)
        if domain is None:
            raise Refusal("2303")
        if own and domain.sponsor != self.client:
            raise Refusal("2201")
        return domain

    def _period(self, obj, name: str) -> int:
        text = obj.findtext("domain:period", "", NS)
        if not text:
            return 0
        try:
            years = int(text)
        except ValueError:
            raise Refusal("2005", "period") from None
        if not 1 <= years <= 10:
            raise Refusal("2004", "period out of range")
        if years not in self.registry.periods(name):
            raise Refusal("2306", f"period {years}y is not sold for this TLD")
        return years

    def domain_check(self, obj, command, element, cltrid):
        data = etree.Element(f"{{{DOMAIN}}}chkData", nsmap={"domain": DOMAIN})
        for name_el in obj.findall("domain:name", NS):
            name = name_el.text.strip().lower()
            taken = name in self.registry.domains or name in self.registry.reserved
            cd = _el(data, DOMAIN, "cd")
            _el(cd, DOMAIN, "name", name, avail="0" if taken else "1")
            if taken:
                _el(cd, DOMAIN, "reason", "In use" if name in self.registry.domains else "Reserved")
        return self.response("1000", cltrid, data=data)

    def domain_create(self, obj, command, element, cltrid):
        name = obj.findtext("domain:name", "", NS).strip().lower()
        if "." not in name or len(name) > 253:
            raise Refusal("2005", "name")
        if name in self.registry.domains or name in self.registry.reserved:
            raise Refusal("2302")
        years = self._period(obj, name) or min(self.registry.periods(name))
        registrant = obj.findtext("domain:registrant", "", NS)
        if registrant not in self.registry.contacts:
            raise Refusal("2305", "unknown registrant")
        auth = obj.findtext("domain:authInfo/domain:pw", "", NS)
        if not auth:
            raise Refusal("2005", "authInfo is required")
        today = self.registry.today()
        domain = RegDomain(
            name=name,
            roid=f"D{uuid.uuid4().hex[:10].upper()}-KYK",
            sponsor=self.client,
            registrant=registrant,
            created=today,
            expires=_add_years(today, years),
            auth_code=auth,
            nameservers=[
                h.text.strip().lower()
                for h in obj.findall("domain:ns/domain:hostAttr/domain:hostName", NS)
            ],
            statuses={"ok"},
        )
        self.registry.domains[name] = domain
        data = etree.Element(f"{{{DOMAIN}}}creData", nsmap={"domain": DOMAIN})
        _el(data, DOMAIN, "name", name)
        _el(data, DOMAIN, "crDate", f"{today.isoformat()}T00:00:00.0Z")
        _el(data, DOMAIN, "exDate", f"{domain.expires.isoformat()}T00:00:00.0Z")
        return self.response("1000", cltrid, data=data)

    def domain_info(self, obj, command, element, cltrid):
        domain = self._domain(obj, own=False)
        sponsor = domain.sponsor == self.client
        data = etree.Element(f"{{{DOMAIN}}}infData", nsmap={"domain": DOMAIN})
        _el(data, DOMAIN, "name", domain.name)
        _el(data, DOMAIN, "roid", domain.roid)
        shown = domain.statuses - {"redemptionPeriod"} or {"ok"}
        for status in sorted(shown):
            _el(data, DOMAIN, "status", s=status)
        if sponsor:
            _el(data, DOMAIN, "registrant", domain.registrant)
            if domain.nameservers:
                ns = _el(data, DOMAIN, "ns")
                for host in domain.nameservers:
                    _el(_el(ns, DOMAIN, "hostAttr"), DOMAIN, "hostName", host)
        _el(data, DOMAIN, "clID", domain.sponsor)
        _el(data, DOMAIN, "crDate", f"{domain.created.isoformat()}T00:00:00.0Z")
        if domain.updated:
            _el(data, DOMAIN, "upDate", f"{domain.updated.isoformat()}T00:00:00.0Z")
        _el(data, DOMAIN, "exDate", f"{domain.expires.isoformat()}T00:00:00.0Z")
        if sponsor:
            _el(_el(data, DOMAIN, "authInfo"), DOMAIN, "pw", domain.auth_code)
        ext = None
        rgp = set(domain.rgp)
        if "redemptionPeriod" in domain.statuses:
            rgp.add("redemptionPeriod")
        if rgp:
            ext = etree.Element(f"{{{RGP}}}infData", nsmap={"rgp": RGP})
            for status in sorted(rgp):
                _el(ext, RGP, "rgpStatus", s=status)
        return self.response("1000", cltrid, data=data, ext=ext)

    def domain_renew(self, obj, command, element, cltrid):
        domain = self._domain(obj)
        if domain.statuses & {"pendingDelete", "serverRenewProhibited", "clientRenewProhibited"}:
            raise Refusal("2304")
        current = obj.findtext("domain:curExpDate", "", NS)
        if current != domain.expires.isoformat():
            raise Refusal("2306", "curExpDate does not match the expiry")
        years = self._period(obj, domain.name) or 1
        domain.expires = _add_years(domain.expires, years)
        domain.updated = self.registry.today()
        data = etree.Element(f"{{{DOMAIN}}}renData", nsmap={"domain": DOMAIN})
        _el(data, DOMAIN, "name", domain.name)
        _el(data, DOMAIN, "exDate", f"{domain.expires.isoformat()}T00:00:00.0Z")
        return self.response("1000", cltrid, data=data)

    def _trn_data(self, domain: RegDomain, status: str):
        data = etree.Element(f"{{{DOMAIN}}}trnData", nsmap={"domain": DOMAIN})
        _el(data, DOMAIN, "name", domain.name)
        _el(data, DOMAIN, "trStatus", status)
        _el(data, DOMAIN, "reID", domain.transfer_to or self.client)
        _el(data, DOMAIN, "reDate", dt.datetime.now(dt.UTC).isoformat())
        _el(data, DOMAIN, "acID", domain.sponsor)
        _el(data, DOMAIN, "acDate", dt.datetime.now(dt.UTC).isoformat())
        _el(data, DOMAIN, "exDate", f"{domain.expires.isoformat()}T00:00:00.0Z")
        return data

    def domain_transfer(self, obj, command, element, cltrid):
        op = element.get("op")
        domain = self._domain(obj, own=False)
        if op == "request":
            if domain.sponsor == self.client:
                raise Refusal("2106", "already sponsored by you")
            if "pendingTransfer" in domain.statuses:
                raise Refusal("2300", "a transfer is pending")
            if domain.statuses & {
                "clientTransferProhibited",
                "serverTransferProhibited",
                "pendingDelete",
                "clientHold",
            }:
                raise Refusal("2304")
            if obj.findtext("domain:authInfo/domain:pw", "", NS) != domain.auth_code:
                raise Refusal("2202")
            domain.transfer_years = self._period(obj, domain.name)
            domain.transfer_to = self.client
            domain.statuses.add("pendingTransfer")
            domain.statuses.discard("ok")
            if self.registry.auto_approve:
                _complete_transfer(domain)
                return self.response("1000", cltrid, data=self._trn_data(domain, "serverApproved"))
            return self.response("1001", cltrid, data=self._trn_data(domain, "pending"))
        if op == "query":
            if domain.sponsor != self.client and domain.transfer_to != self.client:
                raise Refusal("2201")
            status = "pending" if "pendingTransfer" in domain.statuses else "clientApproved"
            return self.response("1000", cltrid, data=self._trn_data(domain, status))
        if op in ("approve", "reject"):
            if domain.sponsor != self.client:
                raise Refusal("2201")
            if "pendingTransfer" not in domain.statuses:
                raise Refusal("2301", "no transfer is pending")
            if op == "approve":
                self.complete_transfer(domain)
            else:
                domain.statuses.discard("pendingTransfer")
                domain.transfer_to = ""
            return self.response("1000", cltrid, data=self._trn_data(domain, "clientApproved"))
        raise Refusal("2005", "op")

    def complete_transfer(self, domain: RegDomain) -> None:
        _complete_transfer(domain)

    def domain_delete(self, obj, command, element, cltrid):
        """RFC 5731 §3.2.2: an unknown name is 2303, another registrar's 2201, and one
        whose statuses forbid deletion (delete-prohibited, a pending transfer or
        deletion) 2304."""
        domain = self._domain(obj)
        if domain.statuses & {
            "clientDeleteProhibited",
            "serverDeleteProhibited",
            "pendingTransfer",
            "pendingDelete",
        }:
            raise Refusal("2304", "the domain's status prohibits deletion")
        del self.registry.domains[domain.name]
        return self.response("1000", cltrid)

    def domain_update(self, obj, command, element, cltrid):
        domain = self._domain(obj)
        restore = command.find("epp:extension/rgp:update/rgp:restore", NS)
        if restore is not None:
            if "redemptionPeriod" not in domain.statuses:
                raise Refusal("2304", "not in redemption")
            if restore.get("op") == "request":
                domain.restore_requested = True
                return self.response("1000", cltrid)
            report = restore.find("rgp:report", NS)
            if not domain.restore_requested or report is None:
                raise Refusal("2304", "request the restore first")
            if len(report.findall("rgp:statement", NS)) < 2 or not report.findtext(
                "rgp:resReason", "", NS
            ):
                raise Refusal("2306", "incomplete restore report")
            domain.statuses -= {"redemptionPeriod", "pendingDelete"}
            domain.statuses.add("ok")
            domain.restore_requested = False
            return self.response("1000", cltrid)
        if domain.statuses & {"pendingDelete", "serverUpdateProhibited"}:
            raise Refusal("2304")
        adding = obj.find("domain:add", NS)
        removing = obj.find("domain:rem", NS)
        hosts_changed = any(
            section is not None and section.find("domain:ns", NS) is not None
            for section in (adding, removing)
        )
        if hosts_changed and "pendingTransfer" in domain.statuses:
            raise Refusal("2304", "name servers are frozen during a transfer")
        if removing is not None:
            for host in removing.findall("domain:ns/domain:hostAttr/domain:hostName", NS):
                domain.nameservers = [h for h in domain.nameservers if h != host.text.lower()]
            for status in removing.findall("domain:status", NS):
                domain.statuses.discard(status.get("s"))
        if adding is not None:
            for host in adding.findall("domain:ns/domain:hostAttr/domain:hostName", NS):
                if host.text.lower() not in domain.nameservers:
                    domain.nameservers.append(host.text.lower())
            for status in adding.findall("domain:status", NS):
                if not status.get("s", "").startswith("client"):
                    raise Refusal("2306", "a registrar sets client statuses only")
                domain.statuses.add(status.get("s"))
        change = obj.find("domain:chg", NS)
        if change is not None:
            auth = change.findtext("domain:authInfo/domain:pw", "", NS)
            if auth:
                domain.auth_code = auth
            registrant = change.findtext("domain:registrant", "", NS)
            if registrant:
                if registrant not in self.registry.contacts:
                    raise Refusal("2305")
                domain.registrant = registrant
        if len(domain.statuses) > 1:
            domain.statuses.discard("ok")
        elif not domain.statuses:
            domain.statuses.add("ok")
        return self.response("1000", cltrid)


class EppPeer:
    """The TLS server; ``start()`` binds 127.0.0.1 on a free port."""

    def __init__(self, registry: Registry | None = None):
        self.registry = registry or Registry()
        self.folder = Path(tempfile.mkdtemp(prefix="epp-peer-"))
        self.cert, self.key = make_certificate(self.folder)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(self.cert, self.key)
        self.listener: socket.socket | None = None
        self.port = 0
        self.threads: list[threading.Thread] = []
        self.running = False

    def start(self) -> EppPeer:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.running = True
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._session, args=(conn,), daemon=True)
            thread.start()

    def _session(self, conn) -> None:
        try:
            conn.settimeout(10)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                Session(self.registry, tls).serve()
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.running = False
        if self.listener is not None:
            self.listener.close()
        for thread in self.threads:
            thread.join(timeout=2)

    def settings(self) -> dict:
        return {"host": "127.0.0.1", "port": self.port, "cafile": str(self.cert), "timeout": 5}
