"""Reading ISO 20022 camt.053 bank-to-customer statements (any version 001.02–001.13).

Parsed with defusedxml (no DTDs, no entities, no external references), so a hostile
file cannot expand or fetch anything. Only what reconciliation needs is read: the
account, and for each booked credit its amount, currency, booking date, the bank's
reference, the debtor and the remittance information (unstructured text and
structured creditor references). A batched entry gives one line per transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

NAMESPACE = re.compile(r"^\{(urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2})\}Document$")


class NotCamt053(ValueError):
    """The file is not a readable camt.053 statement."""


@dataclass(frozen=True, slots=True)
class Credit:
    entry_reference: str
    booked_on: date
    amount: Decimal
    currency: str
    debtor_name: str = ""
    debtor_iban: str = ""
    remittance: str = ""
    references: tuple[str, ...] = ()


@dataclass
class Statement:
    message_id: str
    statement_id: str
    account_iban: str
    created_at: datetime | None
    credits: list[Credit] = field(default_factory=list)
    skipped_debits: int = 0
    skipped_not_booked: int = 0


class _Reader:
    def __init__(self, namespace: str):
        self.ns = {"c": namespace}

    def _path(self, path: str) -> str:
        return "/".join(f"c:{part}" for part in path.split("/"))

    def find(self, element: Element | None, path: str) -> Element | None:
        if element is None:
            return None
        return element.find(self._path(path), self.ns)

    def findall(self, element: Element, path: str) -> list[Element]:
        return element.findall(self._path(path), self.ns)

    def text(self, element: Element | None, *paths: str) -> str:
        for path in paths:
            found = self.find(element, path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        return ""


def _amount(element: Element | None) -> tuple[Decimal, str]:
    if element is None or not element.text:
        raise NotCamt053("an entry has no amount")
    try:
        amount = Decimal(element.text.strip())
    except InvalidOperation:
        raise NotCamt053(f"unreadable amount {element.text!r}") from None
    currency = (element.get("Ccy") or "").upper()
    if not amount.is_finite() or not re.fullmatch(r"[A-Z]{3}", currency):
        raise NotCamt053(f"unreadable amount {element.text!r} {currency!r}")
    return amount, currency


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise NotCamt053(f"unreadable date {value!r}") from None


def parse(data: bytes) -> Statement:
    """Read a camt.053 file; raises :class:`NotCamt053` for anything else."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise NotCamt053(f"not well-formed XML ({error.__class__.__name__})") from None
    match = NAMESPACE.match(root.tag)
    if not match:
        raise NotCamt053(f"the document is {root.tag!r}, not a camt.053 statement")
    r = _Reader(match.group(1))
    report = r.find(root, "BkToCstmrStmt")
    statements = r.findall(report, "Stmt") if report is not None else []
    if not statements:
        raise NotCamt053("the file holds no statement (BkToCstmrStmt/Stmt)")
    if len(statements) > 1:
        raise NotCamt053("import one account statement per file")
    stmt = statements[0]
    created = r.text(report, "GrpHdr/CreDtTm")
    try:
        created_at = datetime.fromisoformat(created) if created else None
    except ValueError:
        created_at = None
    statement = Statement(
        message_id=r.text(report, "GrpHdr/MsgId"),
        statement_id=r.text(stmt, "Id"),
        account_iban=r.text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id").replace(" ", ""),
        created_at=created_at if created_at and created_at.tzinfo else None,
    )
    if not statement.account_iban:
        raise NotCamt053("the statement names no account")
    for position, entry in enumerate(r.findall(stmt, "Ntry"), start=1):
        amount, currency = _amount(r.find(entry, "Amt"))
        if r.text(entry, "CdtDbtInd") != "CRDT":
            statement.skipped_debits += 1
            continue
        if r.text(entry, "Sts", "Sts/Cd") not in {"BOOK", ""}:
            statement.skipped_not_booked += 1
            continue
        booked = r.text(entry, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
        if not booked:
            raise NotCamt053("an entry has no booking date")
        booked_on = _date(booked)
        bank_ref = r.text(entry, "AcctSvcrRef", "NtryRef")
        details = r.findall(entry, "NtryDtls/TxDtls")
        for index, tx in enumerate(details or [None], start=1):
            tx_amount, tx_currency = amount, currency
            if tx is not None and len(details) > 1:
                found = r.find(tx, "Amt")
                tx_amount, tx_currency = _amount(
                    found if found is not None else r.find(tx, "AmtDtls/TxAmt/Amt")
                )
            ustrd = (
                [e.text.strip() for e in r.findall(tx, "RmtInf/Ustrd") if e.text]
                if tx is not None
                else []
            )
            strd = (
                [
                    e.text.strip()
                    for e in r.findall(tx, "RmtInf/Strd/CdtrRefInf/Ref")
                    if e.text and e.text.strip()
                ]
                if tx is not None
                else []
            )
            remittance = " ".join(strd + ustrd)
            reference = bank_ref or ""
            if reference and len(details) > 1:
                reference = f"{reference}/{index}"
            if not reference:
                digest = hashlib.sha256(
                    f"{booked_on}|{tx_amount}|{tx_currency}|{remittance}|{position}|{index}".encode()
                ).hexdigest()
                reference = f"sha256:{digest[:40]}"
            statement.credits.append(
                Credit(
                    entry_reference=reference[:100],
                    booked_on=booked_on,
                    amount=tx_amount,
                    currency=tx_currency,
                    debtor_name=r.text(tx, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm")[:140],
                    debtor_iban=r.text(tx, "RltdPties/DbtrAcct/Id/IBAN")[:34],
                    remittance=remittance[:500],
                    references=tuple(strd),
                )
            )
    return statement
