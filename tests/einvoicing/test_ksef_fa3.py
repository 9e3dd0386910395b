"""FA(3) of a Polish seller's documents, validated against the official schema (offline)."""
# ruff: noqa: F811 - the fixtures are imported from ksef_fixtures

from datetime import date

import pytest
from lxml import etree

from kyklos.einvoicing.channels.base import PermanentFailure, TemporaryFailure
from kyklos.einvoicing.channels.ksef import KsefChannel
from tests.einvoicing.ksef_fixtures import (  # noqa: F401 - fixtures
    CASES,
    SELLER_NIP,
    documents,
    fa3_schema,
    polish_provider,
)

pytestmark = pytest.mark.django_db
NS = {"fa": "http://crd.gov.pl/wzor/2025/06/25/13775/"}
ORIGINAL_KSEF = "5261040828-20270301-0100001AF601-4B"
SETTINGS = {"ksef_number_of": lambda original: ORIGINAL_KSEF}


def xml_of(document, settings=SETTINGS):
    return etree.fromstring(KsefChannel().build(document, settings).body)


def text(root, path):
    return root.findtext(path, namespaces=NS)


def texts(root, path):
    return [e.text for e in root.iterfind(path, NS)]


@pytest.mark.parametrize("kind", ["paid", "open", "full_credit", "partial_credit"])
@pytest.mark.parametrize("case", CASES)
def test_every_document_kind_of_every_vat_case_validates(polish_provider, fa3_schema, case, kind):
    fields, paid_kind = CASES[case]
    document = documents(fields)[kind]
    root = xml_of(document)
    assert fa3_schema.validate(root), [e.message for e in fa3_schema.error_log][:3]
    expected_kind = {"paid": paid_kind, "open": "invoice"}.get(kind, "credit_note")
    assert document.kind == expected_kind
    assert text(root, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP") == SELLER_NIP
    assert text(root, "fa:Fa/fa:RodzajFaktury") == ("KOR" if "credit" in kind else "VAT")
    assert text(root, "fa:Fa/fa:P_2") == document.number
    assert text(root, "fa:Fa/fa:P_1") == document.issued_on.isoformat()


def test_domestic_invoice_fields(polish_provider):
    docs = documents(CASES["domestic"][0])
    root = xml_of(docs["paid"])
    # 120 − 10 discount + 2 × 15 = 140.00 net at 23 %: 25.30 + 6.90 = 32.20 VAT
    assert text(root, "fa:Fa/fa:P_13_1") == "140.00"
    assert text(root, "fa:Fa/fa:P_14_1") == "32.20"
    assert text(root, "fa:Fa/fa:P_15") == "172.20"
    assert text(root, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP") == "7740001454"
    assert texts(root, "fa:Fa/fa:FaWiersz/fa:P_12") == ["23", "23"]
    first = root.find("fa:Fa/fa:FaWiersz", NS)
    assert [text(first, f"fa:{f}") for f in ("P_8B", "P_9A", "P_10", "P_11")] == [
        "1",
        "120.00",
        "10.00",
        "110.00",
    ]
    assert text(root, "fa:Fa/fa:Adnotacje/fa:P_18") == "2"
    assert text(root, "fa:Fa/fa:Platnosc/fa:Zaplacono") == "1"
    assert text(root, "fa:Fa/fa:Platnosc/fa:DataZaplaty") == "2027-03-01"
    # The open invoice: due date and the seller's account for the transfer.
    open_root = xml_of(docs["open"])
    assert text(open_root, "fa:Fa/fa:Platnosc/fa:TerminPlatnosci/fa:Termin") == "2027-03-01"
    assert text(open_root, "fa:Fa/fa:Platnosc/fa:FormaPlatnosci") == "6"
    assert text(open_root, "fa:Fa/fa:Platnosc/fa:RachunekBankowy/fa:NrRB") == (
        "PL61109010140000071219812874"
    )


def test_consumer_receipt_has_no_buyer_id(polish_provider):
    root = xml_of(documents(CASES["domestic_consumer"][0])["paid"])
    assert text(root, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:BrakID") == "1"
    assert text(root, "fa:Fa/fa:RodzajFaktury") == "VAT"


def test_reverse_charge_is_np_ii_with_the_reverse_charge_annotation(polish_provider):
    root = xml_of(documents(CASES["reverse_charge"][0])["paid"])
    ident = root.find("fa:Podmiot2/fa:DaneIdentyfikacyjne", NS)
    assert (text(ident, "fa:KodUE"), text(ident, "fa:NrVatUE")) == ("DE", "136695976")
    assert set(texts(root, "fa:Fa/fa:FaWiersz/fa:P_12")) == {"np II"}
    assert text(root, "fa:Fa/fa:P_13_9") == "140.00"
    assert text(root, "fa:Fa/fa:P_13_1") is None
    assert text(root, "fa:Fa/fa:Adnotacje/fa:P_18") == "1"  # "odwrotne obciążenie"
    assert text(root, "fa:Fa/fa:P_15") == "140.00"


def test_eu_consumer_is_oss_with_the_member_state_rate(polish_provider):
    root = xml_of(documents(CASES["eu_b2c"][0])["paid"])
    assert set(texts(root, "fa:Fa/fa:FaWiersz/fa:P_12_XII")) == {"19"}  # Cyprus
    assert texts(root, "fa:Fa/fa:FaWiersz/fa:P_12") == []
    assert (text(root, "fa:Fa/fa:P_13_5"), text(root, "fa:Fa/fa:P_14_5")) == ("140.00", "26.60")
    assert text(root, "fa:Fa/fa:Adnotacje/fa:P_18") == "2"


def test_outside_scope_is_np_i(polish_provider):
    root = xml_of(documents(CASES["outside_scope"][0])["paid"])
    assert set(texts(root, "fa:Fa/fa:FaWiersz/fa:P_12")) == {"np I"}
    assert text(root, "fa:Fa/fa:P_13_8") == "140.00"
    assert text(root, "fa:Podmiot2/fa:Adres/fa:KodKraju") == "US"


def test_credit_note_is_kor_of_the_original_with_its_ksef_number(polish_provider):
    docs = documents(CASES["domestic"][0])
    root = xml_of(docs["partial_credit"])
    assert text(root, "fa:Fa/fa:RodzajFaktury") == "KOR"
    assert text(root, "fa:Fa/fa:TypKorekty") == "2"
    assert text(root, "fa:Fa/fa:PrzyczynaKorekty") == "Zmniejszenie zakresu"
    data = root.find("fa:Fa/fa:DaneFaKorygowanej", NS)
    assert text(data, "fa:NrFaKorygowanej") == docs["open"].number
    assert text(data, "fa:DataWystFaKorygowanej") == "2027-03-01"
    assert (text(data, "fa:NrKSeF"), text(data, "fa:NrKSeFFaKorygowanej")) == ("1", ORIGINAL_KSEF)
    # The difference, in minus: 99.99 net and 23.00 VAT credited.
    assert (text(root, "fa:Fa/fa:P_13_1"), text(root, "fa:Fa/fa:P_14_1")) == ("-99.99", "-23.00")
    assert text(root, "fa:Fa/fa:P_15") == "-122.99"
    assert text(root, "fa:Fa/fa:FaWiersz/fa:P_11") == "-99.99"
    assert root.find("fa:Fa/fa:Platnosc", NS) is None


def test_credit_note_waits_for_its_original_ksef_number(polish_provider):
    note = documents(CASES["domestic"][0])["full_credit"]
    with pytest.raises(TemporaryFailure) as failure:
        KsefChannel().build(note, {"ksef_number_of": lambda original: ""})
    assert failure.value.code == "ksef.original_pending"


def test_credit_note_of_an_invoice_issued_before_ksef_says_nrksefn(polish_provider, fa3_schema):
    note = documents(CASES["domestic"][0])["full_credit"]
    settings = {"ksef_number_of": lambda original: "", "live_from": "2027-03-10"}
    root = xml_of(note, settings)
    assert text(root, "fa:Fa/fa:DaneFaKorygowanej/fa:NrKSeFN") == "1"
    assert fa3_schema.validate(root)


def test_default_lookup_reads_the_accepted_transmission(polish_provider):
    from kyklos.billing.models import Transmission

    docs = documents(CASES["domestic"][0])
    Transmission.objects.create(
        invoice=docs["paid"], authority="ksef", status="accepted", mark=ORIGINAL_KSEF
    )
    root = xml_of(docs["full_credit"], {})
    assert text(root, "fa:Fa/fa:DaneFaKorygowanej/fa:NrKSeFFaKorygowanej") == ORIGINAL_KSEF


def test_the_schema_catches_a_broken_document(polish_provider, fa3_schema):
    root = xml_of(documents(CASES["domestic"][0])["paid"])
    root.find("fa:Fa/fa:FaWiersz/fa:P_12", NS).text = "24"  # not a Polish rate
    assert not fa3_schema.validate(root)


def test_a_proforma_and_a_foreign_seller_are_not_for_ksef(polish_provider, settings):
    docs = documents(CASES["domestic"][0])
    channel = KsefChannel()
    assert channel.applies_to(docs["paid"]) and channel.applies_to(docs["full_credit"])
    assert not channel.applies_to(docs["paid"].related)  # the proforma
    with pytest.raises(PermanentFailure):
        channel.build(docs["paid"].related, SETTINGS)
    settings.KYKLOS_COUNTRY = "GR"
    greek = documents(CASES["reverse_charge"][0])["paid"]
    assert not channel.applies_to(greek)


def test_consumer_and_oss_documents_can_be_left_out(polish_provider):
    receipt = documents(CASES["domestic_consumer"][0])["paid"]
    oss = documents(CASES["eu_b2c"][0])["paid"]
    assert KsefChannel().applies_to(receipt) and KsefChannel().applies_to(oss)
    assert not KsefChannel({"consumers": False}).applies_to(receipt)
    assert not KsefChannel({"oss": "false"}).applies_to(oss)
    assert not KsefChannel({"live_from": "2027-04-01"}).applies_to(receipt)


def test_polish_vat_in_a_foreign_currency_is_refused(polish_provider, settings):
    settings.KYKLOS_CURRENCY = "EUR"
    invoice = documents(CASES["domestic"][0])["open"]
    with pytest.raises(PermanentFailure) as failure:
        KsefChannel().build(invoice, SETTINGS)
    assert failure.value.code == "ksef.currency"
    # Reverse charge carries no Polish VAT: EUR is fine there.
    assert xml_of(documents(CASES["reverse_charge"][0])["open"]) is not None


def test_a_seller_without_a_polish_nip_is_refused(polish_provider, settings):
    settings.KYKLOS_PROVIDER = {**settings.KYKLOS_PROVIDER, "vat_id": "EL094014201"}
    invoice = documents(CASES["domestic"][0])["open"]
    with pytest.raises(PermanentFailure) as failure:
        KsefChannel().build(invoice, SETTINGS)
    assert failure.value.code == "ksef.nip"
    assert KsefChannel().build(invoice, {**SETTINGS, "nip": SELLER_NIP}).body


def test_official_examples_still_validate(fa3_schema):
    """The schema set really is the official one: the Ministry's examples pass."""
    from tests.einvoicing.ksef_peer import schema_dir

    examples = sorted((schema_dir() / "examples").glob("*.xml"))
    assert len(examples) == 26
    assert all(fa3_schema.validate(etree.parse(str(e))) for e in examples)


def test_offline24_deadline_is_the_next_working_day():
    from kyklos.einvoicing.channels.ksef.channel import offline_deadline

    assert offline_deadline(date(2027, 3, 5)) == date(2027, 3, 8)  # Friday → Monday
    assert offline_deadline(date(2027, 12, 24)) == date(2027, 12, 27)  # Christmas 25–26
