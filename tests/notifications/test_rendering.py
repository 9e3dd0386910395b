"""Every notice in Greek, English and Polish, with dates and money written for the
reader's locale (R12.1), the automated-message statement (R3.9) and the domain late-fee
warning (R4.4)."""

import re
import shutil
from pathlib import Path

import pytest

from kyklos.notifications.models import Event
from kyklos.notifications.rendering import render_notice
from kyklos.notifications.templatetags.notifications_format import notice_date, notice_money
from tests.notifications.conftest import CONTEXT

LANGUAGES = ["el", "en", "pl"]
TEMPLATES = Path(__file__).resolve().parents[2] / "src/kyklos/notifications/templates"

#: The context values each notice must show, as a reader of each language expects them.
LOCAL = {
    "expires_on": {"el": "1 Μαρτίου 2027", "en": "1 March 2027", "pl": "1 marca 2027"},
    "due_on": {"el": "24 Φεβρουαρίου 2027", "en": "24 February 2027", "pl": "24 lutego 2027"},
    "terminate_on": {"el": "31 Μαρτίου 2027", "en": "31 March 2027", "pl": "31 marca 2027"},
    "paid_on": {"el": "20 Φεβρουαρίου 2027", "en": "20 February 2027", "pl": "20 lutego 2027"},
    "total": {"el": "1.234,50\xa0€", "en": "€1,234.50", "pl": "1\xa0234,50\xa0€"},
}
LOCAL["amount"] = LOCAL["total"]
SHOWN = {
    Event.RENEWAL_INVOICE: ["expires_on", "due_on", "total"],
    Event.PAYMENT_REMINDER: ["expires_on", "total"],
    Event.EXPIRY_WARNING: ["expires_on"],
    Event.SERVICE_SUSPENDED: ["expires_on", "terminate_on"],
    Event.SERVICE_TERMINATED: ["terminate_on"],
    Event.SERVICE_RENEWED: ["expires_on"],
    Event.SERVICE_REACTIVATED: ["expires_on"],
    Event.SERVICE_CANCELLED: ["terminate_on"],
    Event.PAYMENT_RECEIVED: ["amount", "paid_on"],
    Event.INVOICE_ISSUED: ["total", "due_on"],
}
AUTOMATED = {
    "el": "Αυτό είναι ένα αυτοματοποιημένο μήνυμα",
    "en": "This is an automated message",
    "pl": "Ta wiadomość została wysłana automatycznie",
}
NOT_MONITORED = {
    "el": "δεν παρακολουθούνται",
    "en": "not monitored for replies",
    "pl": "nie są monitorowane",
}
GREETING = {"el": "Αγαπητέ/ή πελάτη,", "en": "Dear Νίκος Παπαδόπουλος,", "pl": "Szanowni Państwo,"}
GREEK = re.compile("[α-ωάέήίόύώΑ-Ω]")
POLISH = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", Event.values)
def test_every_notice_renders_in_every_language(event, language):
    notice = render_notice(event, language, CONTEXT)

    assert notice.subject and "\n" not in notice.subject
    assert notice.body.startswith(GREETING[language] + "\n\n")
    assert AUTOMATED[language] in notice.body
    assert NOT_MONITORED[language] in notice.body
    assert "Kyklos Demo Hosting IKE" in notice.body
    for key in SHOWN[event]:
        assert LOCAL[key][language] in notice.body, key
    assert "{" not in notice.body + notice.subject
    assert "None" not in notice.body


@pytest.mark.parametrize("event", Event.values)
def test_greek_and_polish_notices_are_written_in_greek_and_polish(event):
    english = render_notice(event, "en", CONTEXT)
    greek = render_notice(event, "el", CONTEXT)
    polish = render_notice(event, "pl", CONTEXT)

    assert GREEK.search(greek.subject) and greek.subject != english.subject
    assert len(GREEK.findall(greek.body)) > 100
    assert polish.subject != english.subject
    assert POLISH.search(polish.body)
    assert "the" not in polish.body.split() + greek.body.split()


def test_renewal_invoice_in_greek_reads_as_written():
    notice = render_notice(Event.RENEWAL_INVOICE, "el", CONTEXT)

    assert notice.subject == "Προτιμολόγιο PF-2027-0042 για την ανανέωση της υπηρεσίας example.gr"
    assert (
        "Περίοδος: 1 Μαρτίου 2027 – 29 Φεβρουαρίου 2028\n"
        "Ποσό πληρωμής: 1.234,50\xa0€\n"
        "Προθεσμία πληρωμής: 24 Φεβρουαρίου 2027\n"
    ) in notice.body
    assert notice.body.endswith("επικοινωνήστε μαζί μας μέσω της περιοχής πελατών.\n")


def test_renewal_invoice_in_polish_and_english_uses_their_number_formats():
    polish = render_notice(Event.RENEWAL_INVOICE, "pl", CONTEXT)
    english = render_notice(Event.RENEWAL_INVOICE, "en", CONTEXT)

    assert "Kwota do zapłaty: 1\xa0234,50\xa0€\nTermin płatności: 24 lutego 2027\n" in polish.body
    assert "Amount due: €1,234.50\nPayment due by: 24 February 2027\n" in english.body


@pytest.mark.parametrize(
    ("language", "days", "subject"),
    [
        ("en", 7, "Reminder: example.gr expires in 7 days"),
        ("en", 1, "Reminder: example.gr expires in 1 day"),
        ("en", 0, "Reminder: example.gr expires today"),
        ("el", 7, "Υπενθύμιση: η υπηρεσία example.gr λήγει σε 7 ημέρες"),
        ("el", 1, "Υπενθύμιση: η υπηρεσία example.gr λήγει σε 1 ημέρα"),
        ("el", 0, "Υπενθύμιση: η υπηρεσία example.gr λήγει σήμερα"),
        ("pl", 7, "Przypomnienie: usługa example.gr wygasa za 7 dni"),
        ("pl", 1, "Przypomnienie: usługa example.gr wygasa za 1 dzień"),
        ("pl", 0, "Przypomnienie: usługa example.gr wygasa dzisiaj"),
    ],
)
def test_reminder_subject_counts_the_days_in_each_language(language, days, subject):
    assert render_notice(Event.PAYMENT_REMINDER, language, {**CONTEXT, "days": days}).subject == (
        subject
    )


@pytest.mark.parametrize(
    ("language", "warning"),
    [
        (
            "en",
            "a domain renewed after its expiry date carries extra charges, which can exceed €100",
        ),
        ("el", "επιβαρύνεται με πρόσθετες χρεώσεις, οι οποίες μπορεί να ξεπεράσουν τα 100 €"),
        ("pl", "wiąże się z dodatkowymi opłatami, które mogą przekroczyć 100 €"),
    ],
)
def test_domain_expiry_warning_says_late_renewal_costs_extra(language, warning):
    domain = render_notice(Event.EXPIRY_WARNING, language, {**CONTEXT, "late_fee_warning": True})
    hosting = render_notice(Event.EXPIRY_WARNING, language, CONTEXT)

    assert warning in domain.body
    assert warning not in hosting.body


def test_optional_values_leave_no_gaps():
    context = {"customer_name": "Anna Nowak", "service_label": "anna.pl"}

    notice = render_notice(Event.SERVICE_CANCELLED, "en", context)

    assert notice.body.startswith(
        "Dear Anna Nowak,\n\nAs you requested, your service anna.pl has been cancelled. "
        "Its data will be deleted without further notice.\n\n"
    )


def test_a_language_without_templates_gets_the_english_notice():
    notice = render_notice(Event.EXPIRY_WARNING, "de", CONTEXT)

    assert notice == render_notice(Event.EXPIRY_WARNING, "en", CONTEXT)
    assert notice.subject == "Your service example.gr expires on 1 March 2027"


def test_a_missing_translation_falls_back_to_english_with_english_formats(settings, tmp_path):
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    shutil.rmtree(tmp_path / "notifications/payment_received/pl")
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [tmp_path]}
    ]

    notice = render_notice(Event.PAYMENT_RECEIVED, "pl", CONTEXT)

    assert notice.subject == "Payment received: €1,234.50"
    assert "on 20 February 2027 for invoice PF-2027-0042." in notice.body


def test_format_filters_leave_missing_values_empty_and_refuse_float_money():
    assert notice_date("") == ""
    assert notice_money(None, "EUR") == ""
    with pytest.raises(TypeError, match="never a float"):
        notice_money(1234.5, "EUR")
