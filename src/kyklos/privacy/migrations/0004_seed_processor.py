"""The provider as processor (R9.8), the disclosure log's category (R9.5), and device
activity's retention rule made what the devices app applies (3 months, R9.4).

Seeds the processing carried out on customers' behalf (hosted sites, mailboxes, chat
conversations) with its sub-processors, and the first version of the data-processing
agreement in Greek, English and Polish. ``seed`` is also called after a flush (see
``privacy.signals.publish_after_migrate``).
"""

from django.db import migrations

BACKUP = (
    "Off-site backup storage",
    "processor",
    "DE",
    {
        "en": "Keeps encrypted copies of our servers' backups in another data centre.",
        "el": "Φυλάσσει κρυπτογραφημένα αντίγραφα ασφαλείας των διακομιστών μας σε άλλο κέντρο δεδομένων.",
        "pl": "Przechowuje zaszyfrowane kopie zapasowe naszych serwerów w innym centrum danych.",
    },
)
DATA_CENTRE = "Data-centre and hosting provider"

MEASURES = {
    "en": "Servers in access-controlled EU data centres; encrypted connections (TLS); encrypted off-site backups; staff access by role with two-factor login, logged; security updates applied promptly; a breach is reported to you without undue delay.",
    "el": "Διακομιστές σε κέντρα δεδομένων της ΕΕ με ελεγχόμενη πρόσβαση· κρυπτογραφημένες συνδέσεις (TLS)· κρυπτογραφημένα αντίγραφα ασφαλείας εκτός εγκατάστασης· πρόσβαση προσωπικού ανά ρόλο με έλεγχο ταυτότητας δύο παραγόντων, με καταγραφή· άμεση εφαρμογή ενημερώσεων ασφαλείας· κάθε παραβίαση σας γνωστοποιείται χωρίς αδικαιολόγητη καθυστέρηση.",
    "pl": "Serwery w centrach danych w UE z kontrolą dostępu; szyfrowane połączenia (TLS); szyfrowane kopie zapasowe poza siedzibą; dostęp pracowników według ról z logowaniem dwuskładnikowym, rejestrowany; niezwłoczne instalowanie poprawek bezpieczeństwa; o naruszeniu informujemy Państwa bez zbędnej zwłoki.",
}

# code, service kinds, sub-processors (names), name, processing, data — each (en, el, pl)
ACTIVITIES = [
    (
        "hosted_sites",
        ["shared_hosting", "dedicated_server"],
        [DATA_CENTRE, BACKUP[0]],
        ("Hosted websites and databases", "Φιλοξενούμενοι ιστότοποι και βάσεις δεδομένων", "Hostowane strony i bazy danych"),
        ("Storing, serving and backing up your sites' files and databases; restoring them on request.", "Αποθήκευση, διάθεση και λήψη αντιγράφων ασφαλείας των αρχείων και βάσεων δεδομένων των ιστοτόπων σας· επαναφορά τους κατόπιν αιτήματος.", "Przechowywanie, udostępnianie i tworzenie kopii zapasowych plików i baz danych Państwa stron; ich przywracanie na żądanie."),
        ("Whatever personal data your sites hold about your visitors, customers and users (e.g. accounts, orders, form submissions).", "Όποια προσωπικά δεδομένα περιέχουν οι ιστότοποί σας για τους επισκέπτες, πελάτες και χρήστες σας (π.χ. λογαριασμοί, παραγγελίες, υποβολές φορμών).", "Wszelkie dane osobowe, które Państwa strony przechowują o odwiedzających, klientach i użytkownikach (np. konta, zamówienia, formularze)."),
    ),
    (
        "mailboxes",
        ["email_hosting", "shared_hosting"],
        [DATA_CENTRE, BACKUP[0]],
        ("Hosted mailboxes", "Φιλοξενούμενα γραμματοκιβώτια", "Hostowane skrzynki pocztowe"),
        ("Receiving, storing, filtering (spam, viruses) and sending e-mail for your domains; backups.", "Λήψη, αποθήκευση, φιλτράρισμα (ανεπιθύμητα, ιοί) και αποστολή e-mail για τους τομείς σας· αντίγραφα ασφαλείας.", "Odbieranie, przechowywanie, filtrowanie (spam, wirusy) i wysyłanie poczty dla Państwa domen; kopie zapasowe."),
        ("Messages and contacts of your mailboxes' users and of the people who write to them.", "Μηνύματα και επαφές των χρηστών των γραμματοκιβωτίων σας και των ανθρώπων που τους γράφουν.", "Wiadomości i kontakty użytkowników Państwa skrzynek oraz osób, które do nich piszą."),
    ),
    (
        "chat_conversations",
        ["chat_saas"],
        [DATA_CENTRE],
        ("Chat-plugin conversations", "Συνομιλίες του chat plugin", "Rozmowy we wtyczce czatu"),
        ("Relaying and storing the conversations between your site's visitors and your staff.", "Διαβίβαση και αποθήκευση των συνομιλιών μεταξύ των επισκεπτών του ιστοτόπου σας και του προσωπικού σας.", "Przekazywanie i przechowywanie rozmów między odwiedzającymi Państwa stronę a Państwa pracownikami."),
        ("Visitors' messages, names and e-mail addresses they give, their IP addresses.", "Μηνύματα επισκεπτών, τα ονόματα και οι διευθύνσεις e-mail που δίνουν, οι διευθύνσεις IP τους.", "Wiadomości odwiedzających, podawane przez nich imiona i adresy e-mail, ich adresy IP."),
    ),
]

DPA_TEXTS = {
    "en": """Data-processing agreement (GDPR art. 28)

1. Roles. You are the controller of the personal data held in the services we host for you (websites, databases, mailboxes, chat conversations); we process it only on your behalf, as your processor.
2. Instructions. We process it only to provide the services you ordered and on your documented instructions, unless EU or national law requires otherwise; we tell you if an instruction appears to break the law.
3. Confidentiality. Everyone we allow to process the data is bound to confidentiality.
4. Security. We apply the technical and organisational measures described in your record of processing (art. 32).
5. Sub-processors. You authorise the sub-processors listed in your record. We tell you of any intended change at least 30 days before it takes effect; you may object within that time, and if we cannot agree you may end the affected service.
6. Assistance. We help you answer requests of the people concerned and meet your duties of security, breach notification and impact assessment (art. 32–36). We report a personal-data breach to you without undue delay.
7. End of the service. When a service ends we return the data on request and then delete it, unless the law requires us to keep it.
8. Audits. We make available the information needed to demonstrate compliance and allow audits by you or an auditor you mandate, on reasonable notice.
9. Transfers. Data leaves the EEA only with the safeguards shown in your record.""",
    "el": """Σύμβαση επεξεργασίας δεδομένων (άρθρο 28 ΓΚΠΔ)

1. Ρόλοι. Είστε ο υπεύθυνος επεξεργασίας των προσωπικών δεδομένων που βρίσκονται στις υπηρεσίες που φιλοξενούμε για εσάς (ιστότοποι, βάσεις δεδομένων, γραμματοκιβώτια, συνομιλίες chat)· τα επεξεργαζόμαστε μόνο για λογαριασμό σας, ως εκτελών την επεξεργασία.
2. Εντολές. Τα επεξεργαζόμαστε μόνο για να παρέχουμε τις υπηρεσίες που παραγγείλατε και σύμφωνα με τις καταγεγραμμένες εντολές σας, εκτός αν το δίκαιο της ΕΕ ή το εθνικό δίκαιο ορίζει διαφορετικά· σας ενημερώνουμε αν μια εντολή φαίνεται να παραβιάζει τον νόμο.
3. Εμπιστευτικότητα. Όποιος επιτρέπουμε να επεξεργάζεται τα δεδομένα δεσμεύεται με υποχρέωση εχεμύθειας.
4. Ασφάλεια. Εφαρμόζουμε τα τεχνικά και οργανωτικά μέτρα που περιγράφονται στο αρχείο επεξεργασίας σας (άρθρο 32).
5. Υπεκτελούντες. Εγκρίνετε τους υπεκτελούντες που αναφέρονται στο αρχείο σας. Σας ενημερώνουμε για κάθε σκοπούμενη αλλαγή τουλάχιστον 30 ημέρες πριν ισχύσει· μπορείτε να αντιταχθείτε εντός αυτού του διαστήματος και, αν δεν συμφωνήσουμε, να τερματίσετε την επηρεαζόμενη υπηρεσία.
6. Συνδρομή. Σας βοηθάμε να απαντάτε στα αιτήματα των υποκειμένων και να εκπληρώνετε τις υποχρεώσεις ασφάλειας, γνωστοποίησης παραβιάσεων και εκτίμησης αντικτύπου (άρθρα 32–36). Σας γνωστοποιούμε κάθε παραβίαση δεδομένων χωρίς αδικαιολόγητη καθυστέρηση.
7. Λήξη της υπηρεσίας. Όταν μια υπηρεσία λήξει, σας επιστρέφουμε τα δεδομένα κατόπιν αιτήματος και έπειτα τα διαγράφουμε, εκτός αν ο νόμος επιβάλλει τη διατήρησή τους.
8. Έλεγχοι. Θέτουμε στη διάθεσή σας τις πληροφορίες που απαιτούνται για να αποδειχθεί η συμμόρφωση και επιτρέπουμε ελέγχους από εσάς ή από ελεγκτή που ορίζετε, με εύλογη προειδοποίηση.
9. Διαβιβάσεις. Δεδομένα εξέρχονται από τον ΕΟΧ μόνο με τις εγγυήσεις που αναφέρονται στο αρχείο σας.""",
    "pl": """Umowa powierzenia przetwarzania danych (art. 28 RODO)

1. Role. Są Państwo administratorem danych osobowych przechowywanych w usługach, które dla Państwa hostujemy (strony, bazy danych, skrzynki pocztowe, rozmowy na czacie); przetwarzamy je wyłącznie w Państwa imieniu, jako podmiot przetwarzający.
2. Polecenia. Przetwarzamy je tylko w celu świadczenia zamówionych usług i na Państwa udokumentowane polecenie, chyba że prawo UE lub krajowe stanowi inaczej; informujemy, jeśli polecenie wydaje się naruszać prawo.
3. Poufność. Każda osoba, którą dopuszczamy do przetwarzania danych, jest zobowiązana do zachowania poufności.
4. Bezpieczeństwo. Stosujemy środki techniczne i organizacyjne opisane w Państwa rejestrze przetwarzania (art. 32).
5. Podprzetwarzający. Wyrażają Państwo zgodę na podprzetwarzających wymienionych w rejestrze. O każdej zamierzonej zmianie informujemy co najmniej 30 dni przed jej wejściem w życie; w tym czasie mogą Państwo wnieść sprzeciw, a jeśli nie dojdziemy do porozumienia — zakończyć daną usługę.
6. Pomoc. Pomagamy odpowiadać na żądania osób, których dane dotyczą, oraz wypełniać obowiązki w zakresie bezpieczeństwa, zgłaszania naruszeń i oceny skutków (art. 32–36). O naruszeniu ochrony danych informujemy bez zbędnej zwłoki.
7. Zakończenie usługi. Po zakończeniu usługi zwracamy dane na żądanie, a następnie je usuwamy, chyba że prawo wymaga ich przechowywania.
8. Audyty. Udostępniamy informacje niezbędne do wykazania zgodności i umożliwiamy audyty przeprowadzane przez Państwa lub upoważnionego audytora, z rozsądnym wyprzedzeniem.
9. Przekazywanie. Dane opuszczają EOG wyłącznie z zabezpieczeniami wskazanymi w Państwa rejestrze.""",
}

DISCLOSURES = (
    "disclosures",
    {
        "en": "Disclosures to authorities and third parties",
        "el": "Γνωστοποιήσεις σε αρχές και τρίτους",
        "pl": "Ujawnienia organom i podmiotom trzecim",
    },
    {
        "en": "Kept to prove the legal obligation that required the disclosure; shown to you in your access archive unless the law forbids it.",
        "el": "Φυλάσσονται για να αποδεικνύεται η νόμιμη υποχρέωση που επέβαλε τη γνωστοποίηση· σας εμφανίζονται στο αρχείο πρόσβασής σας, εκτός αν ο νόμος το απαγορεύει.",
        "pl": "Przechowywane jako dowód obowiązku prawnego, który wymagał ujawnienia; widoczne w Państwa archiwum dostępu, chyba że prawo tego zabrania.",
    },
)


def seed(apps, schema_editor):
    DataCategory = apps.get_model("privacy", "DataCategory")
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    Recipient = apps.get_model("privacy", "Recipient")
    ProcessingActivity = apps.get_model("privacy", "ProcessingActivity")
    ProcessorActivity = apps.get_model("privacy", "ProcessorActivity")
    DpaVersion = apps.get_model("privacy", "DpaVersion")

    # Device activity: the rule the devices app applies (3 months, R9.4 for IP data).
    RetentionRule.objects.filter(category__code="device_activity", months=13).update(months=3)

    code, names, note = DISCLOSURES
    if not DataCategory.objects.filter(code=code).exists():
        position = DataCategory.objects.count()
        category = DataCategory.objects.create(code=code, names=names, position=position)
        RetentionRule.objects.create(category=category, months=None, anchor="collected", note=note)
        for activity in ProcessingActivity.objects.filter(code="data_protection"):
            activity.categories.add(category)

    if ProcessorActivity.objects.exists():
        return
    name, role, country, descriptions = BACKUP
    Recipient.objects.get_or_create(
        name=name, defaults={"role": role, "country": country, "descriptions": descriptions}
    )
    for position, (code, kinds, subs, names, processing, data) in enumerate(ACTIVITIES):
        activity = ProcessorActivity.objects.create(
            code=code,
            names=langs(names),
            processing=langs(processing),
            data=langs(data),
            measures=MEASURES,
            service_kinds=kinds,
            position=position,
        )
        activity.subprocessors.set(Recipient.objects.filter(name__in=subs))
    if not DpaVersion.objects.exists():
        from kyklos.core import clock

        DpaVersion.objects.create(number=1, published_at=clock.now(), texts=DPA_TEXTS)


def langs(values):
    en, el, pl = values
    return {"el": el, "en": en, "pl": pl}


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_processor_disclosures")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
