"""The catalog holds no personal data; its ``name`` fields name products and policies."""

from kyklos.catalog.models import LifecyclePolicy, Product
from kyklos.core.personal_data import personal_data


def register() -> None:
    personal_data.declare_exempt(Product, "A product's name, not a person's.")
    personal_data.declare_exempt(LifecyclePolicy, "A lifecycle policy's name, not a person's.")
