"""The personal-data registry refuses a second registration of the same model or target."""

import pytest

from kyklos.core.personal_data import DELETE, Erased, PersonalDataRegistry
from kyklos.customers.models import ChangeRequest, Customer


def keep(subject):
    return Erased()


def test_a_model_is_registered_or_declared_exempt_once():
    registry = PersonalDataRegistry()
    registry.register(Customer, category="x", fields=["name"], exporter=list, eraser=keep)

    with pytest.raises(ValueError, match="customers.Customer is already registered"):
        registry.register(Customer, category="y", fields=["email"], exporter=list, eraser=keep)
    with pytest.raises(ValueError, match="customers.Customer is already registered"):
        registry.declare_exempt(Customer, "no people here")

    registry.declare_exempt(ChangeRequest, "no people here")
    with pytest.raises(ValueError, match="ChangeRequest is already declared free"):
        registry.declare_exempt(ChangeRequest, "still none")
    with pytest.raises(ValueError, match="ChangeRequest is already declared free"):
        registry.register(ChangeRequest, category="x", fields=[], exporter=list, eraser=keep)
    assert registry.entries["customers.Customer"].category == "x"


def test_a_retention_target_is_registered_once_per_category_and_model():
    registry = PersonalDataRegistry()
    registry.register_retention("x", Customer, date_field="created_at", action=DELETE)
    registry.register_retention("y", Customer, date_field="created_at", action=DELETE)

    with pytest.raises(ValueError, match="of customers.Customer in 'x' is already registered"):
        registry.register_retention("x", Customer, date_field="created_at", action=DELETE)
    assert [t.category for t in registry.retention_targets()] == ["x", "y"]
