"""The defaults Kyklos ships for agency work: the kinds of work with their own rates
(R7.4), the rate policy (notice of a rise, once a year, the rush multiplier; R7.7) and
the first published version of the service level agreement every quote carries."""

from __future__ import annotations

import hashlib
import json

WORK_KINDS = [
    ("design", "Design", {"el": "Σχεδιασμός", "pl": "Projektowanie"}),
    ("development", "Development", {"el": "Ανάπτυξη", "pl": "Programowanie"}),
    ("support", "Support", {"el": "Υποστήριξη", "pl": "Wsparcie"}),
    ("training", "Training", {"el": "Εκπαίδευση", "pl": "Szkolenie"}),
]

#: R7.4 says "with notice" without a figure; a month, as the terms give for re-pricing servers.
NOTICE_DAYS = 30
DAYS_BETWEEN_RISES = 365

SLA_TEXTS = {
    "en": (
        "Service level agreement for project work\n"
        "1. Requests are answered within business hours (Monday to Friday, 09:00–17:00, "
        "public holidays excepted).\n"
        "2. Defects against the agreed specification are fixed free of charge; changes "
        "after approval and work beyond the quote are confirmed in writing and billed.\n"
        "3. Hourly work is billed at the rates in force, at least 15 minutes per request, "
        "then by the minute; rush requests at the rush rate.\n"
        "4. Third-party costs (licences, stock images, fonts) are recharged at cost.\n"
        "5. Ownership of the work passes to the customer when the final invoice is paid."
    ),
    "el": (
        "Συμφωνία επιπέδου υπηρεσιών για έργα\n"
        "1. Τα αιτήματα απαντώνται σε εργάσιμες ώρες (Δευτέρα έως Παρασκευή, 09:00–17:00, "
        "εκτός αργιών).\n"
        "2. Τα σφάλματα σε σχέση με τις συμφωνημένες προδιαγραφές διορθώνονται δωρεάν· οι "
        "αλλαγές μετά την έγκριση και η εργασία πέρα από την προσφορά επιβεβαιώνονται "
        "γραπτώς και χρεώνονται.\n"
        "3. Η ωριαία εργασία χρεώνεται με τις ισχύουσες τιμές, τουλάχιστον 15 λεπτά ανά "
        "αίτημα και στη συνέχεια ανά λεπτό· τα επείγοντα αιτήματα με την τιμή επείγοντος.\n"
        "4. Τα κόστη τρίτων (άδειες, φωτογραφίες, γραμματοσειρές) μεταχρεώνονται στο κόστος.\n"
        "5. Η κυριότητα του έργου περνά στον πελάτη με την εξόφληση του τελικού τιμολογίου."
    ),
    "pl": (
        "Umowa o poziomie usług dla prac projektowych\n"
        "1. Na zgłoszenia odpowiadamy w godzinach pracy (od poniedziałku do piątku, "
        "09:00–17:00, z wyjątkiem świąt).\n"
        "2. Wady względem uzgodnionej specyfikacji usuwamy bezpłatnie; zmiany po akceptacji "
        "i prace wykraczające poza ofertę są potwierdzane na piśmie i rozliczane osobno.\n"
        "3. Praca godzinowa jest rozliczana według obowiązujących stawek, co najmniej 15 "
        "minut za zgłoszenie, a dalej co minutę; pilne zgłoszenia według stawki ekspresowej.\n"
        "4. Koszty zewnętrzne (licencje, zdjęcia, czcionki) refakturujemy po kosztach.\n"
        "5. Prawa do dzieła przechodzą na klienta po opłaceniu faktury końcowej."
    ),
}


def texts_digest(texts: dict) -> str:
    canonical = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def seed(get_model, now) -> None:
    """Create the defaults that are missing; idempotent. ``get_model(name)`` returns the
    model class (the real one, or its historical version in a migration)."""
    WorkKind = get_model("WorkKind")
    for position, (code, name, names) in enumerate(WORK_KINDS, start=1):
        WorkKind.objects.get_or_create(
            code=code, defaults={"name": name, "names": names, "position": position * 10}
        )
    get_model("RatePolicy").objects.get_or_create(
        pk=1, defaults={"notice_days": NOTICE_DAYS, "days_between_rises": DAYS_BETWEEN_RISES}
    )
    SlaVersion = get_model("SlaVersion")
    if not SlaVersion.objects.exists():
        SlaVersion.objects.create(
            number=1, published_at=now, texts=SLA_TEXTS, digest=texts_digest(SLA_TEXTS)
        )
