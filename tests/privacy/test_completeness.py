"""Every model that looks like it holds personal data is in the registry (or exempt with a
reason), and every category the apps use has a retention rule and a place in the record."""

import pytest
from django.apps import apps

from kyklos.core.personal_data import (
    PERSONAL_FIELD_HINTS,
    looks_personal,
    personal_data,
    personal_looking_fields,
)
from kyklos.privacy.models import DataCategory

pytestmark = pytest.mark.django_db


def test_every_model_with_personal_looking_fields_is_registered_or_declared_exempt():
    missing = {
        model._meta.label: personal_looking_fields(model)
        for model in apps.get_models()
        if personal_looking_fields(model)
        and model._meta.label not in personal_data.entries
        and model._meta.label not in personal_data.exempt
    }
    assert missing == {}, (
        "These models have fields that look like personal data but are neither registered "
        "with core.personal_data (exporter + eraser) nor declared exempt with a reason: "
        f"{missing}"
    )


def test_the_existing_apps_register_what_they_hold():
    for label in [
        "auth.User",
        "admin.LogEntry",
        "core.AuditEvent",
        "customers.Customer",
        "customers.ParticularsChange",
        "customers.ChangeRequest",
        "customers.TermsAcceptance",
        "billing.Invoice",
        "payments.Payment",
        "lifecycle.Service",
        "notifications.Outbox",
        "api.ApiToken",
        "privacy.ConsentEvent",
        "privacy.DataSubjectRequest",
        "privacy.Restriction",
    ]:
        assert label in personal_data.entries, label
    assert personal_data.exempt["catalog.Product"]


def test_hints_match_whole_words_of_field_names():
    assert "email" in PERSONAL_FIELD_HINTS
    assert looks_personal("buyer_name") and looks_personal("to_email")
    assert looks_personal("last_login_ip") and looks_personal("phone")
    assert not looks_personal("description") and not looks_personal("shipping")


def test_every_category_in_use_is_in_the_record_with_a_retention_rule():
    known = dict(DataCategory.objects.values_list("code", "rule__months"))
    assert personal_data.categories() - set(known) == set()
    # Spot-check the defaults of R9.4 (months).
    assert known["access_logs"] == 3
    assert known["cookie_data"] == 13
    assert known["contact_forms"] == 0
    assert known["customer_records"] == 12
    assert known["tax_records"] == 60  # Greece: 5 years from the end of the fiscal year


def test_a_registration_names_real_fields_and_an_exemption_needs_a_reason():
    from kyklos.customers.models import Customer

    with pytest.raises(ValueError, match="no field"):
        personal_data.register(
            Customer, category="x", fields=["nickname"], exporter=list, eraser=list
        )
    with pytest.raises(ValueError, match="reason"):
        personal_data.declare_exempt(Customer, "  ")
