"""The structured invoice FA(3) (namespace ``http://crd.gov.pl/wzor/2025/06/25/13775/``)
for a Polish seller, written with lxml from an issued ``billing`` document.

What goes where is data (the tables below), not branches spread through the writer:

* the document kind gives the invoice type (``RodzajFaktury``): a tax invoice and a
  receipt are ``VAT``, a credit note is ``KOR`` (difference method, ``TypKorekty`` 2:
  the decrease counts in the period of the correction, art. 29a ust. 13 of the VAT act);
* the VAT case gives the rate marker of each line (``P_12`` / ``P_12_XII``), the total
  field its net and VAT add up in (``P_13_x`` / ``P_14_x``) and the reverse-charge
  annotation ``P_18``.

Amounts are those of the document, already rounded by billing: nothing is computed here
but sums of rounded lines. A credit note's amounts are written negative, as the Ministry's
example 3 (a correction in minus) does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal

from lxml import etree

from kyklos.einvoicing.channels.base import PermanentFailure

NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
ETD = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
FORM_CODE = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
SYSTEM_INFO = "Kyklos"

#: Kyklos document kind → RodzajFaktury.
INVOICE_TYPES = {"invoice": "VAT", "receipt": "VAT", "credit_note": "KOR"}

#: TypKorekty of a credit note: 2 = the correction counts on the date it is issued.
CORRECTION_TYPE = "2"

#: Domestic rates (P_12) → the total fields their net and VAT go into.
DOMESTIC_RATES = {
    Decimal("23"): ("23", "P_13_1", "P_14_1"),
    Decimal("22"): ("22", "P_13_1", "P_14_1"),
    Decimal("8"): ("8", "P_13_2", "P_14_2"),
    Decimal("7"): ("7", "P_13_2", "P_14_2"),
    Decimal("5"): ("5", "P_13_3", "P_14_3"),
    Decimal("4"): ("4", "P_13_4", "P_14_4"),
    Decimal("3"): ("3", "P_13_4", "P_14_4"),
    Decimal("0"): ("0 KR", "P_13_6_1", None),
}


@dataclass(frozen=True)
class VatTreatment:
    """How one VAT case of Kyklos is written in FA(3)."""

    #: P_12 of every line (None: the line carries ``P_12_XII`` with the rate instead).
    rate_marker: str | None
    #: The total fields of the net and the VAT (None: no VAT field).
    net_field: str
    vat_field: str | None
    #: Adnotacje/P_18 "odwrotne obciążenie": 1 always, 2 never, "buyer_id" when the
    #: buyer is identified for tax (a business, which accounts for the tax itself).
    reverse_charge: str
    #: The statutory basis, for docs and staff.
    basis: str


#: Kyklos VAT case → FA(3) treatment (the domestic case is read from DOMESTIC_RATES).
TREATMENTS = {
    "reverse_charge": VatTreatment(
        "np II",
        "P_13_9",
        None,
        "1",
        "services to an EU business taxed where it is established (art. 28b; art. 100 "
        "ust. 1 pkt 4): not taxed in Poland, the customer accounts for the VAT",
    ),
    "eu_b2c": VatTreatment(
        None,
        "P_13_5",
        "P_14_5",
        "2",
        "electronic services to an EU consumer, taxed in its member state through the "
        "OSS (dział XII rozdział 6a): that state's rate in P_12_XII",
    ),
    "outside_scope": VatTreatment(
        "np I",
        "P_13_8",
        None,
        "buyer_id",
        "services supplied outside Poland and the EU (art. 28b): not taxed in Poland",
    ),
}

#: The order of the total fields in Fa (the schema's sequence).
TOTAL_FIELDS = [
    "P_13_1",
    "P_14_1",
    "P_13_2",
    "P_14_2",
    "P_13_3",
    "P_14_3",
    "P_13_4",
    "P_14_4",
    "P_13_5",
    "P_14_5",
    "P_13_6_1",
    "P_13_6_2",
    "P_13_6_3",
    "P_13_7",
    "P_13_8",
    "P_13_9",
    "P_13_10",
    "P_13_11",
]

#: Adnotacje of every Kyklos document (no cash accounting, self-billing, split payment,
#: exemption, new means of transport, triangulation or margin scheme).
FIXED_ANNOTATIONS_BEFORE = [("P_16", "2"), ("P_17", "2")]
FIXED_ANNOTATIONS_AFTER = [("P_18A", "2")]

#: FormaPlatnosci 6 = bank transfer.
BANK_TRANSFER = "6"
PLN = "PLN"


class OriginalNotInKsef(Exception):
    """The corrected invoice has no KSeF number yet (it is still on its way)."""


def nip_of(vat_id: str) -> str:
    """The 10-digit NIP of a Polish VAT id (``PL5261040828`` → ``5261040828``)."""
    value = "".join(ch for ch in (vat_id or "") if ch.isalnum()).upper()
    if value.startswith("PL"):
        value = value[2:]
    if not (len(value) == 10 and value.isdigit()):
        raise PermanentFailure(f"{vat_id!r} is not a Polish NIP (10 digits).", code="ksef.nip")
    return value


def amount(value: Decimal) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def rate(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Correction:
    """What a KOR says of the invoice it corrects."""

    number: str
    issued_on: date
    ksef_number: str  # "" when the original was issued outside KSeF


class Fa3Writer:
    """Writes one document. ``original`` is given for a credit note."""

    def __init__(self, document, *, seller_nip: str, correction: Correction | None = None):
        self.doc = document
        self.nip = seller_nip
        self.correction = correction
        self.credit = document.kind == "credit_note"
        self.sign = Decimal(-1) if self.credit else Decimal(1)
        self.lines = list(document.lines.all())

    # -- helpers ---------------------------------------------------------------------

    @staticmethod
    def add(parent, name: str, text=None, **attrs):
        element = etree.SubElement(parent, f"{{{NS}}}{name}", attrs)
        if text is not None:
            element.text = str(text)
        return element

    def treatment_of(self, line_rate: Decimal) -> tuple[str | None, str, str | None]:
        """(P_12 marker, net field, VAT field) of a line."""
        case = self.doc.vat_case or ("domestic" if line_rate > 0 else "outside_scope")
        if case == "domestic":
            if line_rate not in DOMESTIC_RATES:
                raise PermanentFailure(
                    f"{self.doc.number}: the rate {line_rate} % is not a Polish VAT rate.",
                    code="ksef.rate",
                )
            return DOMESTIC_RATES[line_rate]
        treatment = TREATMENTS.get(case)
        if treatment is None:
            raise PermanentFailure(
                f"{self.doc.number}: the VAT case {case!r} has no FA(3) mapping.",
                code="ksef.vat_case",
            )
        return treatment.rate_marker, treatment.net_field, treatment.vat_field

    def reverse_charge(self) -> str:
        treatment = TREATMENTS.get(self.doc.vat_case)
        if treatment is None:
            return "2"
        if treatment.reverse_charge == "buyer_id":
            return "1" if self.doc.buyer_vat_id else "2"
        return treatment.reverse_charge

    # -- the document ----------------------------------------------------------------

    def build(self) -> bytes:
        doc = self.doc
        if doc.kind not in INVOICE_TYPES:
            raise PermanentFailure(
                f"{doc.number} is a {doc.kind}: only tax documents go to KSeF.",
                code="ksef.kind",
            )
        totals = self.totals()
        if doc.currency != PLN and any(
            field in totals and value
            for field, value in totals.items()
            if field[:5] == "P_14_" and field != "P_14_5"
        ):
            # art. 106e ust. 11: Polish VAT on a foreign-currency invoice must also be
            # shown in PLN at the NBP rate of the day before (P_14_xW); Kyklos has no
            # exchange-rate table, so such a document is refused rather than sent wrong.
            raise PermanentFailure(
                f"{doc.number}: Polish VAT in {doc.currency} needs its amount in PLN "
                "(art. 106e ust. 11); issue Polish documents in PLN.",
                code="ksef.currency",
            )
        root = etree.Element(f"{{{NS}}}Faktura", nsmap={None: NS, "etd": ETD})
        self.header(root)
        self.seller(root)
        self.buyer(root)
        fa = self.add(root, "Fa")
        self.add(fa, "KodWaluty", doc.currency)
        self.add(fa, "P_1", doc.issued_on.isoformat())
        if doc.seller.get("city"):
            self.add(fa, "P_1M", doc.seller["city"])
        self.add(fa, "P_2", doc.number)
        for field in TOTAL_FIELDS:
            if field in totals:
                self.add(fa, field, amount(totals[field]))
        self.add(fa, "P_15", amount(self.sign * doc.total))
        self.annotations(fa)
        self.add(fa, "RodzajFaktury", INVOICE_TYPES[doc.kind])
        if self.credit:
            self.corrected(fa)
        notes = [n for n in (doc.vat_note,) if n]
        for note in notes:
            extra = self.add(fa, "DodatkowyOpis")
            self.add(extra, "Klucz", "VAT")
            self.add(extra, "Wartosc", note[:256])
        for line in self.lines:
            self.line(fa, line)
        if not self.credit:
            self.payment(fa)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def header(self, root):
        header = self.add(root, "Naglowek")
        self.add(
            header,
            "KodFormularza",
            FORM_CODE["value"],
            kodSystemowy=FORM_CODE["systemCode"],
            wersjaSchemy=FORM_CODE["schemaVersion"],
        )
        self.add(header, "WariantFormularza", "3")
        made = self.doc.created_at.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        self.add(header, "DataWytworzeniaFa", made.isoformat() + "Z")
        self.add(header, "SystemInfo", SYSTEM_INFO)

    def seller(self, root):
        seller = self.doc.seller
        party = self.add(root, "Podmiot1")
        ident = self.add(party, "DaneIdentyfikacyjne")
        self.add(ident, "NIP", self.nip)
        self.add(ident, "Nazwa", seller.get("name", "")[:512])
        address = self.add(party, "Adres")
        self.add(address, "KodKraju", "PL")
        self.add(address, "AdresL1", (seller.get("street") or seller.get("address", ""))[:512])
        line2 = f"{seller.get('postal_code', '')} {seller.get('city', '')}".strip()
        if line2:
            self.add(address, "AdresL2", line2[:512])
        if seller.get("email") or seller.get("phone"):
            contact = self.add(party, "DaneKontaktowe")
            if seller.get("email"):
                self.add(contact, "Email", seller["email"])
            if seller.get("phone"):
                self.add(contact, "Telefon", seller["phone"][:16])

    def buyer(self, root):
        doc = self.doc
        party = self.add(root, "Podmiot2")
        ident = self.add(party, "DaneIdentyfikacyjne")
        for name, value in buyer_identification(doc.buyer_country, doc.buyer_vat_id):
            self.add(ident, name, value)
        self.add(ident, "Nazwa", doc.buyer_name[:512])
        if doc.buyer_address:
            address = self.add(party, "Adres")
            self.add(address, "KodKraju", doc.buyer_country)
            self.add(address, "AdresL1", doc.buyer_address[:512])
        self.add(party, "NrKlienta", f"C{doc.customer_id}")
        self.add(party, "JST", "2")  # not a local-government unit
        self.add(party, "GV", "2")  # not a VAT-group member

    def totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            _marker, net_field, vat_field = self.treatment_of(line.vat_rate)
            totals[net_field] = totals.get(net_field, Decimal(0)) + self.sign * line.net
            if vat_field:
                totals[vat_field] = totals.get(vat_field, Decimal(0)) + self.sign * line.vat
        return totals

    def annotations(self, fa):
        notes = self.add(fa, "Adnotacje")
        for name, value in FIXED_ANNOTATIONS_BEFORE:
            self.add(notes, name, value)
        self.add(notes, "P_18", self.reverse_charge())
        for name, value in FIXED_ANNOTATIONS_AFTER:
            self.add(notes, name, value)
        self.add(self.add(notes, "Zwolnienie"), "P_19N", "1")
        self.add(self.add(notes, "NoweSrodkiTransportu"), "P_22N", "1")
        self.add(notes, "P_23", "2")
        self.add(self.add(notes, "PMarzy"), "P_PMarzyN", "1")

    def corrected(self, fa):
        correction = self.correction
        if correction is None:
            raise PermanentFailure(
                f"{self.doc.number} corrects no invoice.", code="ksef.correction"
            )
        self.add(fa, "PrzyczynaKorekty", (self.doc.reason or "Korekta")[:256])
        self.add(fa, "TypKorekty", CORRECTION_TYPE)
        data = self.add(fa, "DaneFaKorygowanej")
        self.add(data, "DataWystFaKorygowanej", correction.issued_on.isoformat())
        self.add(data, "NrFaKorygowanej", correction.number)
        if correction.ksef_number:
            self.add(data, "NrKSeF", "1")
            self.add(data, "NrKSeFFaKorygowanej", correction.ksef_number)
        else:
            self.add(data, "NrKSeFN", "1")

    def line(self, fa, line):
        marker, _net, _vat = self.treatment_of(line.vat_rate)
        row = self.add(fa, "FaWiersz")
        self.add(row, "NrWierszaFa", line.position)
        self.add(row, "P_7", line.description[:512])
        if line.product_code:
            self.add(row, "Indeks", line.product_code[:50])
        self.add(row, "P_8A", "szt.")
        self.add(row, "P_8B", quantity(line.quantity))
        self.add(row, "P_9A", amount(self.sign * line.unit_price))
        if line.discount and not self.credit:
            self.add(row, "P_10", amount(line.discount))
        self.add(row, "P_11", amount(self.sign * line.net))
        if marker is not None:
            self.add(row, "P_12", marker)
        else:
            self.add(row, "P_12_XII", rate(line.vat_rate))

    def payment(self, fa):
        doc = self.doc
        pay = self.add(fa, "Platnosc")
        if doc.status == "paid" and doc.paid_on:
            self.add(pay, "Zaplacono", "1")
            self.add(pay, "DataZaplaty", doc.paid_on.isoformat())
            return
        self.add(self.add(pay, "TerminPlatnosci"), "Termin", doc.due_on.isoformat())
        iban = doc.seller.get("iban")
        if iban:
            self.add(pay, "FormaPlatnosci", BANK_TRANSFER)
            account = self.add(pay, "RachunekBankowy")
            self.add(account, "NrRB", iban.replace(" ", "")[:34])
            if doc.seller.get("bic"):
                self.add(account, "SWIFT", doc.seller["bic"])


#: EU member states' VAT prefixes as KodUE takes them (Greece EL, Northern Ireland XI).
EU_VAT_PREFIXES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI".split()
)


def buyer_identification(country: str, vat_id: str) -> list[tuple[str, str]]:
    """Podmiot2/DaneIdentyfikacyjne: NIP for a Polish business, KodUE + NrVatUE for an
    EU VAT id, KodKraju + NrID for another tax id, BrakID for a consumer."""
    value = "".join(ch for ch in (vat_id or "") if ch.isalnum()).upper()
    if not value:
        return [("BrakID", "1")]
    if country == "PL" or value.startswith("PL"):
        return [("NIP", nip_of(value))]
    if value[:2] in EU_VAT_PREFIXES:
        return [("KodUE", value[:2]), ("NrVatUE", value[2:])]
    return [("KodKraju", country), ("NrID", value)]


def build_fa3(
    document,
    *,
    seller_nip: str,
    ksef_number_of: Callable[[object], str] | None = None,
    outside_ksef: Callable[[object], bool] | None = None,
) -> bytes:
    """FA(3) XML of ``document`` (a billing ``Invoice``: invoice, receipt or credit note).

    For a credit note, ``ksef_number_of(original)`` gives the corrected invoice's KSeF
    number; when it has none, ``outside_ksef(original)`` says whether it was issued
    outside KSeF (before the seller went live: ``NrKSeFN``) — otherwise
    :class:`OriginalNotInKsef` is raised, since a correction is sent only after its
    original has its number."""
    correction = None
    if document.kind == "credit_note":
        original = document.related
        if original is None:
            raise PermanentFailure(
                f"{document.number} corrects no invoice.", code="ksef.correction"
            )
        number = (ksef_number_of(original) if ksef_number_of else "") or ""
        if not number and not (outside_ksef and outside_ksef(original)):
            raise OriginalNotInKsef(original.number)
        correction = Correction(original.number, original.issued_on, number)
    return Fa3Writer(document, seller_nip=seller_nip, correction=correction).build()
