from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyklos.core import clock
from kyklos.customers import services

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def today():
    with clock.frozen(date(2027, 3, 1)) as now:
        yield now


def pdf(name="proof.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def make_customer(db):
    def make(**fields):
        values = {
            "kind": "company",
            "name": "Maria Papadopoulou",
            "company_name": "Papadopoulou IKE",
            "email": "maria@example.gr",
            "country": "GR",
            "vat_id": "EL094014201",
            "adult_confirmed": True,
        }
        values.update(fields)
        return services.create_customer(**values)

    return make
