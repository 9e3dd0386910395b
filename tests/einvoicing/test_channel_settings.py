"""The channels' own settings and credentials, checked when staff save a configuration
(``validate_settings``, ``credential_fields``): a typo or a wrong value is refused then,
with one clear message, instead of failing every transmission later."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kyklos.einvoicing.channels.ksef import KsefChannel
from kyklos.einvoicing.channels.mydata import MyDataChannel
from kyklos.einvoicing.models import ChannelConfig
from kyklos.vault.models import ProviderSecret
from tests.einvoicing.conftest import configure

pytestmark = pytest.mark.django_db
DAY = date(2027, 5, 3)
GREEK = {"user_id": "kyklos", "subscription_key": "k"}
POLISH = {"token": "t", "nip": "5261040828"}


def test_each_channel_names_the_credentials_it_reads():
    assert MyDataChannel.credential_fields == ("user_id", "subscription_key")
    assert KsefChannel.credential_fields == ("token", "nip")


def test_good_settings_are_kept_cleaned():
    config = configure(
        "mydata",
        "GR",
        {"base_url": "http://127.0.0.1:9/", "branch": "2", "b2b_mandate_from": "2027-01-01"},
        GREEK,
    )
    assert config.settings == {
        "base_url": "http://127.0.0.1:9",
        "branch": 2,
        "b2b_mandate_from": "2027-01-01",
    }
    config = configure("ksef", "PL", {"nip": "PL 526-104-08-28", "offline24": "yes"}, POLISH)
    assert config.settings == {"nip": "5261040828", "offline24": True}


@pytest.mark.parametrize(
    ("channel", "country", "values", "credentials", "message"),
    [
        ("mydata", "GR", {"b2b_mandate": "2027-01-01"}, GREEK, "Unknown setting b2b_mandate"),
        ("mydata", "GR", {"b2b_mandate_from": "1.1.2027"}, GREEK, "give a date as YYYY-MM-DD"),
        ("mydata", "GR", {"payment_methods": {"paypal": 9}}, GREEK, "payment_methods"),
        ("mydata", "GR", {"environment": "production"}, GREEK, "the configuration's own field"),
        ("ksef", "PL", {"api_url": "api.ksef.mf.gov.pl"}, POLISH, "give a web address"),
        ("ksef", "PL", {"nip": "123"}, POLISH, "is not a Polish NIP"),
        ("mydata", "GR", {}, {"user_id": "kyklos"}, "missing: subscription_key"),
        ("ksef", "PL", {}, {**POLISH, "tokne": "x"}, "unknown: tokne"),
    ],
)
def test_wrong_settings_or_credentials_are_refused_and_nothing_is_saved(
    channel, country, values, credentials, message
):
    with pytest.raises(ValidationError, match=message):
        configure(channel, country, values, credentials)
    assert not ChannelConfig.objects.exists() and not ProviderSecret.objects.exists()


def test_ksef_leaves_out_consumers_when_the_configuration_says_so():
    from tests.einvoicing.conftest import DAY as ISSUED

    class Receipt:
        kind, seller, issued_on, buyer_vat_id, vat_case = (
            "receipt",
            {"country": "PL"},
            ISSUED,
            "",
            "domestic",
        )

    channel = KsefChannel()  # as the registry makes it: the settings come with each call
    assert channel.applies_to(Receipt, {}) and not channel.applies_to(Receipt, {"consumers": False})
