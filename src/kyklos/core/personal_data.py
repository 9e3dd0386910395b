"""The registry of personal data: every app declares what personal data it holds.

Privacy (access, portability and erasure requests, the retention engine) imports only
core, so each app that stores personal data registers here, in its ``AppConfig.ready``,
one entry per model: which fields are personal, the data category they belong to, a
function that exports a subject's rows and one that erases (anonymises) them.

A test walks every installed model and fails when a model has a field that looks like
personal data (name, e-mail, phone, address, IP, …) and is neither registered nor
declared free of personal data with a reason — so a new app cannot forget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Subject:
    """The person a request is about: a customer, or someone known only by e-mail."""

    customer_id: int | None = None
    email: str = ""
    user_id: int | None = None

    def __post_init__(self) -> None:
        if self.customer_id is None and not self.email and self.user_id is None:
            raise ValueError("A data subject needs a customer, a user or an e-mail address.")


@dataclass
class Erased:
    """What an eraser did: rows anonymised or deleted, and what it kept and why."""

    anonymised: int = 0
    deleted: int = 0
    kept: int = 0
    kept_reason: str = ""


Exporter = Callable[[Subject], Iterable[dict[str, Any]]]
Eraser = Callable[[Subject], Erased]


@dataclass(frozen=True)
class PersonalDataEntry:
    model: type[models.Model]
    category: str
    fields: tuple[str, ...]
    exporter: Exporter
    eraser: Eraser
    legal_hold: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass
class PersonalDataRegistry:
    entries: dict[str, PersonalDataEntry] = field(default_factory=dict)
    exempt: dict[str, str] = field(default_factory=dict)

    def register(
        self,
        model: type[models.Model],
        *,
        category: str,
        fields: Iterable[str],
        exporter: Exporter,
        eraser: Eraser,
        legal_hold: str = "",
    ) -> None:
        names = tuple(fields)
        known = {f.name for f in model._meta.get_fields()}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"{model._meta.label} has no field(s) {', '.join(unknown)}")
        self.entries[model._meta.label] = PersonalDataEntry(
            model, category, names, exporter, eraser, legal_hold
        )

    def declare_exempt(self, model: type[models.Model], reason: str) -> None:
        """Say that a model whose field names look personal holds no personal data."""
        if not reason.strip():
            raise ValueError("An exemption needs a reason.")
        self.exempt[model._meta.label] = reason

    def all(self) -> list[PersonalDataEntry]:
        return sorted(self.entries.values(), key=lambda e: (e.category, e.label))

    def export(self, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        return {e.label: list(e.exporter(subject)) for e in self.all()}

    def erase(self, subject: Subject) -> dict[str, Erased]:
        return {e.label: e.eraser(subject) for e in self.all()}


personal_data = PersonalDataRegistry()

#: Field names that suggest personal data; the completeness test uses them.
PERSONAL_FIELD_HINTS = (
    "name",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "mobile",
    "address",
    "street",
    "ip",
    "ip_address",
    "vat_id",
    "tax_id",
    "birth",
    "user_agent",
    "sender",
)
