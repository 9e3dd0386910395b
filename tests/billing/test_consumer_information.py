"""Consumer information on documents (R12.4): a consumer's document says where a dispute
can go out of court — the national ADR body, since the EU ODR platform closed in July 2025."""

import pytest

from kyklos.billing import documents
from tests import factories
from tests.billing.test_documents_out import company, proforma_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("el", "Εξωδικαστική επίλυση καταναλωτικών διαφορών: Συνήγορος του Καταναλωτή"),
        ("en", "Out-of-court resolution of consumer disputes: the Hellenic Consumer Ombudsman"),
        ("pl", "Pozasądowe rozwiązywanie sporów konsumenckich: Rzecznik Konsumenta (Grecja)"),
    ],
)
def test_a_consumers_document_names_the_out_of_court_dispute_body(language, words):
    person = factories.customer(language=language)
    html = documents.render_html(proforma_for(person, ("Hosting", "120.00", "1")))
    assert words in html and "www.synigoroskatanaloti.gr" in html
    assert "ec.europa.eu/consumers/odr" not in html  # the closed platform is not named


def test_a_business_document_has_no_consumer_mention_and_the_body_follows_the_country(settings):
    html = documents.render_html(proforma_for(company(), ("Hosting", "120.00", "1")))
    assert "consumer-disputes" not in html
    settings.KYKLOS_COUNTRY = "PL"
    person = factories.customer(language="pl")
    html = documents.render_html(proforma_for(person, ("Hosting", "120.00", "1")))
    assert "Wojewódzki Inspektor Inspekcji Handlowej, polubowne.uokik.gov.pl" in html
