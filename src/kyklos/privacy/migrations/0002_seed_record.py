"""The record of processing of Kyklos itself (R9.1), with its retention rules (R9.4).

Texts are in Greek, English and Polish; staff edit them in the admin, and every change
publishes a new version of the privacy notice.
"""

from django.conf import settings
from django.db import migrations

#: Years that tax records are kept after the end of the fiscal year, by country.
TAX_YEARS = {"GR": 5, "CY": 6, "PL": 5}

# code: (en, el, pl, months, anchor)
CATEGORIES = [
    ("customer_records", "Customer account and contact details", "Στοιχεία λογαριασμού και επικοινωνίας πελάτη", "Dane konta i dane kontaktowe klienta", 12, "relationship_end"),
    ("accounts", "Login details", "Στοιχεία σύνδεσης", "Dane logowania", 12, "relationship_end"),
    ("tax_records", "Invoices and payment records", "Τιμολόγια και στοιχεία πληρωμών", "Faktury i dane o płatnościach", None, "fiscal_year_end"),
    ("support", "Support requests and correspondence", "Αιτήματα υποστήριξης και αλληλογραφία", "Zgłoszenia do wsparcia i korespondencja", 12, "relationship_end"),
    ("correspondence", "Notices and messages sent to you", "Ειδοποιήσεις και μηνύματα προς εσάς", "Powiadomienia i wiadomości wysłane do Państwa", 12, "collected"),
    ("contact_forms", "Contact-form submissions", "Υποβολές της φόρμας επικοινωνίας", "Zgłoszenia z formularza kontaktowego", 0, "processed"),
    ("sales_leads", "Enquiries and quotes", "Ερωτήματα και προσφορές", "Zapytania i oferty", 12, "collected"),
    ("marketing_preferences", "Marketing preferences and consents", "Προτιμήσεις και συναινέσεις για προωθητικές ενέργειες", "Preferencje marketingowe i zgody", None, "collected"),
    ("cookie_data", "Cookie and analytics data", "Δεδομένα cookies και στατιστικών επισκεψιμότητας", "Dane z plików cookie i analityki", 13, "collected"),
    ("access_logs", "IP addresses and access logs", "Διευθύνσεις IP και αρχεία καταγραφής πρόσβασης", "Adresy IP i logi dostępu", 3, "collected"),
    ("audit_trail", "Audit trail of changes and of access to data", "Ίχνος ελέγχου αλλαγών και πρόσβασης σε δεδομένα", "Rejestr zmian i dostępu do danych", None, "collected"),
    ("credentials", "Credentials we hold to look after your services", "Διαπιστευτήρια που φυλάσσουμε για τη διαχείριση των υπηρεσιών σας", "Dane dostępowe przechowywane w celu obsługi Państwa usług", 0, "relationship_end"),
    ("device_activity", "Set-top boxes and their activity", "Αποκωδικοποιητές (set-top box) και η δραστηριότητά τους", "Dekodery (set-top box) i ich aktywność", 13, "collected"),
    ("shipments", "Shipments: recipient and address", "Αποστολές: παραλήπτης και διεύθυνση", "Przesyłki: odbiorca i adres", 12, "relationship_end"),
    ("privacy_requests", "Data-protection requests and their answers", "Αιτήματα προστασίας δεδομένων και οι απαντήσεις τους", "Żądania dotyczące ochrony danych i odpowiedzi na nie", 36, "completed"),
    ("staff_accounts", "Staff accounts and API tokens", "Λογαριασμοί προσωπικού και κλειδιά API", "Konta pracowników i tokeny API", None, "collected"),
]

NOTES = {
    "tax_records": {
        "en": "Tax law requires invoices to be kept; only they keep your name after your account is erased.",
        "el": "Η φορολογική νομοθεσία επιβάλλει τη διατήρηση των τιμολογίων· μόνο σε αυτά παραμένει το όνομά σας μετά τη διαγραφή του λογαριασμού σας.",
        "pl": "Przepisy podatkowe wymagają przechowywania faktur; tylko na nich Państwa nazwisko pozostaje po usunięciu konta.",
    },
    "marketing_preferences": {
        "en": "While you engage with us; a withdrawal is kept so that we do not contact you again.",
        "el": "Όσο διατηρείτε επαφή μαζί μας· η ανάκληση φυλάσσεται ώστε να μη σας ξαναστείλουμε μηνύματα.",
        "pl": "Dopóki utrzymują Państwo z nami kontakt; wycofanie zgody przechowujemy, aby nie kontaktować się ponownie.",
    },
    "audit_trail": {
        "en": "Kept to prove who changed or viewed what; it holds references, not your particulars.",
        "el": "Φυλάσσεται για να αποδεικνύεται ποιος άλλαξε ή είδε τι· περιέχει αναφορές, όχι τα στοιχεία σας.",
        "pl": "Przechowywany, aby wykazać, kto co zmienił lub przeglądał; zawiera odwołania, a nie Państwa dane.",
    },
}

# name, role, country, description (en, el, pl), safeguard (en, el, pl)
RECIPIENTS = [
    ("Data-centre and hosting provider", "processor", "GR",
     ("Runs the servers on which Kyklos and your services are hosted.", "Λειτουργεί τους διακομιστές όπου φιλοξενούνται το Kyklos και οι υπηρεσίες σας.", "Obsługuje serwery, na których działa Kyklos i Państwa usługi."), None),
    ("E-mail delivery provider", "processor", "IE",
     ("Delivers our e-mail notices.", "Παραδίδει τις ειδοποιήσεις μας μέσω e-mail.", "Dostarcza nasze powiadomienia e-mail."), None),
    ("Stripe Payments Europe Ltd", "processor", "IE",
     ("Processes card payments.", "Επεξεργάζεται τις πληρωμές με κάρτα.", "Obsługuje płatności kartą."), None),
    ("PayPal (Europe) S.à r.l. et Cie, S.C.A.", "recipient", "LU",
     ("Processes PayPal payments.", "Επεξεργάζεται τις πληρωμές μέσω PayPal.", "Obsługuje płatności PayPal."), None),
    ("Banks", "recipient", "GR",
     ("Execute and confirm bank transfers.", "Εκτελούν και επιβεβαιώνουν τις τραπεζικές μεταφορές.", "Realizują i potwierdzają przelewy bankowe."), None),
    ("Accountant", "processor", "GR",
     ("Keeps our books and files our tax returns.", "Τηρεί τα λογιστικά βιβλία μας και υποβάλλει τις φορολογικές μας δηλώσεις.", "Prowadzi naszą księgowość i składa deklaracje podatkowe."), None),
    ("Tax authority", "authority", "GR",
     ("Receives invoice data as tax law requires.", "Λαμβάνει στοιχεία τιμολογίων όπως ορίζει η φορολογική νομοθεσία.", "Otrzymuje dane z faktur zgodnie z przepisami podatkowymi."), None),
    ("Domain registries and registrars", "recipient", "US",
     ("Register your domain names; the registry publishes the holder data that its rules require.", "Καταχωρίζουν τα ονόματα τομέα σας· το μητρώο δημοσιεύει τα στοιχεία κατόχου που απαιτούν οι κανόνες του.", "Rejestrują Państwa domeny; rejestr publikuje dane abonenta wymagane przez jego zasady."),
     ("Necessary to register the domain you ordered (art. 49(1)(b) GDPR); .eu and .gr registries are in the EU.", "Απαραίτητο για την καταχώριση του ονόματος τομέα που παραγγείλατε (άρθρο 49 παρ. 1 στοιχ. β ΓΚΠΔ)· τα μητρώα .eu και .gr βρίσκονται στην ΕΕ.", "Niezbędne do rejestracji zamówionej domeny (art. 49 ust. 1 lit. b RODO); rejestry .eu i .gr znajdują się w UE.")),
    ("Courier", "processor", "GR",
     ("Delivers devices that we ship to you.", "Παραδίδει τις συσκευές που σας αποστέλλουμε.", "Dostarcza wysyłane do Państwa urządzenia."), None),
    ("Web analytics (self-hosted)", "processor", "GR",
     ("Counts visits to our site, only with your consent.", "Μετρά τις επισκέψεις στον ιστότοπό μας, μόνο με τη συναίνεσή σας.", "Liczy wizyty w naszym serwisie, wyłącznie za Państwa zgodą."), None),
    ("Google LLC (advertising measurement)", "recipient", "US",
     ("Measures our advertising, only with your consent.", "Μετρά την αποτελεσματικότητα των διαφημίσεών μας, μόνο με τη συναίνεσή σας.", "Mierzy skuteczność naszych reklam, wyłącznie za Państwa zgodą."),
     ("EU–US Data Privacy Framework adequacy decision (art. 45 GDPR).", "Απόφαση επάρκειας για το Πλαίσιο Προστασίας Δεδομένων ΕΕ–ΗΠΑ (άρθρο 45 ΓΚΠΔ).", "Decyzja stwierdzająca odpowiedni stopień ochrony – Ramy ochrony danych UE–USA (art. 45 RODO).")),
]

# code, legal basis, categories, recipients (by index), name (en, el, pl), purpose (en, el, pl)
ACTIVITIES = [
    ("accounts", "contract", ["customer_records", "accounts", "audit_trail"], [0, 1],
     ("Customer accounts", "Λογαριασμοί πελατών", "Konta klientów"),
     ("To open and run your account, provide the services you order and send you the notices about them.", "Για να ανοίξουμε και να διαχειριστούμε τον λογαριασμό σας, να παρέχουμε τις υπηρεσίες που παραγγέλνετε και να σας στέλνουμε τις σχετικές ειδοποιήσεις.", "Aby założyć i prowadzić Państwa konto, świadczyć zamówione usługi i wysyłać dotyczące ich powiadomienia.")),
    ("billing", "legal_obligation", ["tax_records", "customer_records"], [2, 3, 4, 5, 6],
     ("Billing and payments", "Τιμολόγηση και πληρωμές", "Rozliczenia i płatności"),
     ("To issue invoices and receipts, collect payments and keep the records that tax law requires.", "Για την έκδοση τιμολογίων και αποδείξεων, την είσπραξη πληρωμών και την τήρηση των αρχείων που απαιτεί η φορολογική νομοθεσία.", "Aby wystawiać faktury i potwierdzenia, pobierać płatności i przechowywać dokumenty wymagane przez przepisy podatkowe.")),
    ("domains", "contract", ["customer_records"], [7],
     ("Domain registration", "Καταχώριση ονομάτων τομέα", "Rejestracja domen"),
     ("To register, renew and transfer your domain names with their registries.", "Για την καταχώριση, ανανέωση και μεταφορά των ονομάτων τομέα σας στα αντίστοιχα μητρώα.", "Aby rejestrować, odnawiać i przenosić Państwa domeny w odpowiednich rejestrach.")),
    ("support", "contract", ["support", "credentials", "correspondence"], [0, 1],
     ("Support", "Υποστήριξη", "Wsparcie"),
     ("To answer your requests and look after your services, including credentials you entrust to us.", "Για να απαντάμε στα αιτήματά σας και να φροντίζουμε τις υπηρεσίες σας, μαζί με τα διαπιστευτήρια που μας εμπιστεύεστε.", "Aby odpowiadać na Państwa zgłoszenia i dbać o Państwa usługi, w tym o powierzone nam dane dostępowe.")),
    ("enquiries", "legitimate_interest", ["contact_forms", "sales_leads"], [0, 1],
     ("Enquiries and quotes", "Ερωτήματα και προσφορές", "Zapytania i oferty"),
     ("To answer what you ask us through our contact form and prepare quotes before a contract.", "Για να απαντάμε σε ό,τι μας ρωτάτε μέσω της φόρμας επικοινωνίας και να ετοιμάζουμε προσφορές πριν από τη σύμβαση.", "Aby odpowiadać na pytania zadane przez formularz kontaktowy i przygotowywać oferty przed zawarciem umowy.")),
    ("marketing", "consent", ["marketing_preferences", "customer_records"], [1],
     ("Newsletters and offers", "Ενημερωτικά δελτία και προσφορές", "Newslettery i oferty"),
     ("To send you news, offers and surveys, only if you agreed; every e-mail has a one-click unsubscribe.", "Για να σας στέλνουμε νέα, προσφορές και έρευνες, μόνο εφόσον συμφωνήσατε· κάθε μήνυμα έχει σύνδεσμο διαγραφής με ένα κλικ.", "Aby wysyłać Państwu informacje, oferty i ankiety, wyłącznie za Państwa zgodą; każdy e-mail zawiera rezygnację jednym kliknięciem.")),
    ("analytics_cookies", "consent", ["cookie_data"], [9, 10],
     ("Analytics and advertising cookies", "Cookies στατιστικών και διαφήμισης", "Pliki cookie analityczne i reklamowe"),
     ("To understand how our site is used and measure our advertising, only with your consent.", "Για να κατανοούμε πώς χρησιμοποιείται ο ιστότοπός μας και να μετράμε τις διαφημίσεις μας, μόνο με τη συναίνεσή σας.", "Aby rozumieć, jak korzystają Państwo z naszego serwisu, i mierzyć skuteczność reklam, wyłącznie za Państwa zgodą.")),
    ("security_logs", "legitimate_interest", ["access_logs", "audit_trail", "staff_accounts"], [0],
     ("Security logs", "Αρχεία καταγραφής ασφαλείας", "Logi bezpieczeństwa"),
     ("To protect accounts and investigate abuse, we log IP addresses and who changed or viewed data.", "Για την προστασία των λογαριασμών και τη διερεύνηση καταχρήσεων καταγράφουμε διευθύνσεις IP και ποιος άλλαξε ή είδε δεδομένα.", "Aby chronić konta i badać nadużycia, rejestrujemy adresy IP oraz to, kto zmieniał lub przeglądał dane.")),
    ("device_activity", "contract", ["device_activity"], [0],
     ("Set-top boxes and their activity", "Αποκωδικοποιητές και η δραστηριότητά τους", "Dekodery i ich aktywność"),
     ("To provide and bill your TV subscription; activity is otherwise used only as anonymised statistics.", "Για την παροχή και τιμολόγηση της τηλεοπτικής σας συνδρομής· κατά τα λοιπά η δραστηριότητα χρησιμοποιείται μόνο ως ανωνυμοποιημένα στατιστικά.", "Aby świadczyć i rozliczać Państwa abonament telewizyjny; poza tym aktywność wykorzystujemy wyłącznie jako zanonimizowane statystyki.")),
    ("shipments", "contract", ["shipments"], [8],
     ("Shipments", "Αποστολές", "Przesyłki"),
     ("To send you the devices you ordered.", "Για να σας αποστείλουμε τις συσκευές που παραγγείλατε.", "Aby wysłać zamówione przez Państwa urządzenia.")),
    ("data_protection", "legal_obligation", ["privacy_requests", "marketing_preferences"], [],
     ("Your data-protection rights", "Τα δικαιώματά σας για την προστασία δεδομένων", "Państwa prawa w zakresie ochrony danych"),
     ("To answer your requests under the GDPR and keep proof of your consents and of our answers.", "Για να απαντάμε στα αιτήματά σας βάσει του ΓΚΠΔ και να τηρούμε απόδειξη των συναινέσεών σας και των απαντήσεών μας.", "Aby odpowiadać na Państwa żądania na podstawie RODO i przechowywać dowody zgód oraz naszych odpowiedzi.")),
]


def langs(values):
    en, el, pl = values
    return {"el": el, "en": en, "pl": pl}


def seed(apps, schema_editor):
    DataCategory = apps.get_model("privacy", "DataCategory")
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    Recipient = apps.get_model("privacy", "Recipient")
    ProcessingActivity = apps.get_model("privacy", "ProcessingActivity")
    tax_months = 12 * TAX_YEARS.get(getattr(settings, "KYKLOS_COUNTRY", "GR"), 5)
    categories = {}
    for position, (code, en, el, pl, months, anchor) in enumerate(CATEGORIES):
        category = DataCategory.objects.create(
            code=code, names={"el": el, "en": en, "pl": pl}, position=position
        )
        RetentionRule.objects.create(
            category=category,
            months=tax_months if code == "tax_records" else months,
            anchor=anchor,
            note=NOTES.get(code, {}),
        )
        categories[code] = category
    recipients = []
    for name, role, country, description, safeguard in RECIPIENTS:
        recipients.append(
            Recipient.objects.create(
                name=name,
                role=role,
                country=country,
                descriptions=langs(description),
                safeguards=langs(safeguard) if safeguard else {},
            )
        )
    for position, (code, basis, cats, recs, names, purposes) in enumerate(ACTIVITIES):
        activity = ProcessingActivity.objects.create(
            code=code, names=langs(names), purposes=langs(purposes), legal_basis=basis,
            position=position,
        )
        activity.categories.set([categories[c] for c in cats])
        activity.recipients.set([recipients[i] for i in recs])


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
