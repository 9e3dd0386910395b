"""VAT ids are checked for format and check digit on entry (R1.2, R6.3)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kyklos.customers.vat import country_codes, validate_country, validate_vat_id


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("EL094014201", "GR", "EL094014201"),
        ("094014201", "GR", "EL094014201"),
        ("EL 094.014.201", "GR", "EL094014201"),
        ("GR094014201", "GR", "EL094014201"),
        ("el094014201", "gr", "EL094014201"),
        ("CY10259033P", "CY", "CY10259033P"),
        ("10259033P", "CY", "CY10259033P"),
        ("PL5260250274", "PL", "PL5260250274"),
        ("526-025-02-74", "PL", "PL5260250274"),
        ("DE136695976", "DE", "DE136695976"),
        ("DE 136 695 976", "DE", "DE136695976"),
    ],
)
def test_valid_eu_vat_ids_are_stored_compact_with_their_prefix(typed, country, stored):
    assert validate_vat_id(typed, country) == stored


@pytest.mark.parametrize(
    ("typed", "country", "shown"),
    [
        ("EL094014200", "GR", "EL094014200"),
        ("094014200", "GR", "EL094014200"),
        ("CY10259033X", "CY", "CY10259033X"),
        ("PL5260250275", "PL", "PL5260250275"),
        ("DE136695975", "DE", "DE136695975"),
    ],
)
def test_a_wrong_check_digit_is_refused_with_a_clear_message(typed, country, shown):
    with pytest.raises(ValidationError) as refused:
        validate_vat_id(typed, country)
    assert refused.value.message_dict == {
        "vat_id": [f"The VAT id {shown} is not valid: its check digit is wrong."]
    }


def test_a_wrong_length_is_told_apart_from_a_wrong_check_digit():
    with pytest.raises(ValidationError) as refused:
        validate_vat_id("EL12345", "GR")
    assert refused.value.message_dict == {
        "vat_id": ["The VAT id EL12345 has the wrong number of characters for Greece."]
    }


def test_a_wrong_format_is_told_apart():
    with pytest.raises(ValidationError) as refused:
        validate_vat_id("ELABCDEFGHI", "GR")
    assert refused.value.message_dict == {
        "vat_id": ["The VAT id ELABCDEFGHI is not in the format used in Greece."]
    }


def test_another_member_states_id_is_refused_for_the_customers_country():
    with pytest.raises(ValidationError) as refused:
        validate_vat_id("DE136695976", "GR")
    assert refused.value.message_dict == {
        "vat_id": ["The VAT id DE136695976 belongs to Germany, but the country is Greece."]
    }


def test_the_message_follows_the_active_language():
    with translation.override("el"), pytest.raises(ValidationError) as refused:
        validate_vat_id("DE136695976", "GR")
    assert "Ελλάδα" in refused.value.message_dict["vat_id"][0]


def test_outside_the_eu_the_local_format_is_checked_when_stdnum_knows_it():
    assert validate_vat_id("GB 980 7806 84", "GB") == "980780684"
    with pytest.raises(ValidationError) as refused:
        validate_vat_id("GB 980 7806 85", "GB")
    assert "check digit is wrong" in refused.value.message_dict["vat_id"][0]


def test_outside_the_eu_without_a_known_format_the_typed_value_is_kept():
    assert validate_vat_id("  12-3456789 ", "US") == "12-3456789"


def test_an_empty_vat_id_and_an_unknown_country_are_refused():
    with pytest.raises(ValidationError) as empty:
        validate_vat_id("  ", "GR")
    assert empty.value.message_dict == {"vat_id": ["Enter the VAT id."]}
    with pytest.raises(ValidationError) as unknown:
        validate_vat_id("094014201", "XX")
    assert unknown.value.message_dict == {
        "country": ["XX is not a country code; use the ISO code, e.g. GR."]
    }


def test_country_codes_are_iso_countries_only():
    assert {"GR", "CY", "PL", "DE", "US", "GB"} <= country_codes()
    assert not {"EU", "ZZ", "UN", "001"} & country_codes()
    assert validate_country(" cy ") == "CY"
