"""Realistic ISO 20022 camt.053 statements, written by hand for the tests.

``statement()`` builds a camt.053.001.02 file (the version most European banks still
send) from a list of entries; ``samples/`` holds a camt.053.001.08 file with a batched
entry, a debit and a pending entry, as a Greek bank exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"
IBAN = "GR1601101250000000012300695"


@dataclass
class Entry:
    amount: str
    remittance: str = ""
    ref: str = ""
    currency: str = "EUR"
    booked: str = "2027-04-02"
    credit: bool = True
    debtor: str = "ΑΚΤΗ ΑΕ"
    debtor_iban: str = "GR9608100010000001234567890"
    structured: str = ""
    status: str = "BOOK"


def _entry(e: Entry, n: int) -> str:
    remittance = ""
    if e.structured:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
            f"<Ref>{e.structured}</Ref></CdtrRefInf></Strd>"
        )
    if e.remittance:
        remittance += f"<Ustrd>{e.remittance}</Ustrd>"
    return f"""
      <Ntry>
        <NtryRef>{n}</NtryRef>
        <Amt Ccy="{e.currency}">{e.amount}</Amt>
        <CdtDbtInd>{"CRDT" if e.credit else "DBIT"}</CdtDbtInd>
        <Sts>{e.status}</Sts>
        <BookgDt><Dt>{e.booked}</Dt></BookgDt>
        <ValDt><Dt>{e.booked}</Dt></ValDt>
        <AcctSvcrRef>{e.ref or f"NBG2027{n:08d}"}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="{e.currency}">{e.amount}</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Dbtr><Nm>{e.debtor}</Nm></Dbtr>
              <DbtrAcct><Id><IBAN>{e.debtor_iban}</IBAN></Id></DbtrAcct>
            </RltdPties>
            <RmtInf>{remittance}</RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>"""


def statement(*entries: Entry, statement_id: str = "STMT-2027-04-02", iban: str = IBAN) -> bytes:
    body = "".join(_entry(e, n) for n, e in enumerate(entries, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>MSG-{statement_id}</MsgId>
      <CreDtTm>2027-04-02T18:00:00+03:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <ElctrncSeqNb>92</ElctrncSeqNb>
      <CreDtTm>2027-04-02T18:00:00+03:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">10000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2027-04-02</Dt></Dt>
      </Bal>{body}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()
